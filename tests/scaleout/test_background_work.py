"""Background work against real server processes on one PostgreSQL: callers leave, servers die, replicas share.

Each server is a ``testkit.procserver`` process whose engine appends one
line per call to a shared log (page size, server pid), so a test can tell
which replica read which page and whether any page was read twice.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter

import grpc
import pytest
from google.longrunning import operations_pb2
from google.longrunning import operations_pb2_grpc as ops_grpc
from sqlalchemy import create_engine, text

from planocr.db.engine import to_sync_url
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import ocr_service_pb2_grpc as pb_grpc
from planocr.v1 import page_pb2
from testkit.documents import page_width, tiff_document
from testkit.procserver import ServerProcess
from testkit.replicas import engine_calls, replicas
from tests.support.polling import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

# Like a network engine: each page waits, using no CPU, so replicas add capacity even on one machine.
DELAY = 0.2


def _states(pg_url: str, document_id: str) -> Counter:
    engine = create_engine(to_sync_url(pg_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT status, count(*) FROM pages WHERE document_id = :d GROUP BY status"), {"d": uuid.UUID(document_id)}
            ).all()
    finally:
        engine.dispose()
    return Counter(dict(rows))


def _start(channel: grpc.Channel, document_id: str, **fields) -> str:
    return pb_grpc.OcrServiceStub(channel).StartDocument(pb.StartDocumentRequest(document_id=document_id, **fields), timeout=30).name


def _same_settings(server: ServerProcess) -> dict[str, str]:
    """Another server configured like ``server`` (same database, objects and engine), on a port of its own."""
    return {**{k: v for k, v in server.env.items() if k.startswith("PLANOCR_")}, "PLANOCR_LISTEN": "127.0.0.1:0"}


def _widths(calls) -> Counter:
    return Counter(int(c.size.split("x")[0]) for c in calls)


def test_a_started_document_completes_after_its_caller_is_gone(pg_url, tmp_path):
    with replicas(1, tmp_path, pg_url, delay=DELAY, spread=False) as one:
        document_id = one.upload(tiff_document(30))
        caller = grpc.insecure_channel(one.servers[0].address)
        _start(caller, document_id)
        caller.close()  # the caller is gone; nobody watches

        wait_for(lambda: _states(pg_url, document_id)["completed"] == 30, 60, "all 30 pages to complete")
        calls = engine_calls(one.engine_log)

    assert sorted(_widths(calls)) == [page_width(n) for n in range(1, 31)]
    assert set(_widths(calls).values()) == {1}, "a page was read more than once"


def test_queued_pages_survive_a_killed_server_and_are_read_after_a_restart_with_no_caller(pg_url, tmp_path):
    env = {"PLANOCR_LEASE_SECONDS": "2"}  # the dead server's claims run out quickly
    with replicas(1, tmp_path, pg_url, delay=DELAY, spread=False, extra_env=env) as one:
        document_id = one.upload(tiff_document(30))
        operation = _start(one.channel, document_id)
        wait_for(lambda: _states(pg_url, document_id)["completed"] >= 10, 60, "ten pages to complete")
        victim = one.servers[0]
        victim.kill()  # SIGKILL: no release, no goodbye
        before = _states(pg_url, document_id)
        in_flight = before["processing"]
        assert before["completed"] < 30 and before["pending"] >= 15, before

        restarted = ServerProcess(_same_settings(victim), tmp_path / "restarted.log")
        with restarted:
            wait_for(lambda: _states(pg_url, document_id)["completed"] == 30, 60, "the rest to complete after the restart")
            channel = grpc.insecure_channel(restarted.address)
            ops = ops_grpc.OperationsStub(channel)
            done = wait_for(
                lambda: (o := ops.GetOperation(operations_pb2.GetOperationRequest(name=operation), timeout=10)).done and o,
                30, "the operation to end",
            )
            channel.close()
        calls = engine_calls(one.engine_log)

    summary = pb.DocumentSummary()
    assert done.response.Unpack(summary) and summary.completed == 30
    per_page = _widths(calls)
    assert sorted(per_page) == [page_width(n) for n in range(1, 31)]
    twice = [w for w, n in per_page.items() if n > 1]
    # Only the pages the killed server was reading are read again; every other page once.
    assert len(twice) <= in_flight and all(per_page[w] == 2 for w in twice), (twice, in_flight)
    assert {c.pid for c in calls} == {victim.proc.pid, restarted.proc.pid}


def test_three_replicas_share_three_background_documents_fairly(pg_url, tmp_path):
    sizes = {"large": 100, "medium": 20, "small": 2}
    with replicas(3, tmp_path, pg_url, delay=DELAY, spread=False) as three:
        documents = {name: three.upload(tiff_document(count)) for name, count in sizes.items()}
        # Each start goes to a different replica; the small set last, behind the others.
        channels = [grpc.insecure_channel(s.address) for s in three.servers]
        names = {name: _start(channels[i], documents[name]) for i, name in enumerate(sizes)}
        ops = ops_grpc.OperationsStub(channels[0])

        def get(name):
            return ops.GetOperation(operations_pb2.GetOperationRequest(name=names[name]), timeout=10)

        wait_for(lambda: get("small").done, 60, "the small set to finish")
        large_when_small_done = get("large")
        wait_for(lambda: all(get(n).done for n in sizes), 120, "every set to finish")
        for channel in channels:
            channel.close()
        calls = engine_calls(three.engine_log)
        pids = three.pids

    assert not large_when_small_done.done, "the 2-page set waited for the 100-page one"
    for name, count in sizes.items():
        assert _states(pg_url, documents[name])["completed"] == count
    assert len(calls) == sum(sizes.values()), "a page was read more than once"
    per_process = Counter(c.pid for c in calls)
    assert set(per_process) == pids, f"the work did not reach every replica: {dict(per_process)}"
    assert min(per_process.values()) >= sum(sizes.values()) / 3 / 2, dict(per_process)


def test_a_replica_started_later_joins_the_background_work(pg_url, tmp_path):
    with replicas(1, tmp_path, pg_url, delay=DELAY, spread=False) as one:
        document_id = one.upload(tiff_document(40))
        _start(one.channel, document_id)
        joined = ServerProcess(_same_settings(one.servers[0]), tmp_path / "joined.log")
        with joined:
            wait_for(lambda: _states(pg_url, document_id)["completed"] == 40, 60, "all pages to complete")
        calls = engine_calls(one.engine_log)

    per_process = Counter(c.pid for c in calls)
    assert len(calls) == 40 and joined.proc.pid in per_process, dict(per_process)


def test_process_page_and_watch_while_background_work_fills_every_worker(pg_url, tmp_path):
    delay = 0.5
    with replicas(1, tmp_path, pg_url, delay=delay, spread=False) as one:
        document_id = one.upload(tiff_document(12))
        interactive = one.upload(tiff_document(1), filename="one.tif")
        stub = pb_grpc.OcrServiceStub(one.channel)
        page_id = stub.ListPages(pb.ListPagesRequest(document_id=interactive)).pages[0].page_id
        _start(one.channel, document_id)
        wait_for(lambda: _states(pg_url, document_id)["processing"] == 2, 30, "background pages to fill both workers")

        # WatchDocument on the running document: its counts at once.
        started = time.monotonic()
        stream = stub.WatchDocument(pb.WatchDocumentRequest(document_id=document_id), timeout=60)
        first = next(stream)
        snapshot_after = time.monotonic() - started
        counts = first.snapshot.document.page_counts
        assert counts.processing >= 1 and counts.pending + counts.processing + counts.completed == 12

        # ProcessPage while both workers read background pages: its page is the next one started, so
        # (the engine logs a page when it is done) it is done before any background page started after it.
        wait_for(lambda: _states(pg_url, document_id)["processing"] == 2, 30, "both workers busy again")
        before = len(engine_calls(one.engine_log))
        reply = stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=60)
        after = [c.size for c in engine_calls(one.engine_log)[before:]]
        assert reply.page.state == page_pb2.PAGE_STATE_COMPLETED
        interactive_size = f"{page_width(1)}x100"
        assert interactive_size in after[:3], after

        rest = list(stream)
        finished = list(stub.WatchDocument(pb.WatchDocumentRequest(document_id=document_id), timeout=60))
    print(f"\nsnapshot of a running document after {snapshot_after * 1000:.0f} ms")
    assert snapshot_after < 1.0
    assert sorted(e.page.page_number for e in rest if e.WhichOneof("event") == "page") == list(range(1, 13))
    assert rest[-1].summary.completed == 12
    assert [e.WhichOneof("event") for e in finished] == ["snapshot"] + ["page"] * 12 + ["summary"]
