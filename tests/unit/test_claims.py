"""Claim rules, checked on the repository against SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from planocr.config import Settings
from planocr.db import migrate
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.repository import NewPage, PageResult, Repository
from planocr.errors import FailedPrecondition, NotFound


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def repo_and_clock(database_url, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=database_url, db_pool_size=10, db_max_overflow=10)
    engine = create_db_engine(settings)
    migrate.upgrade(engine)
    clock = Clock()
    yield Repository(create_sessionmaker(engine), clock), clock
    engine.dispose()


def _page(repo: Repository) -> uuid.UUID:
    document_id = uuid.uuid4()
    repo.create_document(
        document_id=document_id, filename="a.png", content_type="image/png", source_key="k", size_bytes=1,
        sha256="", request_id=None, pages=[NewPage(1, "k", 10, 10)],
    )
    return repo.list_pages(document_id, after=0, limit=1)[0][0].id


RESULT = PageResult("t", {"blocks": []}, "A-1", "T", "NTS", "null", "ocr", 0, 5)


def test_only_one_of_many_concurrent_claims_wins(repo_and_clock):
    repo, _ = repo_and_clock
    page_id = _page(repo)
    with ThreadPoolExecutor(max_workers=8) as pool:
        claims = list(pool.map(lambda i: repo.claim_page(page_id, f"w{i}", 60), range(8)))
    assert sum(c.claimed for c in claims) == 1
    assert repo.get_page(page_id).attempts == 1


def test_a_live_lease_blocks_and_an_expired_one_can_be_taken_over(repo_and_clock):
    repo, clock = repo_and_clock
    page_id = _page(repo)
    assert repo.claim_page(page_id, "first", 30).claimed
    assert not repo.claim_page(page_id, "second", 30).claimed
    clock.now += dt.timedelta(seconds=31)
    assert repo.claim_page(page_id, "second", 30).claimed
    # The first worker's late result must not overwrite the new owner's work.
    assert repo.complete_page(page_id, "first", RESULT) is None
    assert repo.complete_page(page_id, "second", RESULT).status == "completed"


def test_completed_pages_are_claimed_only_when_forced(repo_and_clock):
    repo, _ = repo_and_clock
    page_id = _page(repo)
    assert repo.claim_page(page_id, "w", 30).claimed
    repo.complete_page(page_id, "w", RESULT)
    claim = repo.claim_page(page_id, "w2", 30)
    assert not claim.claimed and claim.page.status == "completed"
    assert repo.claim_page(page_id, "w2", 30, force=True).claimed


def test_failed_pages_can_be_claimed_again_and_release_returns_to_pending(repo_and_clock):
    repo, _ = repo_and_clock
    page_id = _page(repo)
    assert repo.claim_page(page_id, "w", 30).claimed
    failed = repo.fail_page(page_id, "w", FailedPrecondition("gone"))
    assert failed.status == "error" and failed.error_code == "FAILED_PRECONDITION" and failed.error_reason == "IMAGE_MISSING"
    assert repo.claim_page(page_id, "w", 30).claimed
    assert repo.release_page(page_id, "w")
    page = repo.get_page(page_id)
    assert page.status == "pending" and page.lease_owner is None


def test_release_owner_gives_back_only_that_owners_pages(repo_and_clock):
    repo, _ = repo_and_clock
    mine, theirs = _page(repo), _page(repo)
    repo.claim_page(mine, "me", 30)
    repo.claim_page(theirs, "them", 30)
    assert repo.release_owner("me") == 1
    assert repo.get_page(mine).status == "pending"
    assert repo.get_page(theirs).status == "processing"


def test_claiming_a_missing_page_is_not_found(repo_and_clock):
    repo, _ = repo_and_clock
    with pytest.raises(NotFound):
        repo.claim_page(uuid.uuid4(), "w", 30)
