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


STATE_NAMES = {
    page_pb2.PAGE_STATE_PENDING: "pending",
    page_pb2.PAGE_STATE_PROCESSING: "processing",
    page_pb2.PAGE_STATE_COMPLETED: "completed",
    page_pb2.PAGE_STATE_FAILED: "error",
}


def assert_events_match_the_database(stack, document_id: str, events: list, total: int) -> list:
    """Every page event says what the database says about the page after the run; returns the page events."""
    pages = page_events(events)
    assert len({p.page_id for p in pages}) == len(pages), "a page was reported twice"
    assert sorted(p.page_number for p in pages) == sorted({p.page_number for p in pages})
    assert all(1 <= p.page_number <= total for p in pages), [p.page_number for p in pages]
    rows = {r["id"]: r for r in stack.rows(document_id)}
    said = {p.page_number: STATE_NAMES[p.state] for p in pages}
    holds = {p.page_number: rows[p.page_id]["status"] for p in pages}
    assert said == holds
    assert all((p.state == page_pb2.PAGE_STATE_FAILED) == p.HasField("error") for p in pages)
    if events and events[-1].WhichOneof("event") == "summary":
        summary = events[-1].summary
        statuses = [r["status"] for r in rows.values()]
        assert summary.total_pages == total
        assert summary.completed == sum(p.state == page_pb2.PAGE_STATE_COMPLETED for p in pages)
        assert summary.failed == statuses.count("error")
    return pages


def test_outage_longer_than_the_retries_reports_pages_as_the_database_has_them(stack):
    """Down longer than the retry budget: what the stream reports is what the database holds; a rerun finishes.

    Pages whose result could not be saved were reported FAILED with page
    number 0 and counted failed, while the database held them pending or
    processing.
    """
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
    pages = assert_events_match_the_database(stack, document_id, events, pages_total)
    assert len(pages) < pages_total or any(p.state != page_pb2.PAGE_STATE_COMPLETED for p in pages), "the outage cost nothing"
    for page in pages:
        if page.state == page_pb2.PAGE_STATE_FAILED:
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


def test_pages_left_unsaved_by_an_outage_are_reported_pending_and_given_back(stack):
    """The stream outlives the outage: unsaved pages are reported as the database has them once it is back."""
    server = stack.start_server(
        PLANOCR_TEST_ENGINE_DELAY="0.2",
        PLANOCR_RETRY_ATTEMPTS="3",  # 0.5 s + 1 s of patience per page job, far less than the outage
        PLANOCR_RETRY_BACKOFF="0.5",
        PLANOCR_LEASE_SECONDS="300",  # a claim left behind would show as processing long after the run
    )
    stub = stack.stub(server)
    pages_total = 16
    document_id, page_ids = stack.upload(stub, pages_total)

    events = []
    stopped = False
    for event in stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=120):
        events.append(event)
        if not stopped and len(page_events(events)) >= 3:
            stack.cluster.stop("fast")
            stopped = True
            time.sleep(4)
            stack.cluster.start()
    assert stopped and events[-1].WhichOneof("event") == "summary"
    pages = assert_events_match_the_database(stack, document_id, events, pages_total)
    assert sorted(p.page_id for p in pages) == sorted(page_ids.values())
    pending = [p for p in pages if p.state == page_pb2.PAGE_STATE_PENDING]
    assert pending, "the outage left no page unsaved"
    summary = events[-1].summary
    assert summary.completed + summary.failed + len(pending) == pages_total
    # The claims of the unsaved pages were given back: none waits out its 300 s lease.
    assert [r["page_number"] for r in stack.rows(document_id) if r["status"] == "processing"] == []
    assert "could not be saved in this run" in stack.server_log(server)

    rerun = list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=120))
    assert rerun[-1].summary.completed + rerun[-1].summary.skipped == pages_total
    assert [r["status"] for r in stack.rows(document_id)] == ["completed"] * pages_total
