"""SIGTERM on a real server process: NOT_SERVING, no new calls, calls in flight finish or are cut at the grace period, nothing left processing."""

from __future__ import annotations

import threading
import time
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from planocr.client import PlanocrClient
from planocr.config import Settings
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.repository import Repository
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import ocr_service_pb2_grpc as pb_grpc
from planocr.v1 import page_pb2
from tests.operability.helpers import wait_until
from tests.support.pdfs import text_pdf
from tests.support.procserver import ServerProcess

NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def start(tmp_path, *, delay: float, grace: float, workers: int = 2) -> tuple[ServerProcess, str]:
    database_url = f"sqlite:///{tmp_path / 'planocr.db'}"
    env = {
        "PLANOCR_LISTEN": "127.0.0.1:0",
        "PLANOCR_DATA_DIR": str(tmp_path / "data"),
        "PLANOCR_DATABASE_URL": database_url,
        "PLANOCR_TEXT_SOURCE": "ocr",  # the slow engine reads every page, not the PDF's text layer
        "PLANOCR_RENDER_DPI": "40",
        "PLANOCR_OCR_WORKERS": str(workers),
        "PLANOCR_GRACE_SECONDS": str(grace),
        "PLANOCR_TEST_ENGINE_LOG": str(tmp_path / "engine.log"),
        "PLANOCR_TEST_ENGINE_DELAY": str(delay),
    }
    server = ServerProcess(env, log_path=tmp_path / "server.log")
    server.start()
    return server, database_url


def page_states(tmp_path, database_url: str, document_id: str) -> dict[str, int]:
    engine = create_db_engine(Settings(listen="127.0.0.1:0", data_dir=tmp_path, database_url=database_url))
    try:
        pages, _ = Repository(create_sessionmaker(engine)).list_pages(uuid.UUID(document_id), after=0, limit=100)
    finally:
        engine.dispose()
    states: dict[str, int] = {}
    for page in pages:
        states[page.status] = states.get(page.status, 0) + 1
        assert page.lease_owner is None, page
    return states


def watch_health(channel: grpc.Channel, seen: list[int]) -> None:
    try:
        for reply in health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""), timeout=60):
            seen.append(reply.status)
    except grpc.RpcError:
        pass


def test_sigterm_mid_document_cuts_at_the_grace_period_and_releases_pages(tmp_path):
    server, database_url = start(tmp_path, delay=0.5, grace=2.0)
    try:
        with PlanocrClient(server.address, retry=None) as client:
            document = client.upload(text_pdf([[f"PAGE {n}"] for n in range(16)]), filename="sixteen.pdf")
        channel = grpc.insecure_channel(server.address)
        health_seen: list[int] = []
        threading.Thread(target=watch_health, args=(channel, health_seen), daemon=True).start()

        events: list[pb.ProcessDocumentResponse] = []
        ended: list[grpc.StatusCode] = []
        first_page = threading.Event()

        def read_stream() -> None:
            try:
                for event in pb_grpc.OcrServiceStub(channel).ProcessDocument(pb.ProcessDocumentRequest(document_id=document.document_id), timeout=60):
                    events.append(event)
                    if event.HasField("page"):
                        first_page.set()
                ended.append(grpc.StatusCode.OK)
            except grpc.RpcError as error:
                ended.append(error.code())

        reader = threading.Thread(target=read_stream)
        reader.start()
        assert first_page.wait(30)
        stopped_at = time.monotonic()
        server.proc.terminate()  # SIGTERM

        # Health turns NOT_SERVING first; from then on new calls are refused while the stream still runs.
        assert wait_until(lambda: NOT_SERVING in health_seen, timeout=5)
        time.sleep(0.1)
        with pytest.raises(grpc.RpcError) as refused:
            pb_grpc.OcrServiceStub(grpc.insecure_channel(server.address)).GetDocument(pb.GetDocumentRequest(document_id=document.document_id), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE

        assert not ended  # the stream was still running when the new call was refused
        assert server.proc.wait(30) == 0
        took = time.monotonic() - stopped_at
        reader.join(10)
    finally:
        server.kill()

    # Sixteen pages at 0.5 s on two workers need 4 s: the two-second grace cut the stream.
    assert ended and ended[0] in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE)
    assert not any(e.HasField("summary") for e in events)
    assert took < 2.0 + 5.0 + 3.0  # grace + drain + process exit
    states = page_states(tmp_path, database_url, document.document_id)
    assert "processing" not in states
    assert states.get("completed", 0) >= 1 and states.get("pending", 0) >= 1
    assert sum(states.values()) == 16


def test_sigterm_lets_a_call_in_flight_finish(tmp_path):
    server, database_url = start(tmp_path, delay=1.5, grace=10.0, workers=1)
    try:
        with PlanocrClient(server.address, retry=None) as client:
            document = client.upload(text_pdf([["ONLY PAGE"]]), filename="one.pdf")
            page_id = next(iter(client.list_pages(document.document_id))).page_id
            reply: list = []
            caller = threading.Thread(target=lambda: reply.append(client.process_page(page_id, timeout=30)))
            caller.start()
            time.sleep(0.5)  # the page is inside the 1.5 s engine call
            stopped_at = time.monotonic()
            server.proc.terminate()
            caller.join(30)
        assert server.proc.wait(30) == 0
        took = time.monotonic() - stopped_at
    finally:
        server.kill()
    assert reply and reply[0].page.state == page_pb2.PAGE_STATE_COMPLETED
    assert took < 5.0  # it stops as soon as the call is done, not after the whole grace period
    assert page_states(tmp_path, database_url, document.document_id) == {"completed": 1}
