"""AsyncPlanocrClient against a real gRPC server running the fake OcrService.

Each test runs its coroutine with asyncio.run; the client is created inside
the loop, as the client's docstring asks.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

import grpc
import pytest
from google.rpc import code_pb2

from planocr.client import (
    AsyncPlanocrClient,
    DeadlineExceeded,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unavailable,
)
from planocr.v1 import page_pb2
from tests.client.conftest import FAST_RETRY
from tests.client.fake_service import FakeOcrService, FakeServer, rich_status, unavailable


def connect(server: FakeServer, **kwargs) -> AsyncPlanocrClient:
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("retry", FAST_RETRY)
    return AsyncPlanocrClient(server.target, **kwargs)


def test_upload_path_streams_metadata_then_chunks(server: FakeServer, fake: FakeOcrService, tmp_path) -> None:
    path = tmp_path / "M-mechanical.pdf"
    data = bytes(range(256)) * 40  # 10240 bytes
    path.write_bytes(data)

    async def main():
        async with connect(server) as planocr:
            return await planocr.upload(path, request_id="r-1", render_dpi=150, chunk_size=4096)

    document = asyncio.run(main())

    [call] = fake.calls_to("CreateDocument")
    assert [request.WhichOneof("payload") for request in call.request] == [
        "metadata",
        "chunk",
        "chunk",
        "chunk",
    ]
    metadata = call.request[0].metadata
    assert (metadata.filename, metadata.request_id, metadata.render_dpi) == ("M-mechanical.pdf", "r-1", 150)
    assert [len(request.chunk) for request in call.request[1:]] == [4096, 4096, 2048]
    assert document.sha256 == hashlib.sha256(data).hexdigest()


def test_upload_bytes_and_from_storage(server: FakeServer, fake: FakeOcrService) -> None:
    async def main():
        async with connect(server) as planocr:
            uploaded = await planocr.upload(
                b"abcdefg", filename="e.png", content_type="image/png", chunk_size=3
            )
            stored = await planocr.upload_from_storage("in/e.pdf", "e.pdf")
            return uploaded, stored

    uploaded, stored = asyncio.run(main())

    upload_call, storage_call = fake.calls_to("CreateDocument")
    assert [request.chunk for request in upload_call.request[1:]] == [b"abc", b"def", b"g"]
    assert upload_call.request[0].metadata.content_type == "image/png"
    assert uploaded.size_bytes == 7
    assert len(storage_call.request) == 1 and storage_call.request[0].metadata.source_key == "in/e.pdf"
    assert stored.source_key == "in/e.pdf"


def test_upload_retry_only_with_request_id(server: FakeServer, fake: FakeOcrService) -> None:
    fake.fail_next("CreateDocument", unavailable(), times=2)

    async def main():
        async with connect(server) as planocr:
            with pytest.raises(Unavailable):
                await planocr.upload(b"data", filename="a.pdf")
            return await planocr.upload(b"data", filename="a.pdf", request_id="once")

    document = asyncio.run(main())

    assert len(fake.calls_to("CreateDocument")) == 3  # one failed upload, then a failure and a retry
    assert document.request_id == "once"


def test_list_pages_follows_next_page_token(server: FakeServer, fake: FakeOcrService) -> None:
    document = fake.add_document(5)

    async def main():
        async with connect(server) as planocr:
            return [page async for page in planocr.list_pages(document.document_id, page_size=2)]

    pages = asyncio.run(main())

    assert [page.page_number for page in pages] == [1, 2, 3, 4, 5]
    assert [call.request.page_token for call in fake.calls_to("ListPages")] == ["", "2", "4"]


def test_get_document_and_page(server: FakeServer, fake: FakeOcrService) -> None:
    document = fake.add_document(1)
    page = fake.pages_of(document.document_id)[0]

    async def main():
        async with connect(server) as planocr:
            return await planocr.get_document(document.document_id), await planocr.get_page(page.page_id)

    got_document, got_page = asyncio.run(main())

    assert got_document == document
    assert got_page.text == "full text of page 1"


def test_errors_are_mapped(server: FakeServer, fake: FakeOcrService) -> None:
    missing = "9d7c7b5e-0c1a-4b8e-8f11-3e6a5f1f2a10"

    async def main():
        async with connect(server) as planocr:
            with pytest.raises(NotFound) as not_found:
                await planocr.get_page(missing)
            with pytest.raises(InvalidArgument) as invalid:
                await planocr.get_page("nope")
            with pytest.raises(NotFound) as no_document:
                async for _ in planocr.list_pages(missing):
                    pass
            return not_found.value, invalid.value, no_document.value

    not_found, invalid, no_document = asyncio.run(main())

    assert not_found.code is grpc.StatusCode.NOT_FOUND
    assert not_found.reason == "PAGE_NOT_FOUND"
    assert not_found.metadata == {"page_id": missing}
    assert isinstance(not_found.__cause__, grpc.aio.AioRpcError)
    assert invalid.reason == "INVALID_ID"
    assert no_document.reason == "DOCUMENT_NOT_FOUND"


def test_unavailable_is_retried_by_the_service_config(server: FakeServer, fake: FakeOcrService) -> None:
    page = fake.pages_of(fake.add_document(1).document_id)[0]
    fake.fail_next("ProcessPage", unavailable())
    fake.fail_next("GetDocument", unavailable(), times=10)

    async def main():
        async with connect(server) as planocr:
            response = await planocr.process_page(page.page_id, engine="null")
            with pytest.raises(Unavailable):
                await planocr.get_document(page.document_id)
            return response

    response = asyncio.run(main())

    assert response.page.state == page_pb2.PAGE_STATE_COMPLETED
    assert len(fake.calls_to("ProcessPage")) == 2
    assert len(fake.calls_to("GetDocument")) == FAST_RETRY.max_attempts


def test_slow_server_raises_deadline_exceeded(server: FakeServer, fake: FakeOcrService) -> None:
    document = fake.add_document(1)
    fake.delays["GetDocument"] = 10.0

    async def main():
        async with connect(server, timeout=0.3) as planocr:
            started = time.monotonic()
            with pytest.raises(DeadlineExceeded):
                await planocr.get_document(document.document_id)
            return time.monotonic() - started

    assert asyncio.run(main()) < 3
    [call] = fake.calls_to("GetDocument")
    assert 0 < call.time_remaining < 0.4
    assert call.ended_early.wait(5)


def test_token_is_sent_as_bearer_metadata(server: FakeServer, fake: FakeOcrService) -> None:
    document = fake.add_document(1)

    async def main():
        async with connect(server, token="t0ken") as planocr:
            await planocr.get_document(document.document_id)
            await planocr.upload(b"x", filename="a.pdf")
            [event async for event in planocr.process_document(document.document_id)]
            await planocr.health()

    asyncio.run(main())

    methods = [call.method for call in fake.calls]
    assert methods == ["GetDocument", "CreateDocument", "ProcessDocument"]
    for call in fake.calls:
        assert call.metadata.get("authorization") == "Bearer t0ken", call.method


def test_process_document_iteration(server: FakeServer, fake: FakeOcrService) -> None:
    document = fake.add_document(3)

    async def main():
        async with connect(server) as planocr:
            return [
                event
                async for event in planocr.process_document(document.document_id, text_source="text_layer")
            ]

    events = asyncio.run(main())

    assert [event.WhichOneof("event") for event in events] == ["started", "page", "page", "page", "summary"]
    assert [event.page.sheet_number for event in events[1:4]] == ["A-101", "A-102", "A-103"]
    assert events[-1].summary.completed == 3
    [call] = fake.calls_to("ProcessDocument")
    assert call.request.options.text_source_mode == page_pb2.TEXT_SOURCE_MODE_TEXT_LAYER


def test_process_document_error_mid_stream(server: FakeServer, fake: FakeOcrService) -> None:
    document = fake.add_document(3)
    fake.stream_failure = (1, rich_status(code_pb2.RESOURCE_EXHAUSTED, "queue full", "QUEUE_FULL"))

    async def main():
        received = []
        async with connect(server) as planocr:
            with pytest.raises(ResourceExhausted) as caught:
                async for event in planocr.process_document(document.document_id):
                    received.append(event.WhichOneof("event"))
        return received, caught.value

    received, error = asyncio.run(main())

    assert received == ["started", "page"]
    assert error.reason == "QUEUE_FULL"
    assert error.retryable is True


def test_cancelling_the_stream_stops_the_server(server: FakeServer, fake: FakeOcrService) -> None:
    document = fake.add_document(50)
    fake.event_gap = 0.05

    async def main():
        async with connect(server) as planocr:
            async with planocr.process_document(document.document_id) as stream:
                first = await anext(stream)
                second = await anext(stream)
            rest = [event async for event in stream]
            # Checked while the channel is still open: closing it would
            # cancel the call too.
            [call] = fake.calls_to("ProcessDocument")
            seen = await asyncio.to_thread(call.ended_early.wait, 5)
            return first, second, rest, seen

    first, second, rest, seen = asyncio.run(main())

    assert first.HasField("started") and second.HasField("page")
    assert rest == []
    assert seen, "the server should see the cancellation"
