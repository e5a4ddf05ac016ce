"""PlanocrClient against a real gRPC server running the fake OcrService."""

from __future__ import annotations

import hashlib
import io
import threading
import time

import grpc
import pytest
from google.rpc import code_pb2

from planocr import client as planocr_client
from planocr.client import (
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PlanocrClient,
    PlanocrError,
    ResourceExhausted,
    Unavailable,
    Unknown,
)
from planocr.v1 import ocr_service_pb2, page_pb2
from tests.client.conftest import FAST_RETRY
from tests.client.fake_service import NO_DEADLINE, FakeOcrService, FakeServer, rich_status, unavailable

# -- upload -------------------------------------------------------------------


def test_upload_sends_metadata_first_then_chunks(client: PlanocrClient, fake: FakeOcrService) -> None:
    data = bytes(range(256)) * 10  # 2560 bytes

    document = client.upload(
        data,
        filename="A-sheets.pdf",
        content_type="application/pdf",
        request_id="req-1",
        render_dpi=200,
        chunk_size=1000,
    )

    [call] = fake.calls_to("CreateDocument")
    kinds = [request.WhichOneof("payload") for request in call.request]
    assert kinds == ["metadata", "chunk", "chunk", "chunk"]
    metadata = call.request[0].metadata
    assert (metadata.filename, metadata.content_type, metadata.request_id, metadata.render_dpi) == (
        "A-sheets.pdf",
        "application/pdf",
        "req-1",
        200,
    )
    assert metadata.source_key == ""
    assert [len(request.chunk) for request in call.request[1:]] == [1000, 1000, 560]
    assert document.size_bytes == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.filename == "A-sheets.pdf"


def test_upload_path_takes_the_file_name_and_default_chunk_size(
    client: PlanocrClient, fake: FakeOcrService, tmp_path
) -> None:
    path = tmp_path / "S-structural.pdf"
    data = b"%PDF" + b"x" * (2 * 1024 * 1024 + 100)
    path.write_bytes(data)

    document = client.upload(path)

    [call] = fake.calls_to("CreateDocument")
    assert call.request[0].metadata.filename == "S-structural.pdf"
    assert call.request[0].metadata.content_type == ""
    assert [len(request.chunk) for request in call.request[1:]] == [1024 * 1024, 1024 * 1024, 104]
    assert document.sha256 == hashlib.sha256(data).hexdigest()


def test_upload_file_object_from_its_position(client: PlanocrClient, fake: FakeOcrService) -> None:
    file = io.BytesIO(b"HEADERbody-bytes")
    file.seek(6)

    document = client.upload(file, filename="scan.tiff", chunk_size=4)

    assert document.size_bytes == len(b"body-bytes")
    [call] = fake.calls_to("CreateDocument")
    assert b"".join(request.chunk for request in call.request[1:]) == b"body-bytes"
    assert not file.closed, "the caller's file is theirs to close"


def test_upload_checks_arguments_before_calling(client: PlanocrClient, fake: FakeOcrService) -> None:
    with pytest.raises(ValueError, match="filename"):
        client.upload(b"bytes without a name")
    with pytest.raises(ValueError, match="chunk_size"):
        client.upload(b"x", filename="a.pdf", chunk_size=3 * 1024 * 1024 + 1)
    with pytest.raises(TypeError):
        client.upload(12345, filename="a.pdf")  # type: ignore[arg-type]
    assert fake.calls == []


def test_upload_from_storage_sends_only_metadata(client: PlanocrClient, fake: FakeOcrService) -> None:
    document = client.upload_from_storage("uploads/2024/set.pdf", "set.pdf", request_id="r-9")

    [call] = fake.calls_to("CreateDocument")
    assert len(call.request) == 1
    assert call.request[0].metadata.source_key == "uploads/2024/set.pdf"
    assert call.request[0].metadata.filename == "set.pdf"
    assert document.source_key == "uploads/2024/set.pdf"


# -- reading ------------------------------------------------------------------


def test_list_pages_follows_next_page_token(client: PlanocrClient, fake: FakeOcrService) -> None:
    document = fake.add_document(7)

    pages = list(client.list_pages(document.document_id, page_size=3))

    assert [page.page_number for page in pages] == [1, 2, 3, 4, 5, 6, 7]
    calls = fake.calls_to("ListPages")
    assert [call.request.page_token for call in calls] == ["", "3", "6"]
    assert {call.request.page_size for call in calls} == {3}
    assert {call.request.view for call in calls} == {page_pb2.PAGE_VIEW_BASIC}
    assert all(page.text == "" for page in pages)


def test_list_pages_full_view_and_resume_token(client: PlanocrClient, fake: FakeOcrService) -> None:
    document = fake.add_document(5)

    pages = list(client.list_pages(document.document_id, page_size=2, full=True, page_token="2"))

    assert [page.page_number for page in pages] == [3, 4, 5]
    assert pages[0].text == "full text of page 3"


def test_get_document_and_page(client: PlanocrClient, fake: FakeOcrService) -> None:
    document = fake.add_document(2)
    first = fake.pages_of(document.document_id)[0]

    assert client.get_document(document.document_id) == document
    full = client.get_page(first.page_id)
    basic = client.get_page(first.page_id, full=False)

    assert full.text == "full text of page 1" and len(full.blocks) == 1
    assert basic.text == "" and len(basic.blocks) == 0
    assert basic.sheet_number == "A-101"
    assert [call.request.view for call in fake.calls_to("GetPage")] == [
        page_pb2.PAGE_VIEW_FULL,
        page_pb2.PAGE_VIEW_BASIC,
    ]


def test_health_reports_serving(client: PlanocrClient) -> None:
    from grpc_health.v1 import health_pb2

    assert client.health().status == health_pb2.HealthCheckResponse.SERVING


# -- errors -------------------------------------------------------------------


def test_not_found_carries_reason_and_metadata(client: PlanocrClient) -> None:
    missing = "0b5a1c55-8a4e-4a53-9d53-5f1d8a1e2b7c"

    with pytest.raises(NotFound) as caught:
        client.get_page(missing)

    error = caught.value
    assert isinstance(error, PlanocrError)
    assert error.code is grpc.StatusCode.NOT_FOUND
    assert error.reason == "PAGE_NOT_FOUND"
    assert error.domain == "planocr.dev"
    assert error.metadata == {"page_id": missing}
    assert error.message == "page not found"
    assert error.retryable is False
    assert isinstance(error.__cause__, grpc.RpcError)
    assert str(error) == "NOT_FOUND PAGE_NOT_FOUND: page not found"


def test_invalid_argument_and_document_not_found(client: PlanocrClient, fake: FakeOcrService) -> None:
    with pytest.raises(InvalidArgument) as caught:
        client.process_page("not-a-uuid")
    assert caught.value.reason == "INVALID_ID"
    assert caught.value.metadata == {"field": "page_id"}

    pages = client.list_pages("4b0cf4b2-5d0e-4d55-bb4e-2a3c0bde9a11")
    with pytest.raises(NotFound) as caught_listing:
        next(pages)
    assert caught_listing.value.reason == "DOCUMENT_NOT_FOUND"


def test_error_without_rich_status_has_empty_reason(client: PlanocrClient, fake: FakeOcrService) -> None:
    fake.crashing.add("GetDocument")

    with pytest.raises(Unknown) as caught:
        client.get_document("c1e3b0a4-3e47-4cf7-8d40-0d0f6b1f0f11")
    assert caught.value.reason == ""
    assert caught.value.metadata == {}
    assert caught.value.status is None


# -- retries ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GetPage", "ProcessPage"])
def test_unavailable_is_retried_by_the_service_config(
    client: PlanocrClient, fake: FakeOcrService, method: str
) -> None:
    page = fake.pages_of(fake.add_document(1).document_id)[0]
    fake.fail_next(method, unavailable())

    if method == "GetPage":
        result = client.get_page(page.page_id)
    else:
        result = client.process_page(page.page_id).page

    assert result.page_id == page.page_id
    assert len(fake.calls_to(method)) == 2


def test_retries_stop_after_max_attempts(client: PlanocrClient, fake: FakeOcrService) -> None:
    document = fake.add_document(1)
    fake.fail_next("GetDocument", unavailable(), times=10)

    with pytest.raises(Unavailable) as caught:
        client.get_document(document.document_id)

    assert caught.value.reason == "DATABASE_UNAVAILABLE"
    assert caught.value.retryable is True
    assert len(fake.calls_to("GetDocument")) == FAST_RETRY.max_attempts


def test_other_errors_are_not_retried(client: PlanocrClient, fake: FakeOcrService) -> None:
    fake.fail_next("GetDocument", rich_status(code_pb2.RESOURCE_EXHAUSTED, "queue full", "QUEUE_FULL"))

    with pytest.raises(ResourceExhausted) as caught:
        client.get_document(fake.add_document(1).document_id)

    assert caught.value.retryable is True  # the caller may retry later; gRPC did not
    assert len(fake.calls_to("GetDocument")) == 1


def test_retry_none_turns_retries_off(server: FakeServer, fake: FakeOcrService) -> None:
    document = fake.add_document(1)
    fake.fail_next("GetDocument", unavailable())

    with PlanocrClient(server.target, retry=None) as planocr, pytest.raises(Unavailable):
        planocr.get_document(document.document_id)
    assert len(fake.calls_to("GetDocument")) == 1


def test_upload_without_request_id_is_not_retried(client: PlanocrClient, fake: FakeOcrService) -> None:
    fake.fail_next("CreateDocument", unavailable())

    with pytest.raises(Unavailable):
        client.upload(b"%PDF-1.7 data", filename="a.pdf")

    assert len(fake.calls_to("CreateDocument")) == 1


def test_upload_with_request_id_is_retried_from_the_start(
    client: PlanocrClient, fake: FakeOcrService, tmp_path
) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(b"0123456789" * 100)
    fake.fail_next("CreateDocument", unavailable())

    document = client.upload(path, request_id="upload-42", chunk_size=300)

    calls = fake.calls_to("CreateDocument")
    assert len(calls) == 2
    for call in calls:
        assert call.request[0].metadata.request_id == "upload-42"
        assert b"".join(request.chunk for request in call.request[1:]) == path.read_bytes()
    assert document.request_id == "upload-42"
    assert document.size_bytes == 1000


# -- deadlines ----------------------------------------------------------------


def test_every_unary_call_has_the_default_deadline(client: PlanocrClient, fake: FakeOcrService) -> None:
    document = fake.add_document(1)
    page = fake.pages_of(document.document_id)[0]

    client.get_document(document.document_id)
    client.get_page(page.page_id)
    list(client.list_pages(document.document_id))
    client.process_page(page.page_id)

    for method in ("GetDocument", "GetPage", "ListPages", "ProcessPage"):
        [call] = fake.calls_to(method)
        # The server's clock rounds the deadline up a little.
        assert client.timeout - 2 < call.time_remaining < client.timeout + 0.1, method


def test_upload_and_stream_deadlines(server: FakeServer, fake: FakeOcrService) -> None:
    document = fake.add_document(1)
    with PlanocrClient(server.target, upload_timeout=20.0) as planocr:
        planocr.upload(b"x", filename="a.pdf")
        list(planocr.process_document(document.document_id))
        list(planocr.process_document(document.document_id, timeout=7.0))

    assert 10 < fake.calls_to("CreateDocument")[0].time_remaining < 20.1
    unlimited, limited = fake.calls_to("ProcessDocument")
    assert unlimited.time_remaining > NO_DEADLINE
    assert 5 < limited.time_remaining < 7.1


def test_slow_server_raises_deadline_exceeded(server: FakeServer, fake: FakeOcrService) -> None:
    page = fake.pages_of(fake.add_document(1).document_id)[0]
    fake.delays["GetPage"] = 10.0

    with PlanocrClient(server.target, timeout=0.3) as planocr:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded) as caught:
            planocr.get_page(page.page_id)
        elapsed = time.monotonic() - started

    assert elapsed < 3
    assert caught.value.code is grpc.StatusCode.DEADLINE_EXCEEDED
    assert caught.value.reason == ""
    [call] = fake.calls_to("GetPage")
    assert call.ended_early.wait(5), "the server should see the call end at the deadline"


def test_per_call_timeout_overrides_the_default(client: PlanocrClient, fake: FakeOcrService) -> None:
    page = fake.pages_of(fake.add_document(1).document_id)[0]
    fake.delays["ProcessPage"] = 10.0

    with pytest.raises(DeadlineExceeded):
        client.process_page(page.page_id, timeout=0.2)


def test_process_page_future_returns_at_once_and_calls_back(client: PlanocrClient, fake: FakeOcrService) -> None:
    page = fake.pages_of(fake.add_document(1).document_id)[0]
    fake.delays["ProcessPage"] = 0.5
    ended = threading.Event()

    started = time.monotonic()
    call = client.process_page_future(page.page_id, engine="tesseract", full=False)
    assert time.monotonic() - started < 0.4 and not call.done()
    call.add_done_callback(lambda finished: ended.set() if finished is call else None)
    with pytest.raises(TimeoutError):
        call.result(timeout=0.05)

    response = call.result(timeout=5)
    assert ended.wait(5) and call.done()
    assert response.outcome == ocr_service_pb2.PROCESS_OUTCOME_PROCESSED
    assert response.page.page_id == page.page_id and response.page.engine == "tesseract"
    assert response.page.text == ""  # the BASIC view was asked for
    [sent] = fake.calls_to("ProcessPage")
    assert sent.request.view == page_pb2.PAGE_VIEW_BASIC


def test_process_page_future_raises_the_calls_error_and_can_be_cancelled(
    client: PlanocrClient, fake: FakeOcrService
) -> None:
    with pytest.raises(InvalidArgument):
        client.process_page_future("not-a-uuid").result(timeout=5)

    page = fake.pages_of(fake.add_document(1).document_id)[0]
    fake.delays["ProcessPage"] = 10.0
    call = client.process_page_future(page.page_id)
    waited = time.monotonic() + 5
    while len(fake.calls_to("ProcessPage")) < 2 and time.monotonic() < waited:
        time.sleep(0.01)  # until the server holds the call
    assert call.cancel()
    with pytest.raises(planocr_client.Cancelled):
        call.result(timeout=5)
    sent = fake.calls_to("ProcessPage")[-1]
    assert sent.request.page_id == page.page_id
    assert sent.ended_early.wait(5), "the server should see the call cancelled"


# -- auth ---------------------------------------------------------------------


def test_token_is_sent_as_bearer_metadata_on_every_call(server: FakeServer, fake: FakeOcrService) -> None:
    document = fake.add_document(1)
    page = fake.pages_of(document.document_id)[0]

    with PlanocrClient(server.target, token="s3cret") as planocr:
        planocr.upload(b"data", filename="a.pdf")
        planocr.get_document(document.document_id)
        planocr.get_page(page.page_id)
        list(planocr.list_pages(document.document_id))
        planocr.process_page(page.page_id)
        list(planocr.process_document(document.document_id))

    assert len(fake.calls) == 6
    for call in fake.calls:
        assert call.metadata.get("authorization") == "Bearer s3cret", call.method


def test_no_token_sends_no_authorization(client: PlanocrClient, fake: FakeOcrService) -> None:
    client.get_document(fake.add_document(1).document_id)
    assert "authorization" not in fake.calls[0].metadata


def test_certificates_without_tls_are_refused(server: FakeServer) -> None:
    with pytest.raises(ValueError, match="tls"):
        PlanocrClient(server.target, root_certificates=b"-----BEGIN CERTIFICATE-----")


# -- processing ---------------------------------------------------------------


def test_process_page_forwards_options(client: PlanocrClient, fake: FakeOcrService) -> None:
    page = fake.pages_of(fake.add_document(1).document_id)[0]

    response = client.process_page(
        page.page_id, force=True, engine="tesseract", text_source="ocr", full=False
    )

    [call] = fake.calls_to("ProcessPage")
    assert call.request.options.force is True
    assert call.request.options.engine == "tesseract"
    assert call.request.options.text_source_mode == page_pb2.TEXT_SOURCE_MODE_OCR
    assert call.request.view == page_pb2.PAGE_VIEW_BASIC
    assert response.outcome == ocr_service_pb2.PROCESS_OUTCOME_PROCESSED
    assert response.page.engine == "tesseract"
    assert response.page.state == page_pb2.PAGE_STATE_COMPLETED

    with pytest.raises(ValueError, match="text_source"):
        client.process_page(page.page_id, text_source="telepathy")


def test_process_document_streams_started_pages_summary(client: PlanocrClient, fake: FakeOcrService) -> None:
    document = fake.add_document(3, failed_pages=(2,))

    events = list(client.process_document(document.document_id, force=True, engine="null"))

    assert [event.WhichOneof("event") for event in events] == ["started", "page", "page", "page", "summary"]
    assert events[0].started.total_pages == 3
    assert [event.page.page_number for event in events[1:4]] == [1, 2, 3]
    assert [event.page.done for event in events[1:4]] == [1, 2, 3]
    assert events[4].summary.failed == 1
    [call] = fake.calls_to("ProcessDocument")
    assert call.request.options.force is True and call.request.options.engine == "null"

    failed = events[2].page
    assert failed.state == page_pb2.PAGE_STATE_FAILED
    error = planocr_client.from_status(failed.error)
    assert isinstance(error, FailedPrecondition)
    assert error.reason == "IMAGE_MISSING"


def test_process_document_error_mid_stream(client: PlanocrClient, fake: FakeOcrService) -> None:
    document = fake.add_document(4)
    fake.stream_failure = (2, rich_status(code_pb2.UNAVAILABLE, "storage went away", "STORAGE_UNAVAILABLE"))

    received = []
    with pytest.raises(Unavailable) as caught:
        for event in client.process_document(document.document_id):
            received.append(event.WhichOneof("event"))

    assert received == ["started", "page", "page"]
    assert caught.value.reason == "STORAGE_UNAVAILABLE"
    # gRPC retries a stream only before its first message; this one had three.
    assert len(fake.calls_to("ProcessDocument")) == 1


def test_process_document_not_found(client: PlanocrClient) -> None:
    stream = client.process_document("2f0b8a0e-2a55-43a5-a1a3-7b0b9a3c4d5e")
    with pytest.raises(NotFound) as caught:
        next(stream)
    assert caught.value.reason == "DOCUMENT_NOT_FOUND"


def test_cancelling_the_stream_stops_the_server(client: PlanocrClient, fake: FakeOcrService) -> None:
    document = fake.add_document(50)
    fake.event_gap = 0.05

    with client.process_document(document.document_id) as stream:
        first = next(stream)
        second = next(stream)
    assert first.HasField("started") and second.HasField("page")

    [call] = fake.calls_to("ProcessDocument")
    assert call.ended_early.wait(5), "the server should see the cancellation"
    assert list(stream) == []
