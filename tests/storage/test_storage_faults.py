"""Faults of the store itself: things that are not objects, and reads that never finish.

Every one is a domain error with a storage reason (FAILED_PRECONDITION /
OBJECT_UNREADABLE, or UNAVAILABLE / STORAGE_UNAVAILABLE), never a bare
exception, and no read waits longer than the store's timeout.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from planocr.errors import FailedPrecondition, NotFound, Reason, Unavailable
from planocr.storage.base import TimedCalls
from planocr.storage.local import LocalStorage
from planocr.storage.s3 import S3Storage
from testkit.ports import free_port


def test_a_symlink_loop_is_unreadable_and_can_be_deleted(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "objects")
    store.put("documents/d/pages/0002.png", b"png")
    loop = store.root / "documents" / "d" / "pages" / "0001.png"
    loop.symlink_to("0001.png")
    for call in (lambda: store.get("documents/d/pages/0001.png"), lambda: store.put("documents/d/pages/0001.png", b"x")):
        with pytest.raises(FailedPrecondition) as info:
            call()
        assert info.value.reason == Reason.OBJECT_UNREADABLE
    assert store.exists("documents/d/pages/0001.png")
    assert sorted(store.list("documents/")) == ["documents/d/pages/0001.png", "documents/d/pages/0002.png"]
    store.delete_prefix("documents/d/")
    assert list(store.list()) == [] and not (store.root / "documents").exists()


def test_a_fifo_is_unreadable_at_once(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "objects", timeout=30)
    (store.root / "pages").mkdir()
    os.mkfifo(store.root / "pages" / "0001.png")
    started = time.monotonic()
    with pytest.raises(FailedPrecondition) as info:
        store.get("pages/0001.png")
    assert time.monotonic() - started < 2
    assert info.value.reason == Reason.OBJECT_UNREADABLE and "not a regular file" in info.value.message
    assert store._calls.stuck == 0


def test_a_folder_under_a_key_is_not_found(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "objects")
    store.put("a/b/c", b"1")
    with pytest.raises(NotFound):
        store.get("a/b")


def test_delete_prefix_removes_half_written_files_too(tmp_path: Path) -> None:
    """A process killed inside ``put`` leaves its temporary file; sweeping the prefix removes it with the rest."""
    store = LocalStorage(tmp_path / "objects")
    store.put("documents/d/pages/0001.png", b"png")
    (store.root / "documents" / "d" / "pages" / ".tmp-abandoned").write_bytes(b"half")
    store.put("documents/e/source.pdf", b"%PDF")
    store.delete_prefix("documents/d/")
    assert not (store.root / "documents" / "d").exists()
    assert list(store.list()) == ["documents/e/source.pdf"]


def test_a_call_that_never_returns_is_unavailable_after_the_timeout() -> None:
    calls = TimedCalls(0.3, threads=2, max_stuck=2)
    release = threading.Event()
    try:
        for _ in range(2):
            started = time.monotonic()
            with pytest.raises(Unavailable) as info:
                calls.run(lambda: release.wait(30), "a read")
            assert 0.25 < time.monotonic() - started < 2
            assert info.value.reason == Reason.STORAGE_UNAVAILABLE and "did not finish within 0.3 s" in info.value.message
        assert calls.stuck == 2
        # Past the cap, the store is reported unavailable at once rather than tying up more threads.
        started = time.monotonic()
        with pytest.raises(Unavailable):
            calls.run(lambda: b"fine", "a read")
        assert time.monotonic() - started < 0.1
        release.set()
        deadline = time.monotonic() + 5
        while calls.stuck and time.monotonic() < deadline:
            time.sleep(0.01)
        assert calls.stuck == 0
        assert calls.run(lambda: b"fine", "a read") == b"fine"
    finally:
        release.set()
        calls.close()


class _TricklingS3(BaseHTTPRequestHandler):
    """Answers like an S3 server, but sends an object's body one byte every half second."""

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's names
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                if self.server.stopping.wait(0.5):
                    return
        except OSError:
            return


@pytest.fixture
def trickling_s3() -> Iterator[str]:
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _TricklingS3)
    server.stopping = threading.Event()
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{port}"
    server.stopping.set()
    server.shutdown()
    server.server_close()


def test_an_s3_read_trickling_under_the_socket_timeout_is_cut_at_the_read_timeout(trickling_s3: str) -> None:
    """Each byte arrives well within the 30 s socket timeout, so only the whole read's timeout can end it."""
    store = S3Storage("bucket", endpoint=trickling_s3, secure=False, region="us-east-1", timeout=1.5)
    try:
        started = time.monotonic()
        with pytest.raises(Unavailable) as info:
            store.get("documents/d/pages/0001.png")
        assert 1.4 < time.monotonic() - started < 5
        assert info.value.reason == Reason.STORAGE_UNAVAILABLE
    finally:
        store.close()
