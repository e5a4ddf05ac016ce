"""An async FastAPI app that hands drawing sets to planocr instead of running OCR in Celery workers.

planocr keeps the state (documents, pages, background operations), so the app
needs no queue and no database of its own: it uploads the file, asks planocr
to read it in the background (StartDocument) and relays the progress.

    POST /drawing-sets                      upload (multipart field ``file``, or the raw body
                                            with ``?filename=``); 202 with the operation
    GET  /drawing-sets/{document_id}        page counts and the latest operation
    GET  /drawing-sets/{document_id}/events server-sent events: ``snapshot``, one ``page``
                                            per finished page, ``summary`` at the end

One :class:`~planocr.client.AsyncPlanocrClient` is created in the lifespan, on
the app's event loop (a grpc.aio channel belongs to its loop), shared by every
request and closed at shutdown. Run it with::

    PLANOCR_TARGET=127.0.0.1:50051 uvicorn examples.fastapi_app:app
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, BinaryIO, cast

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from google.protobuf import timestamp_pb2
from starlette.datastructures import UploadFile

from planocr.client import (
    Aborted,
    AlreadyExists,
    AsyncPlanocrClient,
    AsyncWatchDocumentStream,
    DeadlineExceeded,
    Document,
    DocumentOperation,
    DocumentSummary,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    OutOfRange,
    PageProcessed,
    PageState,
    PlanocrError,
    ResourceExhausted,
    Unavailable,
    WatchDocumentResponse,
)

__all__ = ["create_app", "app"]

DEFAULT_TARGET = "127.0.0.1:50051"
#: Media types planocr accepts when declared; anything else (application/octet-stream...) is left for it to sniff.
DECLARED_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/tiff"})
#: Uploads larger than this are spooled to a temporary file rather than held in memory.
SPOOL_BYTES = 1024 * 1024


def create_app(
    planocr_target: str | None = None,
    *,
    heartbeat_seconds: float = 15.0,
    max_upload_bytes: int | None = None,
    **client_options: Any,
) -> FastAPI:
    """The app, talking to the planocr server at ``planocr_target`` (default: env ``PLANOCR_TARGET``).

    ``client_options`` go to :class:`AsyncPlanocrClient` (``tls=True``,
    ``root_certificates``, ``timeout``...); ``token`` defaults to env
    ``PLANOCR_TOKEN``. An event stream sends an SSE comment after
    ``heartbeat_seconds`` without events, so proxies keep it open and a
    client that left is noticed. ``max_upload_bytes`` (e.g. the server's
    ``PLANOCR_MAX_UPLOAD_BYTES``) turns larger bodies away with 413 before
    they are spooled; planocr refuses them anyway, with the same status.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        target = planocr_target or os.environ.get("PLANOCR_TARGET", DEFAULT_TARGET)
        options = {"token": os.environ.get("PLANOCR_TOKEN") or None, **client_options}
        client = AsyncPlanocrClient(target, **options)
        app.state.planocr = client
        try:
            yield
        finally:
            await client.close(grace=5.0)

    app = FastAPI(title="Drawing sets (planocr example)", lifespan=lifespan, max_body_size=max_upload_bytes)
    app.state.heartbeat_seconds = heartbeat_seconds
    app.add_exception_handler(PlanocrError, _planocr_error)
    app.include_router(router)
    return app


def planocr(request: Request) -> AsyncPlanocrClient:
    """The app's planocr client (a FastAPI dependency)."""
    client: AsyncPlanocrClient = request.app.state.planocr
    return client


Planocr = Annotated[AsyncPlanocrClient, Depends(planocr)]


router = APIRouter()


@router.post("/drawing-sets", status_code=202)
async def create_drawing_set(
    request: Request,
    client: Planocr,
    filename: Annotated[str | None, Query(description="the file name, for a raw (not multipart) body")] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Upload a drawing set and start reading it in the background."""
    # One key for both calls: a retried POST finds the same document and the same operation.
    # Without a header a fresh key still makes the client's own retries of the upload safe.
    request_id = idempotency_key or uuid.uuid4().hex
    upload, name, content_type = await _read_upload(request, filename)
    try:
        document = await client.upload(
            upload.file, filename=name, content_type=content_type, request_id=request_id
        )
    finally:
        await upload.close()
    operation = await client.start_document(document.document_id, request_id=request_id)
    status_url = str(request.url_for("get_drawing_set", document_id=document.document_id))
    events_url = str(request.url_for("drawing_set_events", document_id=document.document_id))
    return JSONResponse(
        status_code=202,
        content={
            "document_id": document.document_id,
            "operation": operation.name,
            "status_url": status_url,
            "events_url": events_url,
        },
        headers={"Location": status_url},
    )


@router.get("/drawing-sets/{document_id}", name="get_drawing_set")
async def get_drawing_set(document_id: str, client: Planocr) -> dict[str, Any]:
    """The document's pages counted by state and its latest background operation."""
    document = await client.get_document(document_id)
    operation = None
    async with contextlib.aclosing(client.list_operations(document_id=document_id, page_size=1)) as operations:
        async for newest in operations:
            operation = newest
            break
    return _status_json(document, operation)


@router.get("/drawing-sets/{document_id}/events", name="drawing_set_events")
async def drawing_set_events(
    request: Request,
    document_id: str,
    client: Planocr,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Server-sent events: ``snapshot``, ``page`` (id: its finish time) per finished page, then ``summary``.

    With ``Last-Event-ID`` only pages finished after that page are sent.
    The stream ends after ``summary``; an EventSource should close then,
    or it reconnects and gets the snapshot and summary again.
    """
    since = _parse_event_id(last_event_id) if last_event_id else None
    stream = client.watch_document(document_id, since=since)
    try:
        # The first event is read before answering, so an unknown document is a 404, not a broken stream.
        first = await anext(stream)
    except BaseException:
        stream.cancel()
        raise
    return StreamingResponse(
        _sse(stream, first, request.app.state.heartbeat_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# -- uploads ---------------------------------------------------------------------


async def _read_upload(request: Request, filename: str | None) -> tuple[UploadFile, str, str | None]:
    """The uploaded file (spooled, rewound), its name and its declared media type if planocr knows it."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            await form.close()
            raise HTTPException(400, "the multipart body needs a file field named 'file'")
        name = filename or upload.filename
        content_type = (upload.content_type or "").lower()
    else:
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the UploadFile closes it
        upload = UploadFile(cast(BinaryIO, spool), filename=filename)
        try:
            async for chunk in request.stream():
                await upload.write(chunk)
        except BaseException:  # the client left, or the body is over max_upload_bytes
            spool.close()
            raise
        name = filename
    if not name:
        await upload.close()
        raise HTTPException(400, "a file name is required: the multipart file's, or ?filename= with a raw body")
    await upload.seek(0)
    return upload, name, content_type if content_type in DECLARED_TYPES else None


# -- progress --------------------------------------------------------------------


def _state_name(state: int) -> str:
    return PageState.Name(state).removeprefix("PAGE_STATE_").lower()


def _counts_json(document: Document) -> dict[str, int]:
    counts = document.page_counts
    return {
        "pending": counts.pending,
        "processing": counts.processing,
        "completed": counts.completed,
        "failed": counts.failed,
    }


def _summary_json(summary: DocumentSummary) -> dict[str, Any]:
    return {
        "document_id": summary.document_id,
        "total_pages": summary.total_pages,
        "completed": summary.completed,
        "failed": summary.failed,
        "skipped": summary.skipped,
        "duplicate_sheet_numbers": list(summary.duplicate_sheet_numbers),
    }


def _operation_json(operation: DocumentOperation) -> dict[str, Any]:
    progress = operation.progress
    return {
        "name": operation.name,
        "done": operation.done,
        "cancel_requested": progress.cancel_requested,
        "progress": {
            "total_pages": progress.total_pages,
            "to_process": progress.to_process,
            "done": progress.done,
            "completed": progress.completed,
            "failed": progress.failed,
            "skipped": progress.skipped,
        },
        "summary": _summary_json(operation.summary) if operation.summary is not None else None,
        "error": str(operation.error) if operation.error is not None else None,
    }


def _status_json(document: Document, operation: DocumentOperation | None) -> dict[str, Any]:
    counts = document.page_counts
    if operation is not None and not operation.done:
        state = "processing"
    elif counts.pending or counts.processing:
        state = "incomplete"  # pages are waiting and no operation is reading them (e.g. it was cancelled)
    else:
        state = "done"
    return {
        "document_id": document.document_id,
        "filename": document.filename,
        "page_count": document.page_count,
        "state": state,
        "pages": _counts_json(document),
        "operation": _operation_json(operation) if operation is not None else None,
    }


def _page_json(page: PageProcessed) -> dict[str, Any]:
    return {
        "page_id": page.page_id,
        "page_number": page.page_number,
        "state": _state_name(page.state),
        "sheet_number": page.sheet_number,
        "title": page.title,
        "scale": page.scale_text,
        "done": page.done,
        "total": page.total,
        "finish_time": page.finish_time.ToJsonString() if page.HasField("finish_time") else None,
        "error": page.error.message if page.HasField("error") else None,
    }


# -- server-sent events ------------------------------------------------------------


def _parse_event_id(value: str) -> timestamp_pb2.Timestamp:
    since = timestamp_pb2.Timestamp()
    try:
        since.FromJsonString(value.strip())
    except ValueError:
        raise HTTPException(400, "Last-Event-ID is not the id of a page event") from None
    return since


def _event(name: str, data: dict[str, Any], event_id: str | None = None) -> str:
    # json.dumps escapes newlines, so the data is always one line.
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _sse_event(response: WatchDocumentResponse) -> str | None:
    kind = response.WhichOneof("event")
    if kind == "snapshot":
        snapshot = response.snapshot
        data = {
            "document_id": snapshot.document.document_id,
            "page_count": snapshot.document.page_count,
            "pages": _counts_json(snapshot.document),
            "operation": snapshot.operation or None,
        }
        return _event("snapshot", data)
    if kind == "page":
        page = _page_json(response.page)
        return _event("page", page, page["finish_time"])
    if kind == "summary":
        return _event("summary", _summary_json(response.summary))
    return None  # an event kind newer than this app


async def _next_event(stream: AsyncWatchDocumentStream) -> WatchDocumentResponse | None:
    try:
        return await anext(stream)
    except StopAsyncIteration:
        return None


async def _sse(stream: AsyncWatchDocumentStream, first: WatchDocumentResponse, heartbeat: float) -> AsyncIterator[str]:
    """The stream's events as SSE, with a comment after ``heartbeat`` quiet seconds.

    The read runs as its own task so that waiting for the heartbeat never
    cancels it (cancelling a grpc.aio read cancels the call). When the client
    leaves, this generator is cancelled and the WatchDocument call with it;
    the reading goes on in planocr.
    """
    reading: asyncio.Task[WatchDocumentResponse | None] | None = None
    try:
        if (text := _sse_event(first)) is not None:
            yield text
        reading = asyncio.ensure_future(_next_event(stream))
        while True:
            done, _ = await asyncio.wait({reading}, timeout=heartbeat)
            if not done:
                yield ": keep-alive\n\n"
                continue
            if reading.cancelled():
                return  # the client was closed (app shutdown)
            try:
                event = reading.result()
            except PlanocrError as error:
                # Too late for an HTTP status: tell the client, which may reconnect with Last-Event-ID.
                yield _event("error", _error_json(error))
                return
            if event is None:
                return
            if (text := _sse_event(event)) is not None:
                yield text
            reading = asyncio.ensure_future(_next_event(stream))
    finally:
        stream.cancel()
        if reading is not None and not reading.done():
            reading.cancel()
            # Nothing awaits it any more: collect its outcome so asyncio does not log it.
            reading.add_done_callback(lambda task: task.cancelled() or task.exception())


# -- errors ------------------------------------------------------------------------


def http_status(error: PlanocrError) -> int:
    """The HTTP status for a planocr error; errors that are not the caller's fault are 5xx."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, InvalidArgument | OutOfRange):
        return 400
    if isinstance(error, AlreadyExists | Aborted | FailedPrecondition):
        return 409
    if isinstance(error, ResourceExhausted):
        return 429 if error.retryable else 413  # queue full, or the upload or an image is too large
    if isinstance(error, Unavailable):
        return 503
    if isinstance(error, DeadlineExceeded):
        return 504
    return 502  # authentication of this app, planocr's own bugs: nothing the caller can fix


def _error_json(error: PlanocrError) -> dict[str, Any]:
    status = http_status(error)
    # planocr's messages are meant for callers; a 5xx says only what kind of failure it was.
    message = error.message if status < 500 else f"planocr: {error.code.name.lower()}"
    return {"detail": message, "code": error.code.name, "reason": error.reason}


async def _planocr_error(request: Request, error: PlanocrError) -> JSONResponse:
    headers = {}
    if error.retryable:
        headers["Retry-After"] = str(max(1, round(error.retry_delay or 1)))
    return JSONResponse(status_code=http_status(error), content=_error_json(error), headers=headers)


#: For ``uvicorn examples.fastapi_app:app``; the target is read from PLANOCR_TARGET at startup.
app = create_app()
