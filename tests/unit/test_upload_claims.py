"""Upload claims and the sweeper, on the repository and a local store, against SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest

from planocr.config import Settings
from planocr.db import migrate
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.repository import NewPage, Repository
from planocr.errors import Aborted, Cancelled, DeadlineExceeded, Reason
from planocr.jobs.cancel import CancelToken
from planocr.jobs.uploads import ProcessIdentity, UploadRequest, Uploads, document_prefix
from planocr.storage.local import LocalStorage
from tests.support.pdfs import text_pdf


@pytest.fixture
def parts(database_url, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=database_url, upload_lease_seconds=30)
    engine = create_db_engine(settings)
    migrate.upgrade(engine)
    repository = Repository(create_sessionmaker(engine))
    storage = LocalStorage(tmp_path / "objects")
    yield settings, repository, storage
    engine.dispose()


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def abandoned(repository: Repository, storage: LocalStorage, owner: str, lease: float = 30) -> uuid.UUID:
    """A claim and an object under its prefix, as an upload leaves them when its process dies."""
    upload_id = uuid.uuid4()
    repository.claim_upload(upload_id, document_prefix(upload_id), owner, lease)
    storage.put(f"{document_prefix(upload_id)}pages/0001.png", b"png")
    return upload_id


def commit(repository: Repository, upload_id: uuid.UUID, owner: str) -> None:
    repository.create_document(
        document_id=upload_id, filename="a.pdf", content_type="application/pdf", source_key="k", size_bytes=1, sha256="",
        request_id=None, pages=[NewPage(1, f"{document_prefix(upload_id)}pages/0001.png", 10, 10)], claim_owner=owner,
    )


def test_a_process_on_this_machine_that_is_gone_is_told_apart_from_a_live_one_and_from_elsewhere():
    me = ProcessIdentity.current()
    assert me.machine, "this test needs /proc"
    assert me.outlived(f"{me.machine}/{dead_pid()}/abcd1234")
    assert me.outlived(f"{me.machine}/{me.pid}/00000000")  # our pid, another token: an earlier process
    assert not me.outlived(me.owner)
    assert not me.outlived(f"{me.machine}/{os.getppid()}/abcd1234")  # alive
    assert not me.outlived(f"elsewhere~{me.machine.split('~', 1)[1]}/{dead_pid()}/abcd1234")
    assert not me.outlived(f"{me.machine.rsplit('~', 1)[0]}~1/{dead_pid()}/abcd1234")  # another pid namespace
    assert not me.outlived("garbage")


def test_the_document_takes_over_the_claim_and_a_taken_claim_cannot_commit(parts):
    settings, repository, storage = parts
    upload_id = abandoned(repository, storage, "me")
    commit(repository, upload_id, "me")
    assert repository.upload_claims() == []

    late = abandoned(repository, storage, "slow")
    claim = repository.upload_claims()[0]
    assert repository.take_upload_claim(claim, "sweeper", 30, only_if_expired=False)
    with pytest.raises(Aborted) as info:
        commit(repository, late, "slow")
    assert info.value.reason == Reason.UPLOAD_EXPIRED
    with pytest.raises(Exception, match="(?i)not found"):
        repository.get_document(late)
    assert not repository.take_upload_claim(claim, "another sweeper", 30, only_if_expired=False)  # the owner changed


def test_a_sweep_takes_expired_and_outlived_claims_and_leaves_live_ones(parts):
    settings, repository, storage = parts
    uploads = Uploads(settings, repository, storage)
    machine = uploads.identity.machine
    expired = abandoned(repository, storage, "elsewhere~x~1/7/aaaa")
    repository.expire_upload_claims("elsewhere~x~1/7/aaaa")
    outlived = abandoned(repository, storage, f"{machine}/{dead_pid()}/bbbb")
    live_elsewhere = abandoned(repository, storage, "elsewhere~x~1/8/cccc")
    alive_here = abandoned(repository, storage, f"{machine}/{os.getppid()}/dddd")
    storage.put("seed/app/page.png", b"the app's")
    documented = uuid.uuid4()
    storage.put(f"{document_prefix(documented)}pages/0001.png", b"a document's")
    commit_claimless = uuid.uuid4()
    repository.create_document(
        document_id=commit_claimless, filename="a.pdf", content_type="application/pdf", source_key="k", size_bytes=1,
        sha256="", request_id=None, pages=[NewPage(1, "k", 10, 10)],
    )

    result = uploads.sweep()
    assert sorted(result.deleted) == sorted([document_prefix(expired), document_prefix(outlived)])
    assert {c.id for c in repository.upload_claims()} == {live_elsewhere, alive_here}
    assert result.next_expiry is not None
    for gone in (expired, outlived):
        assert list(storage.list(document_prefix(gone))) == []
    for kept in (live_elsewhere, alive_here, documented):
        assert list(storage.list(document_prefix(kept))) == [f"{document_prefix(kept)}pages/0001.png"]
    assert storage.get("seed/app/page.png") == b"the app's"


def test_a_claim_naming_a_prefix_no_upload_writes_is_left_alone(parts):
    settings, repository, storage = parts
    uploads = Uploads(settings, repository, storage)
    odd = uuid.uuid4()
    storage.put("seed/app/page.png", b"the app's")
    repository.claim_upload(odd, "seed/", "elsewhere~x~1/7/aaaa", 30)
    repository.expire_upload_claims("elsewhere~x~1/7/aaaa")
    assert uploads.sweep().deleted == []
    assert storage.get("seed/app/page.png") == b"the app's"


def test_only_running_uploads_are_renewed(parts):
    settings, repository, storage = parts
    uploads = Uploads(settings, repository, storage)
    mine = abandoned(repository, storage, uploads.owner, lease=30)
    assert uploads.renew_claims() == 0  # not running here (an upload whose undo failed): left to expire
    uploads._active.add(mine)
    before = repository.upload_claims()[0].expires_at
    assert uploads.renew_claims() == 1
    assert repository.upload_claims()[0].expires_at >= before
    assert uploads.sweep().deleted == []  # a running upload of this process is never swept
    assert uploads.release_claims() == 1
    uploads._active.clear()
    assert uploads.sweep().deleted == [document_prefix(mine)]


@pytest.mark.parametrize("expired, error", [(True, DeadlineExceeded), (False, Cancelled)])
def test_an_upload_stopped_by_its_call_ends_with_the_calls_reason_and_leaves_nothing(parts, expired, error):
    # gRPC's timer may end a call a moment before the upload's own clock reaches the deadline: the token's
    # reason, not that clock, decides between DEADLINE_EXCEEDED and CANCELLED.
    settings, repository, storage = parts
    uploads = Uploads(settings, repository, storage)
    token = CancelToken()
    pages = [["SHEET A-1"], ["SHEET A-2"], ["SHEET A-3"]]

    def chunks():
        yield text_pdf(pages)
        token.cancel(expired=expired)

    with pytest.raises(error):
        uploads.create(UploadRequest(filename="a.pdf"), chunks(), token, deadline=time.monotonic() + 3600)
    assert repository.upload_claims() == []
    assert list(storage.list("documents/")) == []
