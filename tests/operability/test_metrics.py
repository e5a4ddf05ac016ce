"""The Prometheus endpoint: RPCs by method and code, pages by engine/source/outcome, queue depth, pool in use."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from planocr.client import PAGE_STATE_COMPLETED, FailedPrecondition, NotFound, PlanocrClient
from planocr.engines.registry import EngineRegistry
from planocr.v1 import ocr_service_pb2 as pb
from testkit.drawing import draw_page
from tests.conftest import make_settings
from tests.operability.helpers import scrape
from tests.support.engines import BlockingEngine
from tests.support.polling import wait_until

SERVICE = "planocr.v1.OcrService"


def rpc(method: str, code: str) -> tuple:
    return tuple(sorted({"grpc_service": SERVICE, "grpc_method": method, "grpc_code": code}.items()))


def test_rpcs_and_pages_are_counted(start_server, drawing_set):
    running = start_server(metrics_listen="127.0.0.1:0")
    port = running.server.metrics_port
    assert port

    with PlanocrClient(running.address, retry=None) as client:
        document = client.upload(drawing_set, filename="A-sheets.pdf")
        page_ids = [p.page_id for p in client.list_pages(document.document_id)]
        client.process_page(page_ids[0])
        with pytest.raises(NotFound):
            client.get_page(str(uuid.uuid4()))
        broken = running.seed_page(None, key="missing/page.png")  # its image is not in storage
        with pytest.raises(FailedPrecondition):
            client.process_page(broken)

    samples = scrape(port)
    assert samples[("grpc_server_handled_total", rpc("ProcessPage", "OK"))] == 1
    assert samples[("grpc_server_handled_total", rpc("ProcessPage", "FAILED_PRECONDITION"))] == 1
    assert samples[("grpc_server_handled_total", rpc("GetPage", "NOT_FOUND"))] == 1
    assert samples[("grpc_server_handled_total", rpc("CreateDocument", "OK"))] == 1
    assert samples[("grpc_server_handling_seconds_count", rpc("ProcessPage", "OK"))] == 1
    assert samples[("grpc_server_handling_seconds_bucket", (*rpc("ProcessPage", "OK"), ("le", "+Inf")))] == 1
    assert samples[("grpc_server_handling_seconds_sum", rpc("ProcessPage", "OK"))] > 0

    completed = (("engine", "text-layer"), ("outcome", "completed"), ("text_source", "text-layer"))
    assert samples[("planocr_pages_processed_total", completed)] == 1
    failed = [v for (name, labels), v in samples.items() if name == "planocr_pages_processed_total" and ("outcome", "failed") in labels]
    assert failed == [1]
    assert samples[("planocr_page_errors_total", (("reason", "IMAGE_MISSING"),))] == 1
    assert samples[("planocr_ocr_seconds_count", (("engine", "text-layer"), ("text_source", "text-layer")))] == 1
    assert samples[("planocr_health_serving", ())] == 1
    assert samples[("planocr_build_info", (("version", "0.1.0"),))] == 1


def test_queue_depth_and_pool_in_use(start_server, tmp_path):
    engine = BlockingEngine()
    registry = EngineRegistry(engine.name)
    registry.register(engine)
    running = start_server(make_settings(tmp_path, engine=engine.name, engine_isolation="thread", ocr_workers=1, metrics_listen="127.0.0.1:0"), engines=registry)
    port = running.server.metrics_port
    pages = [running.seed_page(draw_page([(f"Q{i}", 10, 10, 20)])) for i in range(3)]

    with ThreadPoolExecutor(max_workers=3) as callers:
        replies = [callers.submit(running.stub.ProcessPage, pb.ProcessPageRequest(page_id=p), timeout=60) for p in pages]
        assert engine.entered.wait(30)
        # One page inside the engine, two waiting for the single worker.
        assert wait_until(lambda: scrape(port)[("planocr_ocr_queue_depth", ())] == 3)
        assert scrape(port)[("planocr_ocr_workers", ())] == 1
        engine.release()
        assert all(r.result().page.page_id for r in replies)
    assert wait_until(lambda: scrape(port)[("planocr_ocr_queue_depth", ())] == 0)

    running.server._health_stop.set()  # keep the probe's own ping out of the pool count
    assert scrape(port)[("planocr_db_pool_connections_in_use", ())] == 0
    with running.server.db_engine.connect():
        assert scrape(port)[("planocr_db_pool_connections_in_use", ())] == 1
    assert scrape(port)[("planocr_db_pool_connections_in_use", ())] == 0
    assert scrape(port)[("planocr_db_pool_connections_max", ())] == 10


def test_servers_in_one_process_keep_their_own_metrics(start_server):
    first = start_server(metrics_listen="127.0.0.1:0")
    second = start_server(metrics_listen="127.0.0.1:0")
    assert first.server.metrics_port != second.server.metrics_port
    with PlanocrClient(first.address, retry=None) as client, pytest.raises(NotFound):
        client.get_document(str(uuid.uuid4()))
    key = ("grpc_server_handled_total", rpc("GetDocument", "NOT_FOUND"))
    assert scrape(first.server.metrics_port)[key] == 1
    assert key not in scrape(second.server.metrics_port)


def test_metrics_endpoint_closes_with_the_server(start_server):
    running = start_server(metrics_listen="127.0.0.1:0")
    port = running.server.metrics_port
    scrape(port)
    running.server.stop(grace=0.5)
    with pytest.raises(OSError):
        scrape(port)


def test_a_server_built_without_metrics_serves_and_refuses_an_endpoint(tmp_path):
    from planocr.rpc.server import create_server

    with pytest.raises(ValueError, match="METRICS_LISTEN"):
        create_server(make_settings(tmp_path / "a", metrics_listen="127.0.0.1:0"), metrics=False)
    server, port = create_server(make_settings(tmp_path / "b"), metrics=False)
    server.start()
    try:
        assert server.metrics.registry is None
        with PlanocrClient(f"127.0.0.1:{port}", retry=None) as client:
            document = client.upload(draw_page([("A-101", 100, 100, 40)]), filename="a.png")
            page_id = next(iter(client.list_pages(document.document_id))).page_id
            assert client.process_page(page_id).page.state == PAGE_STATE_COMPLETED
            with pytest.raises(NotFound):
                client.get_page(str(uuid.uuid4()))
        assert server.check_health()
    finally:
        server.stop(grace=0.5)
