"""Scale-out: ProcessDocument spreads a document over replicas that share one PostgreSQL.

Three server processes on loopback, each with PLANOCR_PEERS naming all
three, and a counting engine that logs every call with the process id.
"""

from __future__ import annotations

import signal
from collections import Counter

import pytest

from planocr.v1 import page_pb2
from testkit.documents import page_width, tiff_document
from testkit.replicas import engine_calls, replicas

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PAGES = 30
# Like a network engine: each page waits, using no CPU, so replicas add capacity even on one machine.
NETWORK_DELAY = 0.2


def _pages(events):
    return [e.page for e in events if e.WhichOneof("event") == "page"]


def test_three_replicas_read_every_page_once_and_share_the_work(pg_url, tmp_path):
    with replicas(1, tmp_path / "one", pg_url, delay=NETWORK_DELAY, spread=False) as one:
        document_id = one.upload(tiff_document(PAGES))
        _, alone = one.process(document_id)

    with replicas(3, tmp_path / "three", pg_url, delay=NETWORK_DELAY) as three:
        document_id = three.upload(tiff_document(PAGES))
        events, spread = three.process(document_id)
        pids = three.pids

    pages = _pages(events)
    assert len(pages) == PAGES and len({p.page_id for p in pages}) == PAGES
    assert all(p.state == page_pb2.PAGE_STATE_COMPLETED for p in pages)
    assert events[-1].summary.completed == PAGES

    calls = engine_calls(tmp_path / "three" / "engine-calls.log")
    sizes = Counter(c.size for c in calls)
    assert sorted(sizes) == sorted(f"{page_width(n)}x100" for n in range(1, PAGES + 1))
    assert set(sizes.values()) == {1}, "a page was read more than once"
    per_process = Counter(c.pid for c in calls)
    assert set(per_process) == pids, f"work did not reach every replica: {dict(per_process)}"

    ratio = alone / spread
    print(f"\n30 pages, {NETWORK_DELAY:g} s per page: one replica {alone:.2f} s, three {spread:.2f} s, {ratio:.2f}x")
    # The target is 2.5x (bench/scaleout.py reports it); a loaded test machine gets a looser bound.
    assert ratio > 1.8, f"three replicas were only {ratio:.2f}x faster than one"


def test_a_page_that_fails_on_a_peer_is_reported_failed_with_its_reason(pg_url, tmp_path):
    with replicas(3, tmp_path, pg_url) as three:
        document_id = three.upload(tiff_document(6))
        stored = sorted((tmp_path / "objects" / "documents" / document_id / "pages").glob("*.png"))
        stored[2].unlink()  # page 3's image is gone from storage
        events, _ = three.process(document_id)

    pages = {p.page_number: p for p in _pages(events)}
    assert len(pages) == 6
    failed = pages.pop(3)
    assert failed.state == page_pb2.PAGE_STATE_FAILED
    assert failed.error.code == 9  # FAILED_PRECONDITION
    assert all(p.state == page_pb2.PAGE_STATE_COMPLETED for p in pages.values())
    assert events[-1].summary.failed == 1 and events[-1].summary.completed == 5


def test_a_replica_killed_mid_document_does_not_lose_pages(pg_url, tmp_path):
    # A short lease, so the pages the dead replica held are taken over quickly.
    env = {"PLANOCR_LEASE_SECONDS": "2"}
    with replicas(3, tmp_path, pg_url, delay=NETWORK_DELAY, extra_env=env) as three:
        document_id = three.upload(tiff_document(PAGES))
        victim = three.servers[2]

        def kill_when_busy():
            import time

            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(c.pid == victim.proc.pid for c in engine_calls(three.engine_log)):
                time.sleep(0.02)
            victim.proc.send_signal(signal.SIGKILL)

        import threading

        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        events, _ = three.process(document_id, timeout=120)
        killer.join()

    pages = _pages(events)
    assert len({p.page_id for p in pages}) == PAGES
    assert events[-1].summary.completed == PAGES, [p for p in pages if p.state != page_pb2.PAGE_STATE_COMPLETED][:3]


def test_replicas_call_each_other_over_mutual_tls_with_a_token(pg_url, tmp_path):
    import grpc

    from tests.operability.helpers import issue

    ca = issue("planocr test CA")
    ca_file, _ = ca.write(tmp_path, "ca")
    # One certificate for every replica, good for serving and for calling the others.
    cert, key = issue("planocr", ca, server=True, client=True).write(tmp_path, "replica")
    env = {"PLANOCR_TLS_CERT_FILE": str(cert), "PLANOCR_TLS_KEY_FILE": str(key), "PLANOCR_TLS_CLIENT_CA_FILE": str(ca_file),
           # The certificate names localhost; a list of addresses names no host.
           "PLANOCR_PEER_SERVER_NAME": "localhost", "PLANOCR_AUTH_TOKEN": "s3cret-token"}
    credentials = grpc.composite_channel_credentials(
        grpc.ssl_channel_credentials(ca_file.read_bytes(), key.read_bytes(), cert.read_bytes()),
        grpc.access_token_call_credentials("s3cret-token"),
    )
    with replicas(3, tmp_path / "tls", pg_url, delay=0.05, extra_env=env, credentials=credentials) as three:
        document_id = three.upload(tiff_document(9))
        events, _ = three.process(document_id)
        pids = three.pids
        calls = engine_calls(three.engine_log)

    assert events[-1].summary.completed == 9, [e.page.error for e in events if e.WhichOneof("event") == "page"][:1]
    assert {c.pid for c in calls} == pids
