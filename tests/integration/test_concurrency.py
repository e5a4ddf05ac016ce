"""The failure the service was built to end can never come back.

The old workers shared an async engine across threads and failed with
``InterfaceError: another operation is in progress``. Here many concurrent
calls go through a server whose RPC pool is larger than its database pool.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc

from planocr.engines.registry import EngineRegistry
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from testkit.drawing import draw_page
from tests.conftest import make_settings
from tests.support.engines import BlockingEngine, CountingEngine


def _registry(engine) -> EngineRegistry:
    """A registry holding the test's own engine instance, whose counters and events the test reads: its
    servers run with thread isolation, the engine in this process."""
    registry = EngineRegistry(engine.name)
    registry.register(engine)
    return registry


def test_64_concurrent_process_page_calls_on_a_small_pool(start_server, pg_url, tmp_path):
    engine = CountingEngine(delay=0.02)
    settings = make_settings(
        tmp_path, pg_url, engine=engine.name, engine_isolation="thread", rpc_threads=32, ocr_workers=2, db_pool_size=2, db_max_overflow=2, db_pool_timeout=5
    )
    assert settings.rpc_threads > settings.db_pool_size + settings.db_max_overflow
    running = start_server(settings, engines=_registry(engine))
    # 64 distinct pages, each a distinct image size so engine calls can be counted per page.
    page_ids = [
        running.seed_page(draw_page([("P", 5, 5, 12)], size=(200 + i, 100)), width=200 + i, height=100) for i in range(64)
    ]

    def call(page_id: str):
        try:
            return running.stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=60)
        except grpc.RpcError as error:
            return error

    with ThreadPoolExecutor(max_workers=64) as clients:
        replies = list(clients.map(call, page_ids))

    errors = [r for r in replies if isinstance(r, grpc.RpcError)]
    assert not errors, [(e.code(), e.details()) for e in errors]
    assert all(r.outcome == pb.PROCESS_OUTCOME_PROCESSED for r in replies)
    assert all(r.page.state == page_pb2.PAGE_STATE_COMPLETED for r in replies)
    assert engine.calls == 64 and set(engine.by_size.values()) == {1}
    assert engine.max_concurrent <= settings.ocr_workers
    for page_id in page_ids:
        record = running.server.repository.get_page(uuid.UUID(page_id))
        assert record.status == "completed" and record.attempts == 1 and record.lease_owner is None


def test_no_connection_is_held_while_the_engine_runs(start_server, database_url, tmp_path):
    engine = BlockingEngine()
    running = start_server(make_settings(tmp_path, database_url, engine=engine.name, engine_isolation="thread"), engines=_registry(engine))
    running.server._health_stop.set()  # keep the health probe's own ping out of the count
    page_id = running.seed_page(draw_page([("HELD", 10, 10, 20)]))
    pool = running.server.db_engine.pool

    with ThreadPoolExecutor(max_workers=1) as client:
        reply = client.submit(running.stub.ProcessPage, pb.ProcessPageRequest(page_id=page_id), timeout=60)
        assert engine.entered.wait(30)
        checked_out_during_ocr = pool.checkedout()
        state_during_ocr = running.server.repository.get_page(uuid.UUID(page_id)).status
        engine.release()
        result = reply.result()

    assert checked_out_during_ocr == 0
    assert state_during_ocr == "processing"
    assert result.page.state == page_pb2.PAGE_STATE_COMPLETED


def test_two_calls_on_one_page_read_it_once(start_server, database_url, tmp_path):
    """The second call waits for the first one's result (outcome PROCESSED_ELSEWHERE) instead of reading again."""
    engine = BlockingEngine()
    running = start_server(make_settings(tmp_path, database_url, engine=engine.name, engine_isolation="thread"), engines=_registry(engine))
    page_id = running.seed_page(draw_page([("ONCE", 10, 10, 20)]))
    request = pb.ProcessPageRequest(page_id=page_id)

    with ThreadPoolExecutor(max_workers=2) as clients:
        first = clients.submit(running.stub.ProcessPage, request, timeout=60)
        assert engine.entered.wait(30)
        second = clients.submit(running.stub.ProcessPage, request, timeout=60)
        threading.Event().wait(0.5)  # let the second call find the page leased
        assert not second.done()
        engine.release()
        replies = sorted([first.result(), second.result()], key=lambda r: r.outcome)

    assert [r.outcome for r in replies] == [pb.PROCESS_OUTCOME_PROCESSED, pb.PROCESS_OUTCOME_PROCESSED_ELSEWHERE]
    assert replies[0].page.text == replies[1].page.text == "COUNTED"
    assert engine.calls == 1
