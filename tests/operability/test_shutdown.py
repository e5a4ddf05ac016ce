"""SIGTERM on a real server process: NOT_SERVING, no new calls, calls in flight finish or are cut at the grace period, nothing left processing."""

from __future__ import annotations

import threading
import time
import uuid

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from planocr.client import PlanocrClient
from planocr.config import Settings
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.repository import Repository
from planocr.rpc.server import CANCEL_SECONDS
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import ocr_service_pb2_grpc as pb_grpc
from planocr.v1 import page_pb2
from testkit.procserver import ServerProcess
from tests.support.pdfs import text_pdf
from tests.support.polling import wait_until

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
    server, database_url = start(tmp_path, delay=1.0, grace=4.0)
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

    # Sixteen pages at 1 s on two workers need 8 s: the four-second grace cut the stream, as the service does it.
    assert ended and ended[0] == grpc.StatusCode.CANCELLED
    assert not any(e.HasField("summary") for e in events)
    assert took < 4.0 + 5.0 + 3.0  # grace + drain + process exit
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


def reason_of(error: grpc.RpcError, call: str) -> str:
    status = rpc_status.from_call(error)
    assert status is not None, f"{call} ended {error.code().name} without a rich status: {error.details()}"
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.reason
    raise AssertionError(f"no ErrorInfo in {status}")


def test_calls_cut_at_the_end_of_the_grace_period_are_cancelled_with_a_reason(tmp_path):
    """gRPC's own cut answered UNAVAILABLE "Cancelling all calls" without an ErrorInfo; the service ends its calls first."""
    server, database_url = start(tmp_path, delay=3.0, grace=1.0, workers=1)
    try:
        with PlanocrClient(server.address, retry=None) as client:
            streamed = client.upload(text_pdf([[f"PAGE {n}"] for n in range(4)]), filename="four.pdf")
            single = client.upload(text_pdf([["ALONE"]]), filename="one.pdf")
            single_page = next(iter(client.list_pages(single.document_id))).page_id
        channel = grpc.insecure_channel(server.address)
        stub = pb_grpc.OcrServiceStub(channel)
        outcomes: dict[str, grpc.RpcError | str] = {}
        started = threading.Event()

        def run(name, call) -> None:
            try:
                reply = call()
                if hasattr(reply, "__next__"):
                    for _event in reply:
                        started.set()
                outcomes[name] = "OK"
            except grpc.RpcError as error:
                outcomes[name] = error

        def upload_messages():
            yield pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename="long.pdf", render_dpi=300))
            yield pb.CreateDocumentRequest(chunk=text_pdf([[f"SHEET {n}"] for n in range(3000)]))

        calls = {
            "ProcessDocument": lambda: stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=streamed.document_id), timeout=60),
            "ProcessPage": lambda: stub.ProcessPage(pb.ProcessPageRequest(page_id=single_page), timeout=60),
            "CreateDocument": lambda: stub.CreateDocument(upload_messages(), timeout=120),
        }
        threads = [threading.Thread(target=run, args=item) for item in calls.items()]
        for thread in threads:
            thread.start()
        assert started.wait(30)
        objects = tmp_path / "data" / "objects" / "documents"
        assert wait_until(lambda: len(list(objects.glob("*/pages/*.png"))) > 4, timeout=30)  # the long upload is rendering
        stopped_at = time.monotonic()
        server.proc.terminate()
        for thread in threads:
            thread.join(30)
        cut_after = time.monotonic() - stopped_at
        assert server.proc.wait(30) == 0
    finally:
        server.kill()

    for name in calls:
        error = outcomes[name]
        assert isinstance(error, grpc.RpcError), f"{name} was not cut: {error}"
        assert (error.code(), reason_of(error, name)) == (grpc.StatusCode.CANCELLED, "SHUTTING_DOWN"), (name, error.details())
    assert 1.0 <= cut_after < 1.0 + CANCEL_SECONDS + 1.0  # the grace period, then the calls end themselves (reasons checked above)
    # The cut upload left nothing behind; the other two documents kept their pages, none processing.
    assert sorted(p.parent.parent.name for p in objects.glob("*/pages/*.png")) == sorted(
        [streamed.document_id] * 4 + [single.document_id]
    )
    assert page_states(tmp_path, database_url, streamed.document_id).get("processing", 0) == 0
    assert page_states(tmp_path, database_url, single.document_id).get("processing", 0) == 0


def test_a_second_sigterm_releases_the_pages_it_holds_within_a_second(tmp_path):
    """A second signal exited at once, leaving pages processing until their lease (300 s) ran out."""
    server, database_url = start(tmp_path, delay=20.0, grace=60.0, workers=2)
    try:
        with PlanocrClient(server.address, retry=None) as client:
            document = client.upload(text_pdf([[f"PAGE {n}"] for n in range(6)]), filename="six.pdf")
        channel = grpc.insecure_channel(server.address)
        stream = pb_grpc.OcrServiceStub(channel).ProcessDocument(pb.ProcessDocumentRequest(document_id=document.document_id), timeout=120)
        assert next(stream).HasField("started")
        assert wait_until(lambda: raw_states(database_url, document.document_id).get("processing", 0) == 2, timeout=20)
        server.proc.terminate()
        time.sleep(0.5)  # the graceful stop is under way: it would wait 60 s for the engine
        second_at = time.monotonic()
        server.proc.terminate()
        code = server.proc.wait(10)
        took = time.monotonic() - second_at
    finally:
        server.kill()
    assert code == 1
    assert took < 1.0 + 1.0  # one second to release, and the exit
    assert raw_states(database_url, document.document_id) == {"pending": 6}
    assert "released 2 pages and 0 upload claims before exiting" in (tmp_path / "server.log").read_text()


def raw_states(database_url: str, document_id: str) -> dict[str, int]:
    """Page states by count, read straight from the database file."""
    import sqlite3

    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path, timeout=10) as connection:
        rows = connection.execute(
            "select status, count(*) from pages where document_id = ? group by status", (uuid.UUID(document_id).hex,)
        ).fetchall()
    return dict(rows)
