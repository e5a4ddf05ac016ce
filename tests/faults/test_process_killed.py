"""The service is killed with SIGKILL mid-document; a restarted one takes over the expired claims."""

from __future__ import annotations

import datetime as dt

import grpc

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from tests.faults.conftest import page_events
from tests.support.polling import wait_for

PAGES = 12
LEASE_SECONDS = 3
ENGINE_SECONDS = 0.6


def test_sigkill_mid_document_then_restart_completes_the_rest_without_rereading(stack):
    env = {"PLANOCR_TEST_ENGINE_DELAY": str(ENGINE_SECONDS), "PLANOCR_LEASE_SECONDS": str(LEASE_SECONDS)}
    first = stack.start_server(**env)
    stub = stack.stub(first)
    document_id, page_ids = stack.upload(stub, PAGES)

    stream = stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=120)

    def mid_run():
        # Kill while a page has just been claimed, so its engine call is surely still running
        # when the signal lands, even on a loaded machine.
        rows = stack.rows(document_id)
        done = sum(r["status"] == "completed" for r in rows)
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=LEASE_SECONDS - ENGINE_SECONDS / 2)
        fresh = [r for r in rows if r["status"] == "processing" and r["lease_expires_at"] > soon]
        return 3 <= done < PAGES - 2 and fresh

    wait_for(mid_run, 60, "three pages completed and one just claimed", interval=0.02)
    first.kill()  # SIGKILL: no graceful stop, no release of the claims it holds
    killed_at = dt.datetime.now(dt.UTC)
    try:
        seen = list(stream)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.UNAVAILABLE, error
    else:
        raise AssertionError(f"the stream of a killed server ended normally with {len(seen)} events")

    rows = {r["page_number"]: r for r in stack.rows(document_id)}
    completed_before = {n for n, r in rows.items() if r["status"] == "completed"}
    orphaned = {n: r for n, r in rows.items() if r["status"] == "processing"}
    assert orphaned, f"no claim was held when the server died: {[(n, r['status']) for n, r in rows.items()]}"
    assert len({r["lease_owner"] for r in orphaned.values()}) == 1
    calls_before = stack.engine_calls()
    assert all(calls_before[n] == 1 for n in completed_before)

    second = stack.start_server(**env)
    stub = stack.stub(second)
    events = list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=120))

    started = events[0].started
    assert (started.total_pages, started.skipped, started.to_process) == (PAGES, len(completed_before), PAGES - len(completed_before))
    pages = page_events(events)
    assert sorted(p.page_id for p in pages) == sorted(page_ids.values()), "a page was reported twice or not at all"
    assert all(p.state == page_pb2.PAGE_STATE_COMPLETED for p in pages)
    by_number = {p.page_number: p for p in pages}
    assert {n for n, p in by_number.items() if p.outcome == pb.PROCESS_OUTCOME_ALREADY_COMPLETED} == completed_before
    assert {n for n, p in by_number.items() if p.outcome == pb.PROCESS_OUTCOME_PROCESSED} == set(range(1, PAGES + 1)) - completed_before
    assert events[-1].summary.completed == PAGES - len(completed_before) and events[-1].summary.failed == 0

    after = {r["page_number"]: r for r in stack.rows(document_id)}
    assert [r["status"] for r in after.values()] == ["completed"] * PAGES
    assert [n for n, r in after.items() if r["lease_owner"] is not None] == []
    for number, orphan in orphaned.items():
        # Taken over by the new process, and only once the dead one's lease had run out.
        assert after[number]["attempts"] == orphan["attempts"] + 1
        assert after[number]["processed_at"] >= orphan["lease_expires_at"]
        assert orphan["lease_expires_at"] <= killed_at + dt.timedelta(seconds=LEASE_SECONDS + 1)

    calls = stack.engine_calls()
    assert sorted(calls) == list(range(1, PAGES + 1))
    reread = {n for n in calls if calls[n] > 1}
    assert reread <= set(orphaned), f"pages {sorted(reread - set(orphaned))} were read again after they were completed"
    assert all(calls[n] == 1 for n in completed_before)
