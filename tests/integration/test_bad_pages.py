"""Pages whose stored image is missing or broken fail cleanly, and the server keeps serving."""

from __future__ import annotations

import io
import resource
import struct
import uuid
import zlib

import grpc
import pytest
from PIL import Image

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from testkit.drawing import sheet
from tests.conftest import make_settings
from tests.integration.test_process_page import error_reason


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels but carries almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def _truncated_png() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((600, 400), 64).convert("L").save(out, format="PNG")
    data = out.getvalue()
    return data[: len(data) // 2]


def assert_still_serving(running) -> None:
    good = running.seed_page(sheet())
    reply = running.stub.ProcessPage(pb.ProcessPageRequest(page_id=good), timeout=30)
    assert reply.page.state == page_pb2.PAGE_STATE_COMPLETED


def test_image_missing_from_storage_is_failed_precondition(start_server, database_url, tmp_path):
    running = start_server(make_settings(tmp_path, database_url))
    page_id = running.seed_page(None, key="seed/never-written.png")
    with pytest.raises(grpc.RpcError) as info:
        running.stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=30)
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(info.value) == "IMAGE_MISSING"
    record = running.server.repository.get_page(uuid.UUID(page_id))
    assert record.status == "error" and "missing from storage" in record.processing_error
    page = running.stub.GetPage(pb.GetPageRequest(page_id=page_id), timeout=10).page
    assert page.state == page_pb2.PAGE_STATE_FAILED
    assert page.error.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    assert_still_serving(running)


@pytest.mark.parametrize(
    ("label", "data"),
    [("zero bytes", b""), ("truncated", _truncated_png()), ("not an image", b"%!PS-Adobe-3.0\nthis is no picture\n" * 20)],
)
def test_broken_image_marks_the_page_failed(start_server, tmp_path, label, data):
    running = start_server(make_settings(tmp_path, engine="tesseract"))
    page_id = running.seed_page(data)
    with pytest.raises(grpc.RpcError) as info:
        running.stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=30)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, label
    assert error_reason(info.value) == "IMAGE_UNREADABLE"
    record = running.server.repository.get_page(uuid.UUID(page_id))
    assert record.status == "error"
    assert record.processing_error and len(record.processing_error) < 300
    assert_still_serving(running)


def test_huge_image_is_refused_before_decoding(start_server, tmp_path):
    running = start_server(make_settings(tmp_path, engine="tesseract"))
    page_id = running.seed_page(png_header_only(50_000, 50_000))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(grpc.RpcError) as info:
        running.stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=30)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(info.value) == "IMAGE_TOO_LARGE"
    assert "50000 x 50000" in info.value.details()
    assert grown_mb < 100, f"peak memory grew by {grown_mb:.0f} MB: the image was decoded"
    assert running.server.repository.get_page(uuid.UUID(page_id)).status == "error"
    assert_still_serving(running)
