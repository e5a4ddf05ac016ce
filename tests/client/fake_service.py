"""A small in-memory OcrService for the client tests, served on a real loopback port.

It records every call (request, invocation metadata, deadline), answers from
canned documents and pages, and can be told to fail the next calls of a
method with a rich status, to be slow, or to fail a ProcessDocument stream
half way.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import threading
import uuid
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from planocr.v1 import document_pb2, ocr_service_pb2, ocr_service_pb2_grpc, page_pb2

DOMAIN = "planocr.dev"

# time_remaining() of a call without a deadline is about 9.2e18 seconds.
NO_DEADLINE = 1e9


def rich_status(code: int, message: str, reason: str, **metadata: str) -> status_pb2.Status:
    """A google.rpc.Status carrying one ErrorInfo, the way the planocr server builds its errors."""
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=DOMAIN, metadata=metadata))
    return status_pb2.Status(code=code, message=message, details=[detail])


def unavailable() -> status_pb2.Status:
    return rich_status(code_pb2.UNAVAILABLE, "database is not answering", "DATABASE_UNAVAILABLE")


@dataclasses.dataclass
class Call:
    """One call the fake received."""

    method: str
    request: Any
    metadata: dict[str, str]
    time_remaining: float
    peer_identities: list[bytes] | None = None
    ended_early: threading.Event = dataclasses.field(default_factory=threading.Event)


class FakeOcrService(ocr_service_pb2_grpc.OcrServiceServicer):
    """Canned answers, recorded calls, scripted failures."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[Call] = []
        self.failures: dict[str, collections.deque[status_pb2.Status]] = collections.defaultdict(
            collections.deque
        )
        self.delays: dict[str, float] = {}
        # Methods that raise a plain exception, as a servicer bug would.
        self.crashing: set[str] = set()
        self.documents: dict[str, document_pb2.Document] = {}
        self.pages: dict[str, page_pb2.Page] = {}
        self.by_request_id: dict[str, str] = {}
        # ProcessDocument: abort with this status after this many page events.
        self.stream_failure: tuple[int, status_pb2.Status] | None = None
        # ProcessDocument: pause between events (seconds), to test cancellation.
        self.event_gap = 0.0

    # -- scripting ---------------------------------------------------------

    def fail_next(self, method: str, status: status_pb2.Status, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` end with ``status``."""
        self.failures[method].extend([status] * times)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def add_document(self, page_count: int, *, failed_pages: tuple[int, ...] = ()) -> document_pb2.Document:
        """Store a document with ``page_count`` pending pages; those numbered in ``failed_pages`` failed."""
        document_id = str(uuid.uuid4())
        document = document_pb2.Document(
            document_id=document_id, filename="set.pdf", content_type="application/pdf", page_count=page_count
        )
        self.documents[document_id] = document
        for number in range(1, page_count + 1):
            page = page_pb2.Page(
                page_id=str(uuid.uuid4()),
                document_id=document_id,
                page_number=number,
                width=5400,
                height=3600,
                state=page_pb2.PAGE_STATE_PENDING,
                sheet_number=f"A-{100 + number}",
                title=f"PLAN {number}",
                text=f"full text of page {number}",
                blocks=[page_pb2.TextBlock(text=f"A-{100 + number}")],
            )
            if number in failed_pages:
                page.state = page_pb2.PAGE_STATE_FAILED
                page.error.CopyFrom(
                    rich_status(code_pb2.FAILED_PRECONDITION, "page image is missing", "IMAGE_MISSING")
                )
            self.pages[page.page_id] = page
        return document

    def pages_of(self, document_id: str) -> list[page_pb2.Page]:
        pages = [page for page in self.pages.values() if page.document_id == document_id]
        return sorted(pages, key=lambda page: page.page_number)

    # -- plumbing ----------------------------------------------------------

    def _begin(self, method: str, request: Any, context: grpc.ServicerContext) -> Call:
        call = Call(
            method=method,
            request=request,
            metadata=dict(context.invocation_metadata()),
            time_remaining=context.time_remaining(),
            peer_identities=context.peer_identities(),
        )
        with self._lock:
            self.calls.append(call)
            failure = self.failures[method].popleft() if self.failures[method] else None
        finished = threading.Event()
        context.add_callback(finished.set)
        if method in self.crashing:
            raise RuntimeError("bug in the servicer")
        if failure is not None:
            context.abort_with_status(rpc_status.to_status(failure))
        delay = self.delays.get(method)
        if delay:
            # The callback fires when the client gives up, so a cancelled or
            # expired call frees this thread at once.
            finished.wait(delay)
            if not context.is_active():
                call.ended_early.set()
        return call

    def _abort(self, context: grpc.ServicerContext, status: status_pb2.Status) -> None:
        context.abort_with_status(rpc_status.to_status(status))

    def _page(self, page_id: str, context: grpc.ServicerContext) -> page_pb2.Page:
        try:
            uuid.UUID(page_id)
        except ValueError:
            self._abort(
                context,
                rich_status(
                    code_pb2.INVALID_ARGUMENT, "page_id is not a UUID", "INVALID_ID", field="page_id"
                ),
            )
        if page_id not in self.pages:
            self._abort(
                context,
                rich_status(code_pb2.NOT_FOUND, "page not found", "PAGE_NOT_FOUND", page_id=page_id),
            )
        return self.pages[page_id]

    @staticmethod
    def _view(page: page_pb2.Page, view: int, default: int) -> page_pb2.Page:
        copy = page_pb2.Page()
        copy.CopyFrom(page)
        if (view or default) == page_pb2.PAGE_VIEW_BASIC:
            copy.ClearField("text")
            copy.ClearField("blocks")
        return copy

    # -- the service -------------------------------------------------------

    def CreateDocument(self, request_iterator, context):
        requests = list(request_iterator)
        self._begin("CreateDocument", requests, context)
        if not requests or requests[0].WhichOneof("payload") != "metadata":
            self._abort(context, rich_status(code_pb2.INVALID_ARGUMENT, "metadata first", "INVALID_ARGUMENT"))
        upload = requests[0].metadata
        data = b"".join(request.chunk for request in requests[1:])
        with self._lock:
            if upload.request_id and upload.request_id in self.by_request_id:
                existing = self.documents[self.by_request_id[upload.request_id]]
                return ocr_service_pb2.CreateDocumentResponse(document=existing, created=False)
            document = document_pb2.Document(
                document_id=str(uuid.uuid4()),
                filename=upload.filename,
                content_type=upload.content_type or "application/pdf",
                source_key=upload.source_key,
                page_count=1,
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                request_id=upload.request_id,
            )
            self.documents[document.document_id] = document
            if upload.request_id:
                self.by_request_id[upload.request_id] = document.document_id
        return ocr_service_pb2.CreateDocumentResponse(document=document, created=True)

    def GetDocument(self, request, context):
        self._begin("GetDocument", request, context)
        if request.document_id not in self.documents:
            self._abort(context, rich_status(code_pb2.NOT_FOUND, "document not found", "DOCUMENT_NOT_FOUND"))
        return ocr_service_pb2.GetDocumentResponse(document=self.documents[request.document_id])

    def ListPages(self, request, context):
        self._begin("ListPages", request, context)
        if request.document_id not in self.documents:
            self._abort(context, rich_status(code_pb2.NOT_FOUND, "document not found", "DOCUMENT_NOT_FOUND"))
        pages = self.pages_of(request.document_id)
        try:
            start = int(request.page_token or "0")
        except ValueError:
            self._abort(context, rich_status(code_pb2.INVALID_ARGUMENT, "bad token", "INVALID_PAGE_TOKEN"))
        size = min(request.page_size or 50, 1000)
        chosen = pages[start : start + size]
        next_token = str(start + size) if start + size < len(pages) else ""
        return ocr_service_pb2.ListPagesResponse(
            pages=[self._view(page, request.view, page_pb2.PAGE_VIEW_BASIC) for page in chosen],
            next_page_token=next_token,
            total_size=len(pages),
        )

    def GetPage(self, request, context):
        self._begin("GetPage", request, context)
        page = self._page(request.page_id, context)
        return ocr_service_pb2.GetPageResponse(page=self._view(page, request.view, page_pb2.PAGE_VIEW_FULL))

    def ProcessPage(self, request, context):
        self._begin("ProcessPage", request, context)
        page = self._page(request.page_id, context)
        outcome = ocr_service_pb2.PROCESS_OUTCOME_PROCESSED
        if page.state == page_pb2.PAGE_STATE_COMPLETED and not request.options.force:
            outcome = ocr_service_pb2.PROCESS_OUTCOME_ALREADY_COMPLETED
        page.state = page_pb2.PAGE_STATE_COMPLETED
        page.engine = request.options.engine or "null"
        return ocr_service_pb2.ProcessPageResponse(
            page=self._view(page, request.view, page_pb2.PAGE_VIEW_FULL), outcome=outcome
        )

    def ProcessDocument(self, request, context) -> Iterator[ocr_service_pb2.ProcessDocumentResponse]:
        call = self._begin("ProcessDocument", request, context)
        if request.document_id not in self.documents:
            self._abort(context, rich_status(code_pb2.NOT_FOUND, "document not found", "DOCUMENT_NOT_FOUND"))
        pages = self.pages_of(request.document_id)
        yield ocr_service_pb2.ProcessDocumentResponse(
            started=ocr_service_pb2.DocumentStarted(
                document_id=request.document_id, total_pages=len(pages), to_process=len(pages)
            )
        )
        finished = threading.Event()
        stopped = threading.Event()
        # gRPC may notice a cancellation while sending and then never resume
        # this generator, so the end of the RPC is what tells.
        context.add_callback(lambda: (stopped.set(), None if finished.is_set() else call.ended_early.set()))
        for done, page in enumerate(pages, start=1):
            if self.stream_failure is not None and done > self.stream_failure[0]:
                self._abort(context, self.stream_failure[1])
            if self.event_gap and stopped.wait(self.event_gap):
                return
            event = ocr_service_pb2.PageProcessed(
                page_id=page.page_id,
                page_number=page.page_number,
                state=page.state
                if page.state == page_pb2.PAGE_STATE_FAILED
                else page_pb2.PAGE_STATE_COMPLETED,
                sheet_number=page.sheet_number,
                title=page.title,
                outcome=ocr_service_pb2.PROCESS_OUTCOME_PROCESSED,
                done=done,
                total=len(pages),
            )
            if page.HasField("error"):
                event.error.CopyFrom(page.error)
            yield ocr_service_pb2.ProcessDocumentResponse(page=event)
        failed = sum(1 for page in pages if page.state == page_pb2.PAGE_STATE_FAILED)
        yield ocr_service_pb2.ProcessDocumentResponse(
            summary=ocr_service_pb2.DocumentSummary(
                document_id=request.document_id,
                total_pages=len(pages),
                completed=len(pages) - failed,
                failed=failed,
            )
        )
        finished.set()


class FakeServer:
    """A real grpc.server on 127.0.0.1 with the fake service and a health service."""

    def __init__(self, server_credentials: grpc.ServerCredentials | None = None) -> None:
        self.service = FakeOcrService()
        self.health = health.HealthServicer()
        self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        ocr_service_pb2_grpc.add_OcrServiceServicer_to_server(self.service, self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        if server_credentials is None:
            self.port = self._server.add_insecure_port("127.0.0.1:0")
        else:
            self.port = self._server.add_secure_port("127.0.0.1:0", server_credentials)
        self.target = f"127.0.0.1:{self.port}"

    def __enter__(self) -> FakeServer:
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop(grace=None).wait()
