"""ProcessPage and GetPage end to end: a real server, a real database, a real engine."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from testkit.drawing import sheet
from tests.conftest import make_settings


def error_reason(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)
    assert status is not None, "error carries no rich status"
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            assert info.domain == "planocr.dev"
            return info.reason
    raise AssertionError("no ErrorInfo in the status")


def test_process_page_round_trip_with_tesseract(start_server, database_url, tmp_path):
    running = start_server(make_settings(tmp_path, database_url, engine="tesseract"))
    page_id = running.seed_page(sheet("A-101", "FIRST FLOOR PLAN", "1/4\" = 1'-0\""))

    reply = running.stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=60)

    page = reply.page
    assert reply.outcome == pb.PROCESS_OUTCOME_PROCESSED
    assert page.state == page_pb2.PAGE_STATE_COMPLETED
    assert "FIRST FLOOR PLAN" in page.text
    assert page.sheet_number == "A-101"
    assert page.engine == "tesseract"
    assert page.text_source == page_pb2.TEXT_SOURCE_OCR
    assert len(page.blocks) >= 4
    assert all(b.bounding_box.width > 0 and b.bounding_box.height > 0 for b in page.blocks)
    assert any("A-101" in b.text for b in page.blocks)
    assert page.processing_time.ToMilliseconds() > 0

    # The stored row is what the existing app reads.
    record = running.server.repository.get_page(__import__("uuid").UUID(page_id))
    assert record.status == "completed"
    assert record.sheet_number == "A-101"
    assert set(record.ocr_blocks) >= {"blocks", "detected_scales", "detected_sheet_numbers", "detected_titles", "title_block"}
    assert record.lease_owner is None

    full = running.stub.GetPage(pb.GetPageRequest(page_id=page_id), timeout=10).page
    assert full.text == page.text and len(full.blocks) == len(page.blocks)
    basic = running.stub.GetPage(pb.GetPageRequest(page_id=page_id, view=page_pb2.PAGE_VIEW_BASIC), timeout=10).page
    assert basic.text == "" and len(basic.blocks) == 0
    assert basic.sheet_number == "A-101" and basic.state == page_pb2.PAGE_STATE_COMPLETED


def test_completed_page_is_returned_as_is_unless_forced(start_server, tmp_path):
    running = start_server()
    page_id = running.seed_page(sheet())
    first = running.stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=30)
    again = running.stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=30)
    assert again.outcome == pb.PROCESS_OUTCOME_ALREADY_COMPLETED
    assert again.page.process_time == first.page.process_time
    forced = running.stub.ProcessPage(
        pb.ProcessPageRequest(page_id=page_id, options=pb.ProcessOptions(force=True)), timeout=30
    )
    assert forced.outcome == pb.PROCESS_OUTCOME_PROCESSED
    record = running.server.repository.get_page(__import__("uuid").UUID(page_id))
    assert record.attempts == 2


@pytest.mark.parametrize("bad_id", ["", "not-a-uuid", "123", "g" * 36])
def test_malformed_page_id_is_invalid_argument(start_server, bad_id):
    running = start_server()
    for call in (running.stub.ProcessPage, running.stub.GetPage):
        request = pb.ProcessPageRequest(page_id=bad_id) if call is running.stub.ProcessPage else pb.GetPageRequest(page_id=bad_id)
        with pytest.raises(grpc.RpcError) as info:
            call(request, timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_reason(info.value) == "INVALID_ID"


def test_unknown_page_is_not_found(start_server):
    running = start_server()
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(grpc.RpcError) as info:
        running.stub.ProcessPage(pb.ProcessPageRequest(page_id=missing), timeout=10)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(info.value) == "PAGE_NOT_FOUND"
    with pytest.raises(grpc.RpcError) as info:
        running.stub.GetPage(pb.GetPageRequest(page_id=missing), timeout=10)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_unknown_engine_is_invalid_argument(start_server):
    running = start_server()
    page_id = running.seed_page(sheet())
    with pytest.raises(grpc.RpcError) as info:
        running.stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id, options=pb.ProcessOptions(engine="nope")), timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(info.value) == "UNKNOWN_ENGINE"
    assert running.server.repository.get_page(__import__("uuid").UUID(page_id)).status == "pending"
