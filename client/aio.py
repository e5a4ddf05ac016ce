"""asyncio client for the planocr OcrService, on grpc.aio."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import grpc
import grpc.aio
from google.longrunning import operations_pb2, operations_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from planocr.client import _channel, _operations, _requests
from planocr.client._operations import DocumentOperation
from planocr.client.errors import Unavailable, from_grpc_error
from planocr.client.retry import DEFAULT_RETRY, RetryPolicy
from planocr.v1 import document_pb2, ocr_service_pb2, ocr_service_pb2_grpc, page_pb2

__all__ = ["AsyncPlanocrClient", "AsyncProcessDocumentStream", "AsyncWatchDocumentStream"]

_T = TypeVar("_T")
_E = TypeVar("_E")
DEFAULT = _channel.DEFAULT


class AsyncPlanocrClient:
    """asyncio client for planocr over one ``grpc.aio`` channel.

    Same surface, deadlines, retries, security and errors as
    :class:`planocr.client.PlanocrClient`, with coroutine methods;
    :meth:`list_pages` and :meth:`process_document` are async iterators.

    A grpc.aio channel belongs to the event loop it was created on: create
    the client inside the running loop (e.g. in a FastAPI lifespan) and do
    not share it with another loop or thread. Many tasks of that loop may use
    it at once. Close it with :meth:`close` or ``async with``.
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
            self._channel = grpc.aio.insecure_channel(target, options=channel_options)
        else:
            self._channel = grpc.aio.secure_channel(target, credentials, options=channel_options)
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

    async def close(self, grace: float | None = None) -> None:
        """Close the channel; calls still running after ``grace`` seconds are cancelled."""
        await self._channel.close(grace)

    async def __aenter__(self) -> AsyncPlanocrClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- documents ---------------------------------------------------------

    async def upload(
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
        """Upload a drawing set and return the new document; see :meth:`PlanocrClient.upload`.

        Files are opened and read in a worker thread, one chunk at a time,
        so the event loop never waits on the disk.
        """
        _requests.check_chunk_size(chunk_size)
        body = _requests.UploadBody(source)
        first = _requests.upload_metadata(
            filename=filename or body.default_filename() or "",
            content_type=content_type,
            request_id=request_id,
            render_dpi=render_dpi,
        )

        async def send(remaining: float | None) -> ocr_service_pb2.CreateDocumentResponse:
            reader = await asyncio.to_thread(body.open) if body.blocking else body.open()
            try:
                return await self._stub.CreateDocument(
                    _upload_requests(first, reader, chunk_size, body.blocking),
                    timeout=remaining,
                    metadata=self._metadata,
                )
            finally:
                if body.blocking:
                    await asyncio.to_thread(reader.close)
                else:
                    reader.close()

        retry = bool(request_id) and body.rewindable
        timeout = _channel.resolve_timeout(timeout, self.upload_timeout)
        return (await self._create_document(send, retry, timeout)).document

    async def upload_from_storage(
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

        See :meth:`PlanocrClient.upload_from_storage`.
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

        async def send(remaining: float | None) -> ocr_service_pb2.CreateDocumentResponse:
            return await self._stub.CreateDocument(iter([first]), timeout=remaining, metadata=self._metadata)

        timeout = _channel.resolve_timeout(timeout, self.upload_timeout)
        return (await self._create_document(send, bool(request_id), timeout)).document

    async def get_document(
        self, document_id: str, *, timeout: float | None = DEFAULT
    ) -> document_pb2.Document:
        """Return a document with its pages counted by state."""
        request = ocr_service_pb2.GetDocumentRequest(document_id=document_id)
        return (await self._unary(self._stub.GetDocument, request, timeout)).document

    # -- pages -------------------------------------------------------------

    async def get_page(
        self, page_id: str, *, full: bool = True, timeout: float | None = DEFAULT
    ) -> page_pb2.Page:
        """Return a page; ``full=False`` leaves out the text and the text blocks."""
        request = ocr_service_pb2.GetPageRequest(page_id=page_id, view=_requests.page_view(full))
        return (await self._unary(self._stub.GetPage, request, timeout)).page

    async def list_pages(
        self,
        document_id: str,
        *,
        page_size: int = 100,
        full: bool = False,
        page_token: str = "",
        timeout: float | None = DEFAULT,
    ) -> AsyncIterator[page_pb2.Page]:
        """Iterate (``async for``) over a document's pages; see :meth:`PlanocrClient.list_pages`."""
        request = ocr_service_pb2.ListPagesRequest(
            document_id=document_id,
            page_size=page_size,
            page_token=page_token,
            view=_requests.page_view(full),
        )
        while True:
            response = await self._unary(self._stub.ListPages, request, timeout)
            for page in response.pages:
                yield page
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token

    # -- processing --------------------------------------------------------

    async def process_page(
        self,
        page_id: str,
        *,
        force: bool = False,
        engine: str = "",
        text_source: int | str | None = None,
        full: bool = True,
        timeout: float | None = DEFAULT,
    ) -> ocr_service_pb2.ProcessPageResponse:
        """Read one page now; see :meth:`PlanocrClient.process_page`."""
        request = _requests.process_page_request(page_id, force, engine, text_source, full)
        return await self._unary(self._stub.ProcessPage, request, timeout)

    def process_document(
        self,
        document_id: str,
        *,
        force: bool = False,
        engine: str = "",
        text_source: int | str | None = None,
        timeout: float | None = DEFAULT,
    ) -> AsyncProcessDocumentStream:
        """Read every page of a document; ``async for`` over the progress events.

        Not a coroutine: it starts the call and returns the stream. See
        :meth:`PlanocrClient.process_document` for the events and deadline.
        Must be called from the client's event loop.
        """
        request = ocr_service_pb2.ProcessDocumentRequest(
            document_id=document_id, options=_requests.process_options(force, engine, text_source)
        )
        call = self._stub.ProcessDocument(
            request, timeout=_channel.resolve_timeout(timeout, self.stream_timeout), metadata=self._metadata
        )
        return AsyncProcessDocumentStream(call)

    # -- background work -----------------------------------------------------

    async def start_document(
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
        """Ask for a document to be read in the background; see :meth:`PlanocrClient.start_document`."""
        request = _operations.start_request(document_id, force, engine, text_source, priority, request_id)
        return DocumentOperation.from_proto(await self._unary(self._stub.StartDocument, request, timeout))

    async def get_operation(self, name: str, *, timeout: float | None = DEFAULT) -> DocumentOperation:
        request = operations_pb2.GetOperationRequest(name=name)
        return DocumentOperation.from_proto(await self._unary(self._operations.GetOperation, request, timeout))

    async def wait_operation(self, name: str, *, timeout: float | None = None) -> DocumentOperation:
        """Wait until the operation is done, or ``timeout`` seconds (None: no limit); returns it as it then stands."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            request = _operations.wait_request(name, remaining)
            call_timeout = request.timeout.ToTimedelta().total_seconds() + 10.0
            operation = DocumentOperation.from_proto(await self._unary(self._operations.WaitOperation, request, call_timeout))
            if operation.done or (deadline is not None and time.monotonic() >= deadline):
                return operation

    async def cancel_operation(self, name: str, *, timeout: float | None = DEFAULT) -> None:
        await self._unary(self._operations.CancelOperation, operations_pb2.CancelOperationRequest(name=name), timeout)

    async def delete_operation(self, name: str, *, timeout: float | None = DEFAULT) -> None:
        await self._unary(self._operations.DeleteOperation, operations_pb2.DeleteOperationRequest(name=name), timeout)

    async def list_operations(
        self, *, document_id: str | None = None, done: bool | None = None, page_size: int = 100, timeout: float | None = DEFAULT
    ) -> AsyncIterator[DocumentOperation]:
        """Operations, newest first; see :meth:`PlanocrClient.list_operations`."""
        request = operations_pb2.ListOperationsRequest(
            name="operations", filter=_operations.list_filter(document_id, done), page_size=page_size
        )
        while True:
            response = await self._unary(self._operations.ListOperations, request, timeout)
            for operation in response.operations:
                yield DocumentOperation.from_proto(operation)
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token

    def watch_document(self, document_id: str, *, since: Any = None, timeout: float | None = DEFAULT) -> AsyncWatchDocumentStream:
        """Follow a document's progress; ``async for`` over the events. See :meth:`PlanocrClient.watch_document`.

        Not a coroutine: it starts the call and returns the stream.
        """
        request = _operations.watch_request(document_id, since)
        call = self._stub.WatchDocument(
            request, timeout=_channel.resolve_timeout(timeout, self.stream_timeout), metadata=self._metadata
        )
        return AsyncWatchDocumentStream(call)

    # -- health ------------------------------------------------------------

    async def health(
        self, service: str = "", *, timeout: float | None = DEFAULT
    ) -> health_pb2.HealthCheckResponse:
        """Ask the standard gRPC health service; ``""`` is the server as a whole."""
        request = health_pb2.HealthCheckRequest(service=service)
        return await self._unary(self._health.Check, request, timeout)

    # -- internals ---------------------------------------------------------

    async def _unary(self, method: Callable[..., Awaitable[_T]], request: Any, timeout: float | None) -> _T:
        try:
            return await method(
                request, timeout=_channel.resolve_timeout(timeout, self.timeout), metadata=self._metadata
            )
        except grpc.RpcError as exc:
            raise from_grpc_error(exc) from exc

    async def _create_document(
        self,
        send: Callable[[float | None], Awaitable[ocr_service_pb2.CreateDocumentResponse]],
        retry: bool,
        timeout: float | None,
    ) -> ocr_service_pb2.CreateDocumentResponse:
        # Retried here rather than by gRPC: see planocr.client.retry.
        deadline = None if timeout is None else time.monotonic() + timeout
        delays = self._retry.backoff_delays() if retry and self._retry is not None else iter(())
        while True:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                return await send(remaining)
            except grpc.RpcError as exc:
                error = from_grpc_error(exc)
                delay = next(delays, None) if isinstance(error, Unavailable) else None
                if delay is None or (deadline is not None and time.monotonic() + delay >= deadline):
                    raise error from exc
            await asyncio.sleep(delay)


class _AsyncEventStream(Generic[_E]):
    """The events of one server-streaming call, as an async iterator; errors raise PlanocrError subclasses."""

    def __init__(self, call: grpc.aio.UnaryStreamCall) -> None:
        self._call = call
        self._cancelled = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> _E:
        if self._cancelled:
            raise StopAsyncIteration
        try:
            event = await self._call.read()
        except grpc.RpcError as exc:
            raise from_grpc_error(exc) from exc
        except asyncio.CancelledError:
            # grpc.aio reports a locally cancelled call this way; only a
            # cancel() of ours ends the stream, a cancelled task propagates.
            task = asyncio.current_task()
            if self._cancelled and task is not None and not task.cancelling():
                raise StopAsyncIteration from None
            raise
        if event is grpc.aio.EOF:
            raise StopAsyncIteration
        return event

    def cancel(self) -> None:
        """Cancel the call; does nothing if it has finished."""
        self._cancelled = True
        self._call.cancel()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cancel()


class AsyncProcessDocumentStream(_AsyncEventStream[ocr_service_pb2.ProcessDocumentResponse]):
    """The events of one ProcessDocument call, as an async iterator.

    Errors raise :class:`planocr.client.errors.PlanocrError` subclasses.
    :meth:`cancel` (or leaving an ``async with`` block) cancels the call,
    which stops the server's work on pages not yet started, and ends the
    iteration.
    """


class AsyncWatchDocumentStream(_AsyncEventStream[ocr_service_pb2.WatchDocumentResponse]):
    """The events of one WatchDocument call, as an async iterator; leaving it does not stop the work."""


async def _upload_requests(
    first: ocr_service_pb2.CreateDocumentRequest, reader: _requests.Reader, chunk_size: int, blocking: bool
) -> AsyncIterator[ocr_service_pb2.CreateDocumentRequest]:
    yield first
    while True:
        chunk = await asyncio.to_thread(reader.read, chunk_size) if blocking else reader.read(chunk_size)
        if not chunk:
            return
        yield _requests.chunk_request(chunk)
