"""Background work through the Python clients and the command line, against a real server on a loopback port."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid

import pytest

from planocr.client import (
    AsyncPlanocrClient,
    Cancelled,
    DocumentOperation,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PlanocrClient,
)
from testkit.drawing import draw_page
from tests.conftest import make_settings
from tests.integration.test_cli_ocr import planocr
from tests.integration.test_documents import _registry
from tests.support.engines import CountingEngine
from tests.support.pdfs import text_pdf


def _pages(count: int) -> list[bytes]:
    return [draw_page([("P", 5, 5, 12)], size=(200 + n, 100)) for n in range(count)]


@pytest.fixture
def slow_server(start_server, tmp_path):
    def start(delay: float):
        engine = CountingEngine(delay=delay)
        settings = make_settings(tmp_path / uuid.uuid4().hex[:6], engine=engine.name, engine_isolation="thread")
        return start_server(settings, engines=_registry(engine)), engine

    return start


def test_sync_client_starts_watches_and_waits(slow_server):
    running, engine = slow_server(0.1)
    document_id, _ = running.seed_document(_pages(5), width=200, height=100)
    with PlanocrClient(running.address, timeout=10) as client:
        operation = client.start_document(document_id, request_id="read-1")
        assert isinstance(operation, DocumentOperation) and not operation.done
        assert (operation.document_id, operation.progress.to_process) == (document_id, 5)
        assert client.start_document(document_id, request_id="read-1").name == operation.name

        events = list(client.watch_document(document_id))
        kinds = [e.WhichOneof("event") for e in events]
        assert kinds[0] == "snapshot" and kinds[-1] == "summary" and kinds.count("page") == 5

        done = client.wait_operation(operation.name, timeout=30)
        assert done.done and done.error is None and done.summary.completed == 5
        assert done.progress.done == 5
        assert [o.name for o in client.list_operations(document_id=document_id)] == [operation.name]
        assert [o.name for o in client.list_operations(done=False)] == []

        # Resume after the second page: only the later ones.
        since = events[2].page.finish_time
        later = [e for e in client.watch_document(document_id, since=since) if e.HasField("page")]
        assert [e.page.page_id for e in later] == [e.page.page_id for e in events[3:6]]

        client.delete_operation(operation.name)
        with pytest.raises(NotFound) as missing:
            client.get_operation(operation.name)
        assert missing.value.reason == "OPERATION_NOT_FOUND"
        with pytest.raises(InvalidArgument):
            client.start_document("not-a-uuid")
    assert engine.calls == 5


def test_sync_client_cancel_and_a_running_operation_cannot_be_deleted(slow_server):
    running, engine = slow_server(0.3)
    document_id, _ = running.seed_document(_pages(10), width=200, height=100)
    with PlanocrClient(running.address, timeout=10) as client:
        operation = client.start_document(document_id)
        with pytest.raises(FailedPrecondition):
            client.delete_operation(operation.name)
        waited = client.wait_operation(operation.name, timeout=0.2)
        assert not waited.done
        client.cancel_operation(operation.name)
        ended = client.get_operation(operation.name)
        assert ended.done and isinstance(ended.error, Cancelled) and ended.summary is None
        assert ended.progress.cancel_requested


def test_asyncio_client_starts_watches_and_waits(slow_server):
    running, _engine = slow_server(0.05)
    document_id, _ = running.seed_document(_pages(4), width=200, height=100)

    async def main():
        async with AsyncPlanocrClient(running.address, timeout=10) as client:
            operation = await client.start_document(document_id, priority=3)
            assert operation.progress.priority == 3
            pages = []
            async for event in client.watch_document(document_id):
                if event.HasField("page"):
                    pages.append(event.page.page_number)
            done = await client.wait_operation(operation.name, timeout=30)
            listed = [o.name async for o in client.list_operations(document_id=document_id)]
            return operation, pages, done, listed

    operation, pages, done, listed = asyncio.run(main())
    assert sorted(pages) == [1, 2, 3, 4]
    assert done.done and done.summary.completed == 4
    assert listed == [operation.name]


def test_asyncio_watch_can_be_left_without_stopping_the_work(slow_server):
    running, engine = slow_server(0.2)
    document_id, _ = running.seed_document(_pages(6), width=200, height=100)

    async def main():
        async with AsyncPlanocrClient(running.address, timeout=10) as client:
            operation = await client.start_document(document_id)
            async with client.watch_document(document_id) as stream:
                async for event in stream:
                    if event.HasField("page"):
                        break  # leave after the first page
            return await client.wait_operation(operation.name, timeout=30)

    done = asyncio.run(main())
    assert done.summary.completed == 6 and engine.calls == 6


def test_cli_detach_then_watch(start_server, tmp_path):
    running = start_server(make_settings(tmp_path, engine="null"))
    pdf = tmp_path / "set.pdf"
    pdf.write_bytes(text_pdf([["FIRST SHEET"], ["SECOND SHEET"], ["THIRD SHEET"]]))

    started = planocr("ocr", "--server", running.address, "--detach", "--json", str(pdf))
    assert started.returncode == 0, started.stderr
    [entry] = json.loads(started.stdout)["documents"]
    assert entry["operation"].startswith("operations/") and entry["pages"] == 3

    watched = planocr("watch", entry["document_id"], "--server", running.address, "--json", "--quiet")
    assert watched.returncode == 0, watched.stderr
    [document] = json.loads(watched.stdout)["documents"]
    assert [p["state"] for p in document["pages"]] == ["completed"] * 3
    assert "SECOND SHEET" in document["pages"][1]["text"]

    table = planocr("watch", entry["document_id"], "--server", running.address, "--quiet")
    assert table.returncode == 0 and "completed" in table.stdout

    human = planocr("ocr", "--server", running.address, "--detach", str(pdf))
    assert human.returncode == 0 and "planocr watch" in human.stdout

    alone = planocr("ocr", "--detach", str(pdf))
    assert alone.returncode == 2 and "--server" in alone.stderr
    unknown = planocr("watch", str(uuid.uuid4()), "--server", running.address)
    assert unknown.returncode == 2 and "not found" in unknown.stderr


def test_watch_follows_pages_read_by_another_caller(slow_server):
    """WatchDocument reports pages wherever they are read: here by a ProcessDocument stream on another channel."""
    running, _engine = slow_server(0.1)
    document_id, _ = running.seed_document(_pages(4), width=200, height=100)
    with PlanocrClient(running.address, timeout=10) as client:
        stream = client.watch_document(document_id)
        first = next(stream)
        assert first.snapshot.document.page_counts.pending == 4 and first.snapshot.operation == ""
        def read():
            with PlanocrClient(running.address) as other:
                list(other.process_document(document_id))

        reader = threading.Thread(target=read)
        reader.start()
        rest = list(stream)
        reader.join()
    assert sorted(e.page.page_number for e in rest if e.HasField("page")) == [1, 2, 3, 4]
    assert rest[-1].summary.completed == 4
