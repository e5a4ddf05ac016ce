"""Blocking client for the planocr OcrService."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import grpc
from google.longrunning import operations_pb2, operations_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from planocr.client import _channel, _operations, _requests
from planocr.client._operations import DocumentOperation
from planocr.client.errors import Cancelled, Unavailable, from_grpc_error
from planocr.client.retry import DEFAULT_RETRY, RetryPolicy
from planocr.v1 import document_pb2, ocr_service_pb2, ocr_service_pb2_grpc, page_pb2

__all__ = ["PendingCall", "PlanocrClient", "ProcessDocumentStream", "WatchDocumentStream"]

_T = TypeVar("_T")
_E = TypeVar("_E")
DEFAULT = _channel.DEFAULT


class PlanocrClient:
    """Blocking client for planocr over one gRPC channel.

    The client is thread-safe: create one per process and share it. Close it
    with :meth:`close` or use it as a context manager.

    Deadlines: unary calls use ``timeout`` (seconds); uploads use
    ``upload_timeout``, because the server stores the file and renders its
    pages before answering; :meth:`process_document` uses ``stream_timeout``,
    which is None (no deadline) by default because a large set takes
    minutes. Each method's ``timeout=`` overrides the default for that call,
    and ``timeout=None`` removes the deadline. Retries share the deadline.

    Retries: calls failing with UNAVAILABLE are retried with jittered
    exponential backoff under ``retry``: the reads and ProcessPage always,
    ProcessDocument until its first event, uploads only when they carry a
    ``request_id`` (see :mod:`planocr.client.retry` for why).
    ``retry=None`` turns retries off.

    Security: ``tls=True`` uses TLS with the system roots, or with
    ``root_certificates``; ``client_cert`` and ``client_key`` add a client
    certificate (mTLS). PEMs are given as bytes or as file paths. ``token`` is
    sent as ``authorization: Bearer <token>`` on every call.

    Errors: every failed call raises a :class:`planocr.client.errors.PlanocrError`
    subclass chained to the original ``grpc.RpcError``. Return values are the
    protobuf messages of the ``planocr.v1`` contract.

    ``options`` are extra gRPC channel arguments; they override the client's
    own (message size limits, ``grpc.service_config``).
    """

    def __init__(
        self,
        target: str,
        *,
        timeout: float | None = 30.0,
        tls: bool = False,
        root_certificates: _channel.PemSource | None = None,
        client_cert: _channel.PemSource | None = None,
        client_key: _channel.PemSource | None = None,
        token: str | None = None,
        options: Sequence[tuple[str, Any]] | None = None,
        upload_timeout: float | None = 600.0,
        stream_timeout: float | None = None,
        retry: RetryPolicy | None = DEFAULT_RETRY,
    ) -> None:
        credentials = _channel.channel_credentials(
            tls=tls,
            root_certificates=root_certificates,
            client_cert=client_cert,
            client_key=client_key,
            token=token,
        )
        channel_options = _channel.channel_options(retry, options)
        if credentials is None:
            self._channel = grpc.insecure_channel(target, options=channel_options)
        else:
            self._channel = grpc.secure_channel(target, credentials, options=channel_options)
        self._stub = ocr_service_pb2_grpc.OcrServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._operations = operations_pb2_grpc.OperationsStub(self._channel)
        self._metadata = _channel.auth_metadata(tls=tls, token=token)
        self._retry = retry
        self.target = target
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self.stream_timeout = stream_timeout

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Close the channel; calls in flight are cancelled."""
        self._channel.close()

    def __enter__(self) -> PlanocrClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- documents ---------------------------------------------------------

    def upload(
        self,
        source: _requests.UploadSource,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        request_id: str | None = None,
        render_dpi: int = 0,
        chunk_size: int = _requests.DEFAULT_CHUNK_SIZE,
        timeout: float | None = DEFAULT,
    ) -> document_pb2.Document:
        """Upload a drawing set and return the new document, its pages pending.

        ``source`` is a path, the file's bytes, or a binary file object (read
        from its current position). ``filename`` defaults to the source's base
        name and is required for bytes. ``content_type`` empty lets the server
        guess from the bytes. The file is streamed in ``chunk_size`` pieces
        (at most 3 MiB) after one metadata message.

        With a ``request_id`` the upload is idempotent: a second upload with
        the same id returns the first document, so an UNAVAILABLE failure is
        retried (when the source can be read again). Without one it is not.
        """
        _requests.check_chunk_size(chunk_size)
        body = _requests.UploadBody(source)
        first = _requests.upload_metadata(
            filename=filename or body.default_filename() or "",
            content_type=content_type,
            request_id=request_id,
            render_dpi=render_dpi,
        )

        def send(remaining: float | None) -> ocr_service_pb2.CreateDocumentResponse:
            reader = body.open()
            try:
                return self._stub.CreateDocument(
                    _upload_requests(first, reader, chunk_size), timeout=remaining, metadata=self._metadata
                )
            finally:
                reader.close()

        retry = bool(request_id) and body.rewindable
        return self._create_document(
            send, retry, _channel.resolve_timeout(timeout, self.upload_timeout)
        ).document

    def upload_from_storage(
        self,
        source_key: str,
        filename: str,
        *,
        content_type: str | None = None,
        request_id: str | None = None,
        render_dpi: int = 0,
        timeout: float | None = DEFAULT,
    ) -> document_pb2.Document:
        """Create a document from an object already in the service's storage.

        Sends only the metadata message, with ``source_key`` set. Retried on
        UNAVAILABLE only when ``request_id`` is given, as for :meth:`upload`.
        """
        if not source_key:
            raise ValueError("source_key is required")
        first = _requests.upload_metadata(
            filename=filename,
            content_type=content_type,
            request_id=request_id,
            render_dpi=render_dpi,
            source_key=source_key,
        )

        def send(remaining: float | None) -> ocr_service_pb2.CreateDocumentResponse:
            return self._stub.CreateDocument(iter([first]), timeout=remaining, metadata=self._metadata)

        return self._create_document(
            send, bool(request_id), _channel.resolve_timeout(timeout, self.upload_timeout)
        ).document

    def get_document(self, document_id: str, *, timeout: float | None = DEFAULT) -> document_pb2.Document:
        """Return a document with its pages counted by state."""
        request = ocr_service_pb2.GetDocumentRequest(document_id=document_id)
        return self._unary(self._stub.GetDocument, request, timeout).document

    # -- pages -------------------------------------------------------------

    def get_page(self, page_id: str, *, full: bool = True, timeout: float | None = DEFAULT) -> page_pb2.Page:
        """Return a page; ``full=False`` leaves out the text and the text blocks."""
        request = ocr_service_pb2.GetPageRequest(page_id=page_id, view=_requests.page_view(full))
        return self._unary(self._stub.GetPage, request, timeout).page

    def list_pages(
        self,
        document_id: str,
        *,
        page_size: int = 100,
        full: bool = False,
        page_token: str = "",
        timeout: float | None = DEFAULT,
    ) -> Iterator[page_pb2.Page]:
        """Iterate over a document's pages in page order.

        Fetches ``page_size`` pages per call and follows ``next_page_token``
        until the server has no more; each call has its own deadline. The
        first call is made when iteration starts. ``page_token`` resumes a
        listing; ``full=True`` includes the text and blocks of every page.
        """
        request = ocr_service_pb2.ListPagesRequest(
            document_id=document_id,
            page_size=page_size,
            page_token=page_token,
            view=_requests.page_view(full),
        )
        while True:
            response = self._unary(self._stub.ListPages, request, timeout)
            yield from response.pages
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token

    # -- processing --------------------------------------------------------

    def process_page(
        self,
        page_id: str,
        *,
        force: bool = False,
        engine: str = "",
        text_source: int | str | None = None,
        full: bool = True,
        timeout: float | None = DEFAULT,
    ) -> ocr_service_pb2.ProcessPageResponse:
        """Read one page now and return it with what the call did (``outcome``).

        A completed page comes back as it is unless ``force``. ``engine``
        empty means the server's default; ``text_source`` is a
        ``TextSourceMode`` or one of ``"auto"``, ``"ocr"``, ``"text_layer"``.
        A page whose reading fails raises the error (and is stored as failed).
        """
        request = _requests.process_page_request(page_id, force, engine, text_source, full)
        return self._unary(self._stub.ProcessPage, request, timeout)

    def process_page_future(
        self,
        page_id: str,
        *,
        force: bool = False,
        engine: str = "",
        text_source: int | str | None = None,
        full: bool = True,
        timeout: float | None = DEFAULT,
    ) -> PendingCall[ocr_service_pb2.ProcessPageResponse]:
        """Start :meth:`process_page` and return at once with a :class:`PendingCall`.

        For sending many pages from one thread, or for giving up on a page
        early: :meth:`PendingCall.cancel` tells the server, which then saves
        the page if it was already read or gives it back otherwise.
        """
        request = _requests.process_page_request(page_id, force, engine, text_source, full)
        call = self._stub.ProcessPage.future(
            request, timeout=_channel.resolve_timeout(timeout, self.timeout), metadata=self._metadata
        )
        return PendingCall(call)

    def process_document(
        self,
        document_id: str,
        *,
        force: bool = False,
        engine: str = "",
        text_source: int | str | None = None,
        timeout: float | None = DEFAULT,
    ) -> ProcessDocumentStream:
        """Read every page of a document and iterate over the progress events.

        The call starts at once. Events are ``ProcessDocumentResponse``
        messages: ``started``, one ``page`` per page as it finishes, then
        ``summary``. A page that fails does not end the stream: its event has
        ``state`` FAILED and an ``error`` (see
        :func:`planocr.client.errors.from_status`). The deadline defaults to
        ``stream_timeout``. Leaving the iteration early should go through
        :meth:`ProcessDocumentStream.cancel` or a ``with`` block so the
        server stops too.
        """
        request = ocr_service_pb2.ProcessDocumentRequest(
            document_id=document_id, options=_requests.process_options(force, engine, text_source)
        )
        call = self._stub.ProcessDocument(
            request, timeout=_channel.resolve_timeout(timeout, self.stream_timeout), metadata=self._metadata
        )
        return ProcessDocumentStream(call)

    # -- background work -----------------------------------------------------

    def start_document(
        self,
        document_id: str,
        *,
        force: bool = False,
        engine: str = "",
        text_source: int | str | None = None,
        priority: int = 0,
        request_id: str = "",
        timeout: float | None = DEFAULT,
    ) -> DocumentOperation:
        """Ask for every page of a document to be read in the background and return at once.

        The server's workers (any replica's, also after a restart) read the
        pages whether or not anyone is listening. Follow the work with
        :meth:`watch_document`, :meth:`get_operation` or
        :meth:`wait_operation`; stop it with :meth:`cancel_operation`.
        A document has one running operation at a time: starting it again
        returns that one. ``request_id`` makes the call idempotent; a higher
        ``priority`` is served first.
        """
        request = _operations.start_request(document_id, force, engine, text_source, priority, request_id)
        return DocumentOperation.from_proto(self._unary(self._stub.StartDocument, request, timeout))

    def get_operation(self, name: str, *, timeout: float | None = DEFAULT) -> DocumentOperation:
        """The operation ``name`` (``operations/<id>``) as it stands."""
        request = operations_pb2.GetOperationRequest(name=name)
        return DocumentOperation.from_proto(self._unary(self._operations.GetOperation, request, timeout))

    def wait_operation(self, name: str, *, timeout: float | None = None) -> DocumentOperation:
        """Wait until the operation is done, or ``timeout`` seconds (None: no limit); returns it as it then stands."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            request = _operations.wait_request(name, remaining)
            call_timeout = request.timeout.ToTimedelta().total_seconds() + self._wait_margin
            operation = DocumentOperation.from_proto(self._unary(self._operations.WaitOperation, request, call_timeout))
            if operation.done or (deadline is not None and time.monotonic() >= deadline):
                return operation

    def cancel_operation(self, name: str, *, timeout: float | None = DEFAULT) -> None:
        """Stop a running operation: pages not yet started are no longer read. It then ends with a Cancelled error."""
        self._unary(self._operations.CancelOperation, operations_pb2.CancelOperationRequest(name=name), timeout)

    def delete_operation(self, name: str, *, timeout: float | None = DEFAULT) -> None:
        """Forget an operation that has ended (its pages keep their results)."""
        self._unary(self._operations.DeleteOperation, operations_pb2.DeleteOperationRequest(name=name), timeout)

    def list_operations(
        self, *, document_id: str | None = None, done: bool | None = None, page_size: int = 100, timeout: float | None = DEFAULT
    ) -> Iterator[DocumentOperation]:
        """Iterate over operations, newest first, optionally of one document or by whether they are done."""
        request = operations_pb2.ListOperationsRequest(
            name="operations", filter=_operations.list_filter(document_id, done), page_size=page_size
        )
        while True:
            response = self._unary(self._operations.ListOperations, request, timeout)
            for operation in response.operations:
                yield DocumentOperation.from_proto(operation)
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token

    def watch_document(
        self, document_id: str, *, since: Any = None, timeout: float | None = DEFAULT
    ) -> WatchDocumentStream:
        """Follow a document's progress, wherever its pages are read; iterate over the events.

        Events are ``WatchDocumentResponse`` messages: a ``snapshot`` with the
        page counts, a ``page`` event per finished page (only those finished
        after ``since``, a datetime or Timestamp, e.g. the ``finish_time`` of
        the last event seen), then one per page as it finishes and a
        ``summary`` once no page is left pending or processing. Leaving the
        stream does not stop the work. The deadline defaults to ``stream_timeout``.
        """
        request = _operations.watch_request(document_id, since)
        call = self._stub.WatchDocument(
            request, timeout=_channel.resolve_timeout(timeout, self.stream_timeout), metadata=self._metadata
        )
        return WatchDocumentStream(call)

    #: How much longer than the server's wait a WaitOperation call's own deadline is.
    _wait_margin = 10.0

    # -- health ------------------------------------------------------------

    def health(self, service: str = "", *, timeout: float | None = DEFAULT) -> health_pb2.HealthCheckResponse:
        """Ask the standard gRPC health service; ``""`` is the server as a whole.

        ``client.health().status == HealthCheckResponse.SERVING`` when it is up.
        """
        request = health_pb2.HealthCheckRequest(service=service)
        return self._unary(self._health.Check, request, timeout)

    # -- internals ---------------------------------------------------------

    def _unary(self, method: Callable[..., _T], request: Any, timeout: float | None) -> _T:
        try:
            return method(
                request, timeout=_channel.resolve_timeout(timeout, self.timeout), metadata=self._metadata
            )
        except grpc.RpcError as exc:
            raise from_grpc_error(exc) from exc

    def _create_document(
        self,
        send: Callable[[float | None], ocr_service_pb2.CreateDocumentResponse],
        retry: bool,
        timeout: float | None,
    ) -> ocr_service_pb2.CreateDocumentResponse:
        # Retried here rather than by gRPC: see planocr.client.retry.
        deadline = None if timeout is None else time.monotonic() + timeout
        delays = self._retry.backoff_delays() if retry and self._retry is not None else iter(())
        while True:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                return send(remaining)
            except grpc.RpcError as exc:
                error = from_grpc_error(exc)
                delay = next(delays, None) if isinstance(error, Unavailable) else None
                if delay is None or (deadline is not None and time.monotonic() + delay >= deadline):
                    raise error from exc
            time.sleep(delay)


class PendingCall(Generic[_T]):
    """A unary call in flight: wait for its response, cancel it, or be called back when it ends.

    :meth:`result` returns the response or raises the call's
    :class:`planocr.client.errors.PlanocrError` (``Cancelled`` after
    :meth:`cancel`). Safe to use from several threads.
    """

    def __init__(self, call: Any) -> None:
        self._call = call

    def done(self) -> bool:
        """Whether the call has ended (answered, failed or cancelled)."""
        return bool(self._call.done())

    def cancel(self) -> bool:
        """Cancel the call; False when it had already ended."""
        return bool(self._call.cancel())

    def add_done_callback(self, fn: Callable[[PendingCall[_T]], None]) -> None:
        """Call ``fn(self)`` when the call ends, at once if it already has (on a gRPC thread otherwise)."""
        self._call.add_done_callback(lambda _call: fn(self))

    def result(self, timeout: float | None = None) -> _T:
        """The response, waiting up to ``timeout`` seconds (``TimeoutError`` after that; the call goes on)."""
        try:
            return self._call.result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise TimeoutError(f"the call did not end within {timeout} s") from None
        except grpc.FutureCancelledError:
            raise Cancelled("the call was cancelled") from None
        except grpc.RpcError as exc:
            raise from_grpc_error(exc) from exc


class _EventStream(Iterator[_E]):
    """The events of one server-streaming call, as an iterator; errors raise PlanocrError subclasses."""

    def __init__(self, call: Any) -> None:
        self._call = call
        self._cancelled = False

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> _E:
        if self._cancelled:
            raise StopIteration
        try:
            return next(self._call)
        except grpc.RpcError as exc:
            if self._cancelled:
                raise StopIteration from None
            raise from_grpc_error(exc) from exc

    def cancel(self) -> None:
        """Cancel the call; does nothing if it has finished."""
        self._cancelled = True
        self._call.cancel()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cancel()


class ProcessDocumentStream(_EventStream[ocr_service_pb2.ProcessDocumentResponse]):
    """The events of one ProcessDocument call, as an iterator.

    Errors raise :class:`planocr.client.errors.PlanocrError` subclasses.
    :meth:`cancel` (or leaving a ``with`` block) cancels the call, which
    stops the server's work on pages not yet started, and ends the iteration.
    """


class WatchDocumentStream(_EventStream[ocr_service_pb2.WatchDocumentResponse]):
    """The events of one WatchDocument call, as an iterator.

    :meth:`cancel` (or leaving a ``with`` block) ends the stream; the work
    on the document goes on.
    """


def _upload_requests(
    first: ocr_service_pb2.CreateDocumentRequest, reader: _requests.Reader, chunk_size: int
) -> Iterator[ocr_service_pb2.CreateDocumentRequest]:
    yield first
    while chunk := reader.read(chunk_size):
        yield _requests.chunk_request(chunk)
