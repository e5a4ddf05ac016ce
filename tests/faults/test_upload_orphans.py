"""A server killed mid-upload leaves objects no row owns; the sweeper deletes them, and nothing else.

An upload commits a claim on its prefix (``upload_claims``) before it writes
its first object; the document's transaction deletes the claim. A process
killed in between leaves the claim and the objects. The next sweep (at
start, and every ``PLANOCR_SWEEP_INTERVAL``) deletes the objects of every
claim whose owner is gone: a process on this machine that no longer exists
at once, one elsewhere when its lease runs out. Objects of documents, of
live uploads and of anyone else are never touched.
"""

from __future__ import annotations

import time
import uuid

import grpc
import pytest

from planocr.v1 import ocr_service_pb2 as pb
from tests.faults.test_upload_cancel import PageWatch, upload_messages
from tests.support.pdfs import text_pdf
from tests.support.polling import wait_for

PAGES = 1500
#: The lease of the claim planted for a process on another machine.
FOREIGN_LEASE = 15


def small_upload(filename: str, pages: int):
    data = text_pdf([[f"SHEET A-{n}"] for n in range(1, pages + 1)])
    return iter([pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename=filename)), pb.CreateDocumentRequest(chunk=data)])


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("long") / "p1500.pdf"
    path.write_bytes(text_pdf([[f"SHEET A-{n}", "FIRST FLOOR PLAN"] for n in range(PAGES)]))
    return path


@pytest.mark.parametrize("store", ["local", "s3"])
def test_sigkill_mid_upload_leaves_no_object_after_the_first_sweep(stack, long_pdf, store):
    env = {"PLANOCR_STORAGE_URL": stack.storage_url(store), "PLANOCR_RENDER_DPI": "300", "PLANOCR_SWEEP_INTERVAL": "3600"}
    server = stack.start_server(**env)
    storage = stack.storage(store)
    stub = stack.stub(server)
    with PageWatch(storage) as watch:
        upload = stub.CreateDocument.future(upload_messages(long_pdf), timeout=300)
        wait_for(lambda: watch.highest >= 20, 120, "the upload to store pages")
        server.kill()  # SIGKILL: no undo, no release
    with pytest.raises(grpc.RpcError):
        upload.result()

    # What the operator found: objects and no document. Now there is also the claim that names them.
    left = list(storage.list("documents/"))
    assert len(left) >= 20
    assert stack.count("documents") == 0
    claims = stack.sql("select prefix, expires_at > now() from upload_claims")
    assert len(claims) == 1 and claims[0][1], "the dead upload's claim should still be within its lease"
    assert {key.rsplit("/pages/", 1)[0].rsplit("/source", 1)[0] + "/" for key in left} == {claims[0][0]}

    # A restart on this machine sweeps them at once: the claim's owner no longer exists, its lease need not run out.
    restarted_at = time.monotonic()
    restarted = stack.start_server(**env)
    wait_for(lambda: not list(storage.list("documents/")), 30, "the first sweep to delete the orphaned objects")
    assert time.monotonic() - restarted_at < 60, "the sweep waited for the lease"
    assert stack.count("upload_claims") == 0
    assert "swept the objects of 1 abandoned upload" in stack.server_log(restarted)
    assert stack.crash_lines(restarted) == []

    # The restarted server uploads as before.
    document = stack.stub(restarted).CreateDocument(small_upload("two.pdf", 2), timeout=60).document
    assert document.page_count == 2
    assert len([k for k in storage.list("documents/") if k.endswith(".png")]) == 2


def test_a_sweep_leaves_live_uploads_documents_and_foreign_objects_alone(stack, long_pdf):
    """Two servers on one database and store: one restarting must not sweep the other's upload in progress."""
    env = {"PLANOCR_STORAGE_URL": stack.local_storage_url(), "PLANOCR_RENDER_DPI": "150", "PLANOCR_SWEEP_INTERVAL": "3600"}
    storage = stack.storage("local")
    storage.put("seed/app-owned/page.png", b"written by the app")  # not the uploads', never swept
    first = stack.start_server(**env)
    kept = stack.stub(first).CreateDocument(small_upload("kept.pdf", 1), timeout=60).document

    # A claim of a process on another machine, still within its lease, with objects under its prefix.
    foreign = uuid.uuid4()
    storage.put(f"documents/{foreign}/pages/0001.png", b"elsewhere")
    stack.sql(
        "insert into upload_claims (id, prefix, owner, created_at, expires_at) values (%s, %s, %s, now(), now() + %s * interval '1 second')",
        (str(foreign), f"documents/{foreign}/", "another-host~00000000~4026531836/7/abcd1234", FOREIGN_LEASE),
    )
    planted = time.monotonic()

    with PageWatch(storage) as watch:
        upload = stack.stub(first).CreateDocument.future(upload_messages(long_pdf), timeout=600)
        wait_for(lambda: watch.highest >= 10, 120, "the upload to store pages")
        # A second server starts (and sweeps) while the first one's upload runs.
        second = stack.start_server(**env)
        wait_for(lambda: "planocr serving on port" in stack.server_log(second), 30, "the second server to serve")
        time.sleep(1.0)  # its first sweep has run
        progress = watch.highest
        wait_for(lambda: watch.highest > progress + 5, 60, "the first server's upload to go on")
        upload.cancel()
        assert time.monotonic() - planted < FOREIGN_LEASE, "too slow to tell a live claim from an expired one"
        assert storage.exists(f"documents/{foreign}/pages/0001.png"), "a claim within its lease was swept"

    # The foreign claim is swept once its lease ran out (the sweep after start was scheduled for then) ...
    wait_for(lambda: stack.count("upload_claims") == 0, FOREIGN_LEASE + 15, "the foreign claim to be swept after its lease")
    assert time.monotonic() - planted >= FOREIGN_LEASE - 1
    assert not storage.exists(f"documents/{foreign}/pages/0001.png")
    # ... and the document and the app's object stay.
    assert storage.get("seed/app-owned/page.png") == b"written by the app"
    kept_keys = list(storage.list(f"documents/{kept.document_id}/"))
    assert any(k.endswith("pages/0001.png") for k in kept_keys)
    assert stack.count("documents") == 1
    assert stack.crash_lines(first) == [] and stack.crash_lines(second) == []


def test_claims_of_running_uploads_are_renewed(stack, long_pdf):
    """A lease shorter than the upload: the claim is renewed, so a sweep by another server does not take it."""
    env = {
        "PLANOCR_STORAGE_URL": stack.local_storage_url(),
        "PLANOCR_RENDER_DPI": "150",
        "PLANOCR_UPLOAD_LEASE_SECONDS": "1",
        "PLANOCR_SWEEP_INTERVAL": "1",
    }
    first = stack.start_server(**env)
    second = stack.start_server(**env)  # sweeps every second
    storage = stack.storage("local")
    started = time.monotonic()
    document = stack.stub(first).CreateDocument(small_upload("three-hundred.pdf", 300), timeout=300).document
    took = time.monotonic() - started
    assert document.page_count == 300
    assert took > 3.0, f"the upload took {took:.1f} s, not long enough to outlive its lease several times"
    assert len([k for k in storage.list(f"documents/{document.document_id}/") if k.endswith(".png")]) == 300
    assert stack.count("upload_claims") == 0
    assert "abandoned upload" not in stack.server_log(second)
    assert stack.crash_lines(first) == [] and stack.crash_lines(second) == []
