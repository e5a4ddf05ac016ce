"""The S3 server stops mid-document: pages fail UNAVAILABLE after bounded retries, and a rerun finishes them."""

from __future__ import annotations

import re
import time

import grpc

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from tests.faults.conftest import error_info, page_events

PAGES = 12
ATTEMPTS = 3


def test_storage_stopped_mid_run_fails_pages_unavailable_then_rerun_completes_them(stack):
    server = stack.start_server(
        PLANOCR_TEST_ENGINE_DELAY="0.5",
        PLANOCR_RETRY_ATTEMPTS=str(ATTEMPTS),
        PLANOCR_RETRY_BACKOFF="0.2",
    )
    stub = stack.stub(server)
    document_id, page_ids = stack.upload(stub, PAGES)
    # moto keeps objects in memory only; a real S3 outage loses nothing, so the
    # test keeps a copy and puts it back when the server returns.
    storage = stack.storage()
    saved = {key: storage.get(key) for key in storage.list("documents/")}
    assert len([k for k in saved if k.endswith(".png")]) == PAGES

    events = []
    stopped_at = None
    for event in stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=180):
        events.append(event)
        if stopped_at is None and len(page_events(events)) >= 2:
            stack.moto.stop()
            stopped_at = time.monotonic()
    finished_at = time.monotonic()

    assert stopped_at is not None
    pages = page_events(events)
    assert sorted(p.page_id for p in pages) == sorted(page_ids.values())
    failed = [p for p in pages if p.state == page_pb2.PAGE_STATE_FAILED]
    completed = [p for p in pages if p.state == page_pb2.PAGE_STATE_COMPLETED]
    assert len(failed) + len(completed) == PAGES
    assert len(failed) >= PAGES // 2, "the outage should have hit most pages"
    for page in failed:
        assert page.error.code == grpc.StatusCode.UNAVAILABLE.value[0], page.error
        assert error_info(page.error).reason == "STORAGE_UNAVAILABLE"
        assert "storage" in page.error.message.lower()
    summary = events[-1].summary
    assert (summary.completed, summary.failed) == (len(completed), len(failed))
    # Bounded: each failed page is tried ATTEMPTS times, with short backoffs, then given up.
    assert finished_at - stopped_at < 60
    retries = re.findall(r"retrying after STORAGE_UNAVAILABLE", stack.server_log(server))
    assert len(retries) == len(failed) * (ATTEMPTS - 1)

    rows = {r["page_number"]: r for r in stack.rows(document_id)}
    assert [n for n, r in rows.items() if r["status"] == "processing"] == []
    for page in failed:
        row = rows[page.page_number]
        assert (row["status"], row["error_code"], row["error_reason"]) == ("error", "UNAVAILABLE", "STORAGE_UNAVAILABLE")

    # The storage comes back: a rerun reads exactly the failed pages, and only them.
    stack.moto.start()
    for key, data in saved.items():
        storage.put(key, data)
    calls_before = stack.engine_calls()
    rerun = list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=180))
    started = rerun[0].started
    assert (started.skipped, started.to_process) == (len(completed), len(failed))
    reread = {p.page_number for p in page_events(rerun) if p.outcome == pb.PROCESS_OUTCOME_PROCESSED}
    assert reread == {p.page_number for p in failed}
    assert rerun[-1].summary.completed == len(failed) and rerun[-1].summary.failed == 0
    assert [r["status"] for r in stack.rows(document_id)] == ["completed"] * PAGES

    calls = stack.engine_calls()
    assert {n for n in calls if calls[n] != 1} == set(), "a page went through the engine twice"
    assert set(calls) - set(calls_before) == reread
