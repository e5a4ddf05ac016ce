"""The OcrService servicer: validate, call the job layer, convert to protobuf.

It holds no error handling of its own: domain errors raised here propagate
to :class:`planocr.rpc.interceptors.ErrorInterceptor`, the one place that turns
them into statuses.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import grpc

from planocr.db.repository import Repository, parse_id
from planocr.errors import Cancelled, DeadlineExceeded, InvalidArgument, Reason, quote
from planocr.jobs.cancel import CancelToken
from planocr.jobs.operations import Operations
from planocr.jobs.pages import PageJobs
from planocr.jobs.pipeline import Pipeline, ProcessOptions
from planocr.jobs.uploads import UploadRequest, Uploads
from planocr.jobs.workers import OcrPool
from planocr.rpc import convert
from planocr.rpc.calls import cancel_token, deadline
from planocr.rpc.interceptors import deadline_passed
from planocr.v1 import ocr_service_pb2, ocr_service_pb2_grpc, page_pb2

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
#: Engine names are short words; a longer one is refused before it reaches the registry.
MAX_ENGINE_NAME = 64
#: The length of the operations.request_id column.
MAX_REQUEST_ID = 256


def encode_page_token(document_id: str, after: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{document_id}:{after}".encode()).decode()


def decode_page_token(token: str, document_id: str) -> int:
    """The last page number of the previous page of results; INVALID_ARGUMENT for a foreign or damaged token."""
    try:
        version, doc, after = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        value = int(after)
    except (ValueError, UnicodeError):
        raise InvalidArgument("page_token is not valid", reason=Reason.INVALID_PAGE_TOKEN) from None
    if version != "v1" or doc != document_id or value < 0:
        raise InvalidArgument("page_token does not belong to this request", reason=Reason.INVALID_PAGE_TOKEN)
    return value


def _options(message: ocr_service_pb2.ProcessOptions) -> ProcessOptions:
    try:
        text_source = convert.text_source_mode(message.text_source_mode)
    except ValueError:
        raise InvalidArgument(f"unknown text_source_mode {message.text_source_mode}") from None
    if len(message.engine) > MAX_ENGINE_NAME:
        raise InvalidArgument(f"unknown engine {quote(message.engine, 20)}", reason=Reason.UNKNOWN_ENGINE)
    return ProcessOptions(
        force=message.force,
        engine=message.engine or None,
        text_source=text_source,
    )


def _full(view: int, default_full: bool) -> bool:
    if view == page_pb2.PAGE_VIEW_UNSPECIFIED:
        return default_full
    if view not in (page_pb2.PAGE_VIEW_BASIC, page_pb2.PAGE_VIEW_FULL):
        raise InvalidArgument(f"unknown page view {view}")
    return view == page_pb2.PAGE_VIEW_FULL


def _requests(request_iterator: Iterator, context: grpc.ServicerContext) -> Iterator:
    """The request stream; gRPC ends it with a bare RpcError when the caller goes away or its deadline passes."""
    try:
        yield from request_iterator
    except grpc.RpcError:
        if deadline_passed(context):
            raise DeadlineExceeded("the upload did not finish before the caller's deadline") from None
        raise Cancelled("the caller went away during the upload") from None


class OcrServicer(ocr_service_pb2_grpc.OcrServiceServicer):
    def __init__(
        self,
        repository: Repository,
        pipeline: Pipeline,
        pool: OcrPool,
        uploads: Uploads,
        stopping: CancelToken,
        operations: Operations,
    ):
        self.repo = repository
        self.uploads = uploads
        self.stopping = stopping
        self.jobs = PageJobs(pipeline, pool, operations.store)
        self.operations = operations

    @contextmanager
    def _shutdown_reason(self) -> Iterator[None]:
        """A call cut short because the server is stopping says so: CANCELLED with reason SHUTTING_DOWN."""
        try:
            yield
        except Cancelled as error:
            if self.stopping.cancelled and error.reason != Reason.SHUTTING_DOWN:
                raise Cancelled(
                    "the server is shutting down; send the call again (to another replica)", reason=Reason.SHUTTING_DOWN
                ) from error
            raise

    # -- documents ----------------------------------------------------------

    def CreateDocument(self, request_iterator, context):  # noqa: N802 - gRPC method name
        request_iterator = _requests(request_iterator, context)
        first = next(request_iterator, None)
        if first is None:
            raise InvalidArgument("the upload stream is empty; send metadata first", reason=Reason.UPLOAD_INCOMPLETE)
        if first.WhichOneof("payload") != "metadata":
            raise InvalidArgument("the first message of an upload must carry metadata", reason=Reason.UPLOAD_INCOMPLETE)
        meta = first.metadata

        def chunks() -> Iterator[bytes]:
            for message in request_iterator:
                if message.WhichOneof("payload") != "chunk":
                    raise InvalidArgument("metadata may only be sent in the first message")
                yield message.chunk

        request = UploadRequest(
            filename=meta.filename,
            content_type=meta.content_type,
            request_id=meta.request_id,
            source_key=meta.source_key,
            render_dpi=meta.render_dpi,
        )
        with self._shutdown_reason():
            document, created = self.uploads.create(request, chunks(), cancel_token(context, self.stopping), deadline(context))
        return ocr_service_pb2.CreateDocumentResponse(document=convert.document_message(document), created=created)

    def GetDocument(self, request, context):  # noqa: N802
        document = self.repo.get_document(parse_id(request.document_id, "document_id"))
        return ocr_service_pb2.GetDocumentResponse(document=convert.document_message(document))

    def ListPages(self, request, context):  # noqa: N802
        document_id = parse_id(request.document_id, "document_id")
        if request.page_size < 0:
            raise InvalidArgument("page_size must not be negative")
        size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        after = decode_page_token(request.page_token, str(document_id)) if request.page_token else 0
        full = _full(request.view, default_full=False)
        pages, total = self.repo.list_pages(document_id, after=after, limit=size + 1)
        more = len(pages) > size
        pages = pages[:size]
        return ocr_service_pb2.ListPagesResponse(
            pages=[convert.page_message(p, full=full) for p in pages],
            next_page_token=encode_page_token(str(document_id), pages[-1].page_number) if more else "",
            total_size=total,
        )

    # -- pages --------------------------------------------------------------

    def GetPage(self, request, context):  # noqa: N802
        full = _full(request.view, default_full=True)
        page = self.repo.get_page(parse_id(request.page_id, "page_id"))
        return ocr_service_pb2.GetPageResponse(page=convert.page_message(page, full=full))

    def ProcessPage(self, request, context):  # noqa: N802
        page_id = parse_id(request.page_id, "page_id")
        options = _options(request.options)
        full = _full(request.view, default_full=True)
        self.jobs.check_options(options)
        cancel = cancel_token(context, self.stopping)
        with self._shutdown_reason():
            result = self.jobs.process_page(page_id, options, cancel, deadline(context))
        if result.error is not None:
            raise result.error
        return ocr_service_pb2.ProcessPageResponse(
            page=convert.page_message(result.page, full=full), outcome=convert.OUTCOME[result.outcome]
        )

    def ProcessDocument(self, request, context):  # noqa: N802
        document_id = parse_id(request.document_id, "document_id")
        options = _options(request.options)
        self.jobs.check_options(options)
        cancel = cancel_token(context, self.stopping)
        with self._shutdown_reason():
            for event in self.jobs.process_document(document_id, options, cancel, deadline(context)):
                yield convert.document_event(event)

    # -- background work ------------------------------------------------------

    def StartDocument(self, request, context):  # noqa: N802
        document_id = parse_id(request.document_id, "document_id")
        options = _options(request.options)
        if len(request.request_id) > MAX_REQUEST_ID:
            raise InvalidArgument(f"request_id is longer than {MAX_REQUEST_ID} characters")
        operation, _created = self.operations.start(
            document_id, options, priority=request.priority, request_id=request.request_id or None
        )
        return convert.operation_message(operation)

    def WatchDocument(self, request, context):  # noqa: N802
        document_id = parse_id(request.document_id, "document_id")
        since = request.since.ToDatetime(tzinfo=dt.UTC) if request.HasField("since") else None
        cancel = cancel_token(context, self.stopping)
        with self._shutdown_reason():
            for event in self.jobs.watch_document(document_id, since, cancel):
                yield convert.watch_event(event)
