"""Domain records to planocr.v1 messages."""

from __future__ import annotations

import datetime as dt
import uuid

from google.longrunning import operations_pb2
from google.protobuf import duration_pb2, timestamp_pb2

from planocr.core import blocks as ocr_blocks
from planocr.core.fields import FIELD_NAMES, TitleBlockResult
from planocr.core.records import COMPLETED, ERROR, PENDING, PROCESSING, PageState, TextSource, TextSourceMode
from planocr.db.models import CANCELLED
from planocr.db.operations import OperationRecord
from planocr.db.repository import DocumentRecord, PageRecord
from planocr.errors import Cancelled, Reason
from planocr.jobs.pipeline import Outcome, stored_error
from planocr.jobs.scheduler import PageDone, Started, Summary
from planocr.jobs.watch import Snapshot
from planocr.rpc.grpc_errors import status_proto
from planocr.v1 import document_pb2, ocr_service_pb2, page_pb2

OUTCOME = {
    Outcome.PROCESSED: ocr_service_pb2.PROCESS_OUTCOME_PROCESSED,
    Outcome.ALREADY_COMPLETED: ocr_service_pb2.PROCESS_OUTCOME_ALREADY_COMPLETED,
    Outcome.PROCESSED_ELSEWHERE: ocr_service_pb2.PROCESS_OUTCOME_PROCESSED_ELSEWHERE,
}


def page_state(status: str) -> page_pb2.PageState:
    """A ``pages.status`` as a ``planocr.v1.PageState`` (unspecified for one this service does not know)."""
    if status not in PageState.__members__.values():
        return page_pb2.PAGE_STATE_UNSPECIFIED
    return page_pb2.PageState.Value(PageState(status).proto_name)


def text_source(source: str | None) -> page_pb2.TextSource:
    """A ``pages.text_source`` as a ``planocr.v1.TextSource`` (unspecified when unknown or not set)."""
    if source is None or source not in TextSource.__members__.values():
        return page_pb2.TEXT_SOURCE_UNSPECIFIED
    return page_pb2.TextSource.Value(TextSource(source).proto_name)


def text_source_mode(mode: page_pb2.TextSourceMode) -> TextSourceMode | None:
    """A ``planocr.v1.TextSourceMode`` as the mode it stands for; None for unspecified.

    Raises ValueError for a number that is not one of the enum's.
    """
    return TextSourceMode.from_proto_name(page_pb2.TextSourceMode.Name(mode))


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
    stored = ocr_blocks.decode(page.ocr_blocks)
    message = page_pb2.Page(
        page_id=str(page.id),
        document_id=str(page.document_id),
        page_number=page.page_number,
        width=page.width,
        height=page.height,
        state=page_state(page.status),
        sheet_number=page.sheet_number or "",
        title=page.title or "",
        scale_text=page.scale_text or "",
        engine=page.engine or "",
        text_source=text_source(page.text_source),
        rotation=page.rotation or 0,
        detected_sheet_numbers=stored.title_block.detected_sheet_numbers,
        detected_titles=stored.title_block.detected_titles,
        detected_scales=stored.title_block.detected_scales,
    )
    if (page.ocr_blocks or {}).get("title_block"):
        message.title_block.CopyFrom(title_block_message(stored.title_block))
    if page.processing_ms is not None:
        message.processing_time.CopyFrom(duration(page.processing_ms / 1000))
    if page.processed_at is not None:
        message.process_time.CopyFrom(timestamp(page.processed_at))
    if page.status == ERROR:
        message.error.CopyFrom(status_proto(stored_error(page)))
    if full:
        message.text = page.ocr_text or ""
        for block in stored.blocks:
            message.blocks.add(
                text=block.text,
                bounding_box=_box(block.box.to_list() if block.box else None),
                confidence=block.confidence,
                angle=block.angle,
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


def page_event(event: PageDone) -> ocr_service_pb2.PageProcessed:
    page = event.page
    message = ocr_service_pb2.PageProcessed(
        page_id=str(page.id),
        page_number=page.page_number,
        state=page_state(page.status),
        sheet_number=page.sheet_number or "",
        title=page.title or "",
        scale_text=page.scale_text or "",
        outcome=OUTCOME[event.outcome] if event.outcome is not None else ocr_service_pb2.PROCESS_OUTCOME_UNSPECIFIED,
        done=event.done,
        total=event.total,
        finish_time=timestamp(page.processed_at),
    )
    if event.error is not None:
        message.state = page_pb2.PAGE_STATE_FAILED
        message.error.CopyFrom(status_proto(event.error))
    if page.processing_ms is not None:
        message.processing_time.CopyFrom(duration(page.processing_ms / 1000))
    return message


def summary_message(event: Summary) -> ocr_service_pb2.DocumentSummary:
    return ocr_service_pb2.DocumentSummary(
        document_id=str(event.document_id),
        total_pages=event.total_pages,
        completed=event.completed,
        failed=event.failed,
        skipped=event.skipped,
        elapsed=duration(event.elapsed),
        duplicate_sheet_numbers=event.duplicate_sheet_numbers,
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
        return ocr_service_pb2.ProcessDocumentResponse(page=page_event(event))
    return ocr_service_pb2.ProcessDocumentResponse(summary=summary_message(event))


def watch_event(event: Snapshot | PageDone | Summary) -> ocr_service_pb2.WatchDocumentResponse:
    if isinstance(event, Snapshot):
        return ocr_service_pb2.WatchDocumentResponse(
            snapshot=ocr_service_pb2.DocumentSnapshot(
                document=document_message(event.document),
                operation=operation_name(event.operation.id) if event.operation is not None else "",
            )
        )
    if isinstance(event, PageDone):
        return ocr_service_pb2.WatchDocumentResponse(page=page_event(event))
    return ocr_service_pb2.WatchDocumentResponse(summary=summary_message(event))


OPERATION_PREFIX = "operations/"


def operation_name(operation_id: uuid.UUID) -> str:
    return f"{OPERATION_PREFIX}{operation_id}"


def operation_message(operation: OperationRecord) -> operations_pb2.Operation:
    """An operation as google.longrunning.Operation: DocumentProgress metadata; a DocumentSummary or an error once done."""
    progress = ocr_service_pb2.DocumentProgress(
        document_id=str(operation.document_id),
        total_pages=operation.total_pages,
        to_process=operation.to_process,
        done=operation.done,
        completed=operation.completed,
        failed=operation.failed,
        skipped=operation.skipped,
        priority=operation.priority,
        create_time=timestamp(operation.created_at),
        end_time=timestamp(operation.ended_at),
        cancel_requested=operation.cancel_requested,
    )
    message = operations_pb2.Operation(name=operation_name(operation.id), done=not operation.running)
    message.metadata.Pack(progress)
    if operation.state == CANCELLED:
        message.error.CopyFrom(status_proto(Cancelled(
            f"the operation was cancelled after {operation.done} of {operation.to_process} pages", reason=Reason.CANCELLED
        )))
    elif not operation.running:
        elapsed = (operation.ended_at - operation.created_at).total_seconds() if operation.ended_at else 0.0
        message.response.Pack(summary_message(Summary(
            document_id=operation.document_id,
            total_pages=operation.total_pages,
            completed=operation.completed,
            failed=operation.failed,
            skipped=operation.skipped,
            elapsed=elapsed,
            duplicate_sheet_numbers=operation.duplicate_sheet_numbers,
        )))
    return message
