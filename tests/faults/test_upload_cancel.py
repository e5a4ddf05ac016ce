"""A caller that cancels, runs out of time or dies during CreateDocument.

The server must stop rendering within a page, insert no document and delete
every object the upload stored: the caller never learns the id of a
document created after it gave up, so such a document would only be a
duplicate and a way to make the server render for nobody.

The PDF is long enough that rendering all of it takes far longer than the
test waits (about a minute at 300 DPI on an idle machine); the test watches
the store for the highest page stored and checks it stops growing once the
caller is gone.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest

from planocr.storage import Storage
from planocr.v1 import ocr_service_pb2 as pb
from tests.faults.conftest import Stack
from tests.support.pdfs import text_pdf
from tests.support.polling import wait_for

PAGES = 1500
#: Pages stored before the caller gives up, so the upload is well under way.
STARTED_AFTER = 12
#: Pages that may still be stored after the cancel: the one being rendered, and one being written as it arrived.
SLACK_PAGES = 2
#: How long the server may take to notice and clean up.
STOP_SECONDS = 10.0

_PAGE_KEY = re.compile(r"^documents/[0-9a-f-]{36}/pages/(\d{4})\.png$")


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("long") / "p1500.pdf"
    path.write_bytes(text_pdf([[f"SHEET A-{n}", "FIRST FLOOR PLAN", "SCALE 1:100"] for n in range(PAGES)]))
    return path


class PageWatch:
    """Polls the store for the highest page number stored under ``documents/``, in a thread."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self.highest = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PageWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(0.03):
            self.highest = max(self.highest, self.stored())

    def stored(self) -> int:
        numbers = [int(m.group(1)) for key in self.storage.list("documents/") if (m := _PAGE_KEY.match(key))]
        return max(numbers, default=0)


def upload_messages(path: Path, filename: str = "p1500.pdf"):
    yield pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename=filename))
    data = path.read_bytes()
    for start in range(0, len(data), 1 << 20):
        yield pb.CreateDocumentRequest(chunk=data[start : start + (1 << 20)])


def call_line(stack: Stack, server, code: str) -> float | None:
    """The duration (ms) of the server's CreateDocument log line with ``code``, once it is there."""
    match = re.search(rf"/planocr\.v1\.OcrService/CreateDocument {code} ([0-9.]+) ms", stack.server_log(server))
    return float(match.group(1)) if match else None


def give_up(how: str, stack: Stack, server, path: Path, watch: PageWatch) -> tuple[int, float]:
    """Start the upload, let STARTED_AFTER pages be stored, then give up as ``how`` says.

    Returns the highest page stored when the caller gave up and the time it did.
    """
    stub = stack.stub(server)
    if how == "cancel":
        future = stub.CreateDocument.future(upload_messages(path), timeout=300)
        wait_for(lambda: watch.highest >= STARTED_AFTER, 120, "the upload to store pages")
        future.cancel()
        gave_up = time.monotonic()
        with pytest.raises(grpc.FutureCancelledError):
            future.result()
    elif how == "deadline":
        # The deadline is set once the upload has got going, from how fast this machine renders it.
        probe = stub.CreateDocument.future(upload_messages(path), timeout=300)
        wait_for(lambda: watch.highest >= 2, 120, "the probe upload to store pages")
        began, first = time.monotonic(), watch.highest
        wait_for(lambda: watch.highest >= first + 4, 120, "the probe upload to store more pages")
        per_page = (time.monotonic() - began) / max(1, watch.highest - first)
        probe.cancel()
        wait_for(lambda: call_line(stack, server, "CANCELLED") is not None, STOP_SECONDS, "the probe to end")
        wait_for(lambda: watch.stored() == 0, STOP_SECONDS, "the probe's objects to go")
        watch.highest = 0
        with pytest.raises(grpc.RpcError) as info:
            stub.CreateDocument(upload_messages(path), timeout=max(3.0, 2.0 + (STARTED_AFTER + 4) * per_page))
        gave_up = time.monotonic()
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    else:  # killed: the client process dies mid-upload
        script = (
            "import sys; from planocr.client import PlanocrClient\n"
            "PlanocrClient(sys.argv[1], retry=None).upload(sys.argv[2], timeout=300)\n"
        )
        client = subprocess.Popen([sys.executable, "-c", script, server.address, str(path)], stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: watch.highest >= STARTED_AFTER, 120, "the upload to store pages")
            os.kill(client.pid, signal.SIGKILL)
            gave_up = time.monotonic()
        finally:
            client.kill()
            client.wait()
    return watch.highest, gave_up


@pytest.mark.parametrize(
    "how, store",
    [("cancel", "local"), ("deadline", "local"), ("killed", "local"), ("killed", "s3")],
)
def test_an_abandoned_upload_stops_within_a_page_and_leaves_nothing(stack, long_pdf, how, store):
    server = stack.start_server(
        PLANOCR_STORAGE_URL=stack.storage_url(store),
        PLANOCR_RENDER_DPI="300",
        PLANOCR_SWEEP_INTERVAL="3600",  # what is cleaned up here is cleaned up by the upload itself
    )
    storage = stack.storage(store)
    with PageWatch(storage) as watch:
        at_give_up, gave_up = give_up(how, stack, server, long_pdf, watch)
        code = "DEADLINE_EXCEEDED" if how == "deadline" else "CANCELLED"
        wait_for(lambda: call_line(stack, server, code) is not None, STOP_SECONDS, f"the server to end the upload {code}")
        ended = time.monotonic()
        # Let a renderer that did not stop show itself.
        time.sleep(1.0)
        highest = watch.highest

    assert highest <= at_give_up + SLACK_PAGES, f"rendering went on after the caller left: page {at_give_up} -> {highest}"
    assert ended - gave_up < STOP_SECONDS
    assert at_give_up < PAGES // 4, "the upload finished too early to tell"

    # Nothing stays: no document, no claim, no object.
    assert stack.count("documents") == 0
    assert stack.count("pages") == 0
    assert stack.count("upload_claims") == 0
    assert list(storage.list("documents/")) == []
    assert stack.crash_lines(server) == []

    # The server is fine: the same file uploads in full afterwards (with a smaller one to keep the test short).
    short = long_pdf.with_name("short.pdf")
    short.write_bytes(text_pdf([["SHEET A-1"], ["SHEET A-2"]]))
    document = stack.stub(server).CreateDocument(upload_messages(short, "short.pdf"), timeout=60).document
    assert document.page_count == 2
    assert stack.count("documents") == 1 and stack.count("upload_claims") == 0
