"""PostgreSQL goes away and comes back while a ProcessDocument runs."""

from __future__ import annotations

import time

import grpc

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from tests.faults.conftest import error_info, page_events, rpc_reason

PAGES = 20
OUTAGE_SECONDS = 1.5


def test_postgres_restart_mid_document_completes_every_page_once(stack):
    server = stack.start_server(
        PLANOCR_TEST_ENGINE_DELAY="0.25",
        PLANOCR_RETRY_ATTEMPTS="8",  # backoff 0.2 s doubling: about 25 s of patience, far more than the outage
        PLANOCR_RETRY_BACKOFF="0.2",
        PLANOCR_LEASE_SECONDS="15",
    )
    stub = stack.stub(server)
    document_id, page_ids = stack.upload(stub, PAGES)

    events = []
    restarted_after = None
    stream = stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=180)
    for event in stream:
        events.append(event)
        if restarted_after is None and len(page_events(events)) >= 3:
            restarted_after = len(page_events(events))
            stack.cluster.stop("fast")  # terminates every backend, like a crash or a failover
            time.sleep(OUTAGE_SECONDS)  # the outage: the server keeps working against a dead database
            stack.cluster.start()

    assert restarted_after is not None and restarted_after < PAGES, "the restart did not happen mid-run"
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds[0] == "started" and kinds[-1] == "summary"
    pages = page_events(events)
    assert sorted(p.page_id for p in pages) == sorted(page_ids.values()), "a page was reported twice or not at all"
    not_completed = [(p.page_number, p.state, p.error.message) for p in pages if p.state != page_pb2.PAGE_STATE_COMPLETED]
    assert not_completed == []
    summary = events[-1].summary
    assert (summary.total_pages, summary.completed, summary.failed) == (PAGES, PAGES, 0)

    rows = stack.rows(document_id)
    assert [r["status"] for r in rows] == ["completed"] * PAGES
    assert [r["page_number"] for r in rows if r["lease_owner"] is not None] == []

    # The server really lost its database and retried; it did not read any page twice.
    log = stack.server_log(server)
    assert "DATABASE_UNAVAILABLE" in log, "the server never noticed the restart"
    calls = stack.engine_calls()
    assert sorted(calls) == list(range(1, PAGES + 1))
    assert {n: c for n, c in calls.items() if c != 1} == {}


def test_outage_longer_than_the_retries_fails_pages_unavailable_and_a_rerun_completes_them(stack):
    """Down longer than the retry budget: pages fail UNAVAILABLE, none is stuck past its lease, a rerun finishes."""
    lease = 4
    server = stack.start_server(
        PLANOCR_TEST_ENGINE_DELAY="0.2",
        PLANOCR_RETRY_ATTEMPTS="2",
        PLANOCR_RETRY_BACKOFF="0.1",
        PLANOCR_LEASE_SECONDS=str(lease),
    )
    stub = stack.stub(server)
    pages_total = 16
    document_id, page_ids = stack.upload(stub, pages_total)

    events, stream_error = [], None
    stopped = False
    try:
        for event in stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=120):
            events.append(event)
            if not stopped and len(page_events(events)) >= 3:
                stack.cluster.stop("fast")
                stopped = True
                time.sleep(4)  # the outage, far longer than two tries 0.1 s apart
                stack.cluster.start()
    except grpc.RpcError as error:
        stream_error = error
    assert stopped
    if stream_error is not None:
        # The stream may end early, but only with the retryable status and its reason.
        assert (stream_error.code(), rpc_reason(stream_error)) == (grpc.StatusCode.UNAVAILABLE, "DATABASE_UNAVAILABLE")
    pages = page_events(events)
    assert len({p.page_id for p in pages}) == len(pages), "a page was reported twice"
    failed = [p for p in pages if p.state == page_pb2.PAGE_STATE_FAILED]
    assert failed, "the outage failed no page"
    for page in failed:
        assert page.error.code == grpc.StatusCode.UNAVAILABLE.value[0], page.error
        assert error_info(page.error).reason == "DATABASE_UNAVAILABLE"

    completed_before = {r["page_number"] for r in stack.rows(document_id) if r["status"] == "completed"}
    calls_before = stack.engine_calls()
    # Pages whose result could not be saved keep their claim only until the lease runs out.
    rerun = list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=120))
    assert rerun[-1].summary.completed + rerun[-1].summary.skipped == pages_total
    assert sorted(p.page_id for p in page_events(rerun)) == sorted(page_ids.values())
    rows = stack.rows(document_id)
    assert [r["status"] for r in rows] == ["completed"] * pages_total
    calls = stack.engine_calls()
    assert all(calls[n] == 1 for n in completed_before), "a completed page was read again"
    assert all(calls[n] == calls_before[n] for n in completed_before)
