"""Page images the local store cannot read: a symlink loop and a FIFO where a PNG should be.

A symlink loop made pathlib raise RuntimeError, answered INTERNAL and stored
as the page's error. A FIFO blocked the worker for good in ``open``: the
call never returned, and after the lease the next call claimed the page and
blocked too. Both are faults of the store, not bugs: FAILED_PRECONDITION
with reason OBJECT_UNREADABLE, at once, every time.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import grpc
import pytest

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from tests.faults.conftest import error_info, page_events, rpc_reason


def test_unreadable_page_images_fail_precondition_at_once_and_every_time(stack):
    server = stack.start_server(PLANOCR_STORAGE_URL=stack.local_storage_url(), PLANOCR_LEASE_SECONDS="5")
    stub = stack.stub(server)
    document_id, page_ids = stack.upload(stub, 3)
    objects = Path(stack.root / "objects")
    pages = sorted((objects / "documents" / document_id / "pages").glob("*.png"))
    assert [p.name for p in pages] == ["0001.png", "0002.png", "0003.png"]
    pages[0].unlink()
    pages[0].symlink_to(pages[0].name)  # a link to itself: ELOOP
    pages[1].unlink()
    os.mkfifo(pages[1])  # open() for reading waits for a writer that never comes

    started = time.monotonic()
    events = list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=60))
    assert time.monotonic() - started < 20
    by_number = {p.page_number: p for p in page_events(events)}
    assert by_number[3].state == page_pb2.PAGE_STATE_COMPLETED
    for number in (1, 2):
        page = by_number[number]
        assert page.state == page_pb2.PAGE_STATE_FAILED
        assert page.error.code == grpc.StatusCode.FAILED_PRECONDITION.value[0], page.error
        assert error_info(page.error).reason == "OBJECT_UNREADABLE"
    assert "symlink loop" in by_number[1].error.message
    assert "not a regular file" in by_number[2].error.message
    rows = {r["page_number"]: r for r in stack.rows(document_id)}
    for number in (1, 2):
        assert (rows[number]["status"], rows[number]["error_code"], rows[number]["error_reason"]) == (
            "error", "FAILED_PRECONDITION", "OBJECT_UNREADABLE"
        )

    # Asked again (as after a lease ran out): the same answer, just as fast, and no thread is left waiting.
    for number in (1, 2):
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as info:
            stub.ProcessPage(pb.ProcessPageRequest(page_id=page_ids[number]), timeout=10)
        assert time.monotonic() - started < 5
        assert (info.value.code(), rpc_reason(info.value)) == (grpc.StatusCode.FAILED_PRECONDITION, "OBJECT_UNREADABLE")
    assert [r["page_number"] for r in stack.rows(document_id) if r["status"] == "processing"] == []
    assert stack.crash_lines(server) == []

    # The server still reads pages, and stops cleanly: no worker is stuck in a read.
    fixed = stub.ProcessPage(pb.ProcessPageRequest(page_id=page_ids[3], options=pb.ProcessOptions(force=True)), timeout=30)
    assert fixed.page.state == page_pb2.PAGE_STATE_COMPLETED
    stopped = time.monotonic()
    assert server.stop(timeout=30) == 0
    assert time.monotonic() - stopped < 10
