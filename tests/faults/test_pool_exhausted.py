"""Every database connection is stuck behind slow transactions.

The test takes an ACCESS EXCLUSIVE lock on ``pages`` from its own
connection, so every query the server makes on pages waits, holding one of
its few pooled connections. Callers then get RESOURCE_EXHAUSTED
(DATABASE_BUSY) from the pool, or wait and give up at their own deadline;
never UNKNOWN or INTERNAL. Once the lock goes, the server answers again.
"""

from __future__ import annotations

import collections
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import psycopg2

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from tests.faults.conftest import rpc_reason
from tests.support.polling import wait_for

LOCK_SECONDS = 4.0
ALLOWED = {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED}


def _call(fn, request, timeout: float):
    started = time.monotonic()
    try:
        reply = fn(request, timeout=timeout)
        if isinstance(reply, grpc.Call) or hasattr(reply, "__next__"):
            reply = list(reply)
        return grpc.StatusCode.OK, "", time.monotonic() - started, timeout
    except grpc.RpcError as error:
        reason = rpc_reason(error) if error.code() not in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED) else ""
        return error.code(), reason, time.monotonic() - started, timeout


def test_pool_exhausted_by_slow_transactions_gives_resource_exhausted_or_waits(stack):
    server = stack.start_server(
        PLANOCR_OCR_WORKERS="1",
        PLANOCR_DB_POOL_SIZE="2",
        PLANOCR_DB_MAX_OVERFLOW="1",  # three connections: the least one OCR worker allows
        PLANOCR_DB_POOL_TIMEOUT="1",
        PLANOCR_RPC_THREADS="32",
    )
    stub = stack.stub(server)
    document_id, page_ids = stack.upload(stub, 6)
    done = stub.ProcessPage(pb.ProcessPageRequest(page_id=page_ids[1]), timeout=30)
    assert done.page.state == page_pb2.PAGE_STATE_COMPLETED

    calls = []
    for i in range(8):
        calls.append((stub.GetPage, pb.GetPageRequest(page_id=page_ids[1 + i % 6]), 10.0))
        calls.append((stub.GetPage, pb.GetPageRequest(page_id=page_ids[1 + i % 6]), 1.5))
    for number in (2, 3, 4):
        calls.append((stub.ProcessPage, pb.ProcessPageRequest(page_id=page_ids[number]), 10.0))
    calls.append((stub.ListPages, pb.ListPagesRequest(document_id=document_id), 10.0))
    calls.append((stub.GetDocument, pb.GetDocumentRequest(document_id=document_id), 10.0))
    calls.append((stub.ProcessDocument, pb.ProcessDocumentRequest(document_id=document_id), 10.0))

    blocker = psycopg2.connect(stack.database_url)
    try:
        with blocker.cursor() as cur:
            cur.execute("begin")
            cur.execute("lock table pages in access exclusive mode")
        with ThreadPoolExecutor(len(calls)) as clients:
            futures = [clients.submit(_call, fn, request, timeout) for fn, request, timeout in calls]
            time.sleep(LOCK_SECONDS)  # how long the slow transaction holds its lock, not an assertion
            blocker.rollback()
            results = [f.result() for f in futures]
    finally:
        blocker.close()

    codes = collections.Counter(code for code, *_ in results)
    assert set(codes) <= ALLOWED, codes
    assert codes[grpc.StatusCode.RESOURCE_EXHAUSTED] >= 1, f"the pool was never exhausted: {codes}"
    for code, reason, elapsed, timeout in results:
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            assert reason == "DATABASE_BUSY"
        # Nobody waits past their own deadline (plus scheduling slack on a loaded machine).
        assert elapsed < timeout + 3.0, (code, elapsed, timeout)

    # The slow transaction is gone: everything answers again, and nothing was left half-done.
    wait_for(lambda: _call(stub.GetPage, pb.GetPageRequest(page_id=page_ids[1]), 10)[0] == grpc.StatusCode.OK, 30, "the server to answer again")
    with ThreadPoolExecutor(16) as clients:
        after = list(clients.map(lambda i: _call(stub.GetPage, pb.GetPageRequest(page_id=page_ids[1 + i % 6]), 10), range(32)))
    assert {code for code, *_ in after} == {grpc.StatusCode.OK}
    wait_for(lambda: all(r["status"] != "processing" for r in stack.rows(document_id)), 30, "no page left in processing")
    events = list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=60))
    assert events[-1].summary.completed + events[-1].summary.skipped == 6


def test_full_ocr_queue_refuses_at_once_and_leaves_refused_pages_untouched(stack):
    server = stack.start_server(
        PLANOCR_OCR_WORKERS="1",
        PLANOCR_QUEUE_LIMIT="1",
        PLANOCR_TEST_ENGINE_DELAY="0.5",
    )
    stub = stack.stub(server)
    document_id, page_ids = stack.upload(stub, 8)
    with ThreadPoolExecutor(8) as clients:
        results = list(clients.map(lambda pid: _call(stub.ProcessPage, pb.ProcessPageRequest(page_id=pid), 30.0), page_ids.values()))
    codes = collections.Counter(code for code, *_ in results)
    assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}, codes
    assert codes[grpc.StatusCode.OK] >= 1 and codes[grpc.StatusCode.RESOURCE_EXHAUSTED] >= 1, codes
    for code, reason, elapsed, _timeout in results:
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            assert reason == "QUEUE_FULL" and elapsed < 5.0, (reason, elapsed)
    rows = {r["id"]: r for r in stack.rows(document_id)}
    refused = [pid for pid, (code, *_rest) in zip(page_ids.values(), results, strict=True) if code != grpc.StatusCode.OK]
    assert {rows[pid]["status"] for pid in refused} == {"pending"}, "a refused page was claimed"
    assert {rows[pid]["attempts"] for pid in refused} == {0}
    assert sum(stack.engine_calls().values()) == codes[grpc.StatusCode.OK]
