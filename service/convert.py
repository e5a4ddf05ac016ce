"""Domain records to planocr.v1 messages."""

from __future__ import annotations

import datetime as dt

from google.protobuf import duration_pb2, timestamp_pb2

from planocr.db.models import COMPLETED, ERROR, PENDING, PROCESSING
from planocr.db.repository import DocumentRecord, PageRecord
from planocr.engines import textlayer
from planocr.errors import PlanocrError
from planocr.grpc_errors import status_proto
from planocr.pipeline import Outcome, stored_error
from planocr.scheduler import PageDone, Started, Summary
from planocr.titleblock import FIELD_NAMES, TitleBlockResult
from planocr.v1 import document_pb2, ocr_service_pb2, page_pb2

STATE = {
    PENDING: page_pb2.PAGE_STATE_PENDING,
    PROCESSING: page_pb2.PAGE_STATE_PROCESSING,
    COMPLETED: page_pb2.PAGE_STATE_COMPLETED,
    ERROR: page_pb2.PAGE_STATE_FAILED,
}
OUTCOME = {
    Outcome.PROCESSED: ocr_service_pb2.PROCESS_OUTCOME_PROCESSED,
    Outcome.ALREADY_COMPLETED: ocr_service_pb2.PROCESS_OUTCOME_ALREADY_COMPLETED,
    Outcome.PROCESSED_ELSEWHERE: ocr_service_pb2.PROCESS_OUTCOME_PROCESSED_ELSEWHERE,
}
TEXT_SOURCE = {
    "ocr": page_pb2.TEXT_SOURCE_OCR,
    textlayer.TEXT_SOURCE: page_pb2.TEXT_SOURCE_TEXT_LAYER,
    textlayer.COMPLETED_SOURCE: page_pb2.TEXT_SOURCE_TEXT_LAYER_AND_OCR,
}
TEXT_SOURCE_MODE = {
    page_pb2.TEXT_SOURCE_MODE_UNSPECIFIED: None,
    page_pb2.TEXT_SOURCE_MODE_AUTO: "auto",
    page_pb2.TEXT_SOURCE_MODE_OCR: "ocr",
    page_pb2.TEXT_SOURCE_MODE_TEXT_LAYER: "text-layer",
}


def timestamp(value: dt.datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def duration(seconds: float) -> duration_pb2.Duration:
    out = duration_pb2.Duration()
    out.FromMilliseconds(round(seconds * 1000))
    return out


def _box(values: list[int] | None) -> page_pb2.BoundingBox | None:
    if not values:
        return None
    left, top, width, height = values
    return page_pb2.BoundingBox(left=left, top=top, width=width, height=height)


def title_block_message(result: TitleBlockResult) -> page_pb2.TitleBlock:
    message = page_pb2.TitleBlock()
    for name in FIELD_NAMES:
        found = result.fields.get(name)
        if found is not None:
            target = getattr(message, name)
            target.value = found.value
            target.confidence = found.confidence
            if found.box is not None:
                target.bounding_box.CopyFrom(_box(found.box.to_list()))
    if result.region is not None:
        message.region.CopyFrom(_box(result.region.to_list()))
    return message


def page_message(page: PageRecord, *, full: bool) -> page_pb2.Page:
    blocks = page.ocr_blocks or {}
    message = page_pb2.Page(
        page_id=str(page.id),
        document_id=str(page.document_id),
        page_number=page.page_number,
        width=page.width,
        height=page.height,
        state=STATE.get(page.status, page_pb2.PAGE_STATE_UNSPECIFIED),
        sheet_number=page.sheet_number or "",
        title=page.title or "",
        scale_text=page.scale_text or "",
        engine=page.engine or "",
        text_source=TEXT_SOURCE.get(page.text_source or "", page_pb2.TEXT_SOURCE_UNSPECIFIED),
        rotation=page.rotation or 0,
        detected_sheet_numbers=blocks.get("detected_sheet_numbers", []),
        detected_titles=blocks.get("detected_titles", []),
        detected_scales=blocks.get("detected_scales", []),
    )
    if blocks.get("title_block"):
        message.title_block.CopyFrom(title_block_message(TitleBlockResult.from_json(blocks["title_block"])))
    if page.processing_ms is not None:
        message.processing_time.CopyFrom(duration(page.processing_ms / 1000))
    if page.processed_at is not None:
        message.process_time.CopyFrom(timestamp(page.processed_at))
    if page.status == ERROR:
        message.error.CopyFrom(status_proto(stored_error(page)))
    if full:
        message.text = page.ocr_text or ""
        for block in blocks.get("blocks", []):
            message.blocks.add(
                text=block.get("text", ""),
                bounding_box=_box(block.get("bbox")),
                confidence=block.get("confidence", 0.0),
                angle=block.get("angle", 0),
            )
    return message


def document_message(document: DocumentRecord) -> document_pb2.Document:
    counts = document.counts
    return document_pb2.Document(
        document_id=str(document.id),
        filename=document.filename,
        content_type=document.content_type,
        source_key=document.source_key,
        page_count=document.page_count,
        size_bytes=document.size_bytes,
        sha256=document.sha256,
        request_id=document.request_id or "",
        page_counts=document_pb2.PageCounts(
            pending=counts.get(PENDING, 0),
            processing=counts.get(PROCESSING, 0),
            completed=counts.get(COMPLETED, 0),
            failed=counts.get(ERROR, 0),
        ),
        create_time=timestamp(document.created_at),
        update_time=timestamp(document.updated_at),
    )


def document_event(event: Started | PageDone | Summary) -> ocr_service_pb2.ProcessDocumentResponse:
    if isinstance(event, Started):
        return ocr_service_pb2.ProcessDocumentResponse(
            started=ocr_service_pb2.DocumentStarted(
                document_id=str(event.document_id),
                total_pages=event.total_pages,
                to_process=event.to_process,
                skipped=event.skipped,
            )
        )
    if isinstance(event, PageDone):
        page = event.page
        message = ocr_service_pb2.PageProcessed(
            page_id=str(page.id),
            page_number=page.page_number,
            state=STATE.get(page.status, page_pb2.PAGE_STATE_UNSPECIFIED),
            sheet_number=page.sheet_number or "",
            title=page.title or "",
            scale_text=page.scale_text or "",
            outcome=OUTCOME[event.outcome],
            done=event.done,
            total=event.total,
        )
        if event.error is not None:
            message.state = page_pb2.PAGE_STATE_FAILED
            message.error.CopyFrom(status_proto(event.error))
        if page.processing_ms is not None:
            message.processing_time.CopyFrom(duration(page.processing_ms / 1000))
        return ocr_service_pb2.ProcessDocumentResponse(page=message)
    return ocr_service_pb2.ProcessDocumentResponse(
        summary=ocr_service_pb2.DocumentSummary(
            document_id=str(event.document_id),
            total_pages=event.total_pages,
            completed=event.completed,
            failed=event.failed,
            skipped=event.skipped,
            elapsed=duration(event.elapsed),
            duplicate_sheet_numbers=event.duplicate_sheet_numbers,
        )
    )


def error_message(error: PlanocrError) -> str:
    return error.message
