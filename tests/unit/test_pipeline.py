"""The page job with fakes: retries with backoff, engine timeout and crash, nothing left processing."""

from __future__ import annotations

import threading
import uuid

import pytest

from planocr.config import Settings
from planocr.core.page import OcrResult
from planocr.db import migrate
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.repository import NewPage, Repository
from planocr.engines.base import OcrEngine
from planocr.engines.registry import EngineRegistry
from planocr.errors import Cancelled, Reason, Unavailable
from planocr.jobs.cancel import CancelToken
from planocr.jobs.pipeline import Outcome, Pipeline, ProcessOptions
from planocr.jobs.workers import EngineRunner
from planocr.storage.local import LocalStorage
from testkit.drawing import draw_page
from tests.support.engines import CountingEngine


class FlakyStorage(LocalStorage):
    """Fails ``get`` with UNAVAILABLE the first ``failures`` times."""

    def __init__(self, root, failures: int):
        super().__init__(root)
        self.failures = failures
        self.gets = 0

    def get(self, key: str) -> bytes:
        self.gets += 1
        if self.gets <= self.failures:
            raise Unavailable("storage is down", reason=Reason.STORAGE_UNAVAILABLE)
        return super().get(key)


class HangingEngine(OcrEngine):
    name = "hanging"

    def __init__(self):
        self.stop = threading.Event()

    def recognize(self, image, *, dpi=None) -> OcrResult:
        self.stop.wait(30)
        return OcrResult(image.width, image.height)


class CrashingEngine(OcrEngine):
    name = "crashing"

    def recognize(self, image, *, dpi=None) -> OcrResult:
        raise ZeroDivisionError("engine bug")


class GarbageEngine(OcrEngine):
    name = "garbage"

    def recognize(self, image, *, dpi=None):
        return {"text": "not a result"}


def build(tmp_path, engine, storage_failures=0, **overrides):
    settings = Settings(data_dir=tmp_path, retry_attempts=3, retry_backoff=0.001, engine_timeout=0.5, **overrides)
    db = create_db_engine(settings)
    migrate.upgrade(db)
    repo = Repository(create_sessionmaker(db))
    storage = FlakyStorage(tmp_path / "objects", storage_failures)
    registry = EngineRegistry(engine.name)
    registry.register(engine)
    runner = EngineRunner(4, settings.engine_timeout)
    pipeline = Pipeline(settings, repo, storage, registry, runner)
    document_id = uuid.uuid4()
    storage.put("p.png", draw_page([("X", 5, 5, 10)], size=(120, 80)))
    repo.create_document(document_id=document_id, filename="a", content_type="image/png", source_key="p.png",
                         size_bytes=1, sha256="", request_id=None, pages=[NewPage(1, "p.png", 120, 80)])
    page_id = repo.list_pages(document_id, after=0, limit=1)[0][0].id
    return pipeline, repo, storage, page_id, runner


def test_transient_storage_failures_are_retried(tmp_path):
    pipeline, repo, storage, page_id, runner = build(tmp_path, CountingEngine(), storage_failures=2)
    outcome = pipeline.run_page(page_id, ProcessOptions(), CancelToken())
    assert outcome.outcome is Outcome.PROCESSED and outcome.error is None
    assert storage.gets == 3
    assert repo.get_page(page_id).status == "completed"
    runner.shutdown()


def test_a_dependency_down_through_every_retry_fails_the_page_as_unavailable(tmp_path):
    pipeline, repo, storage, page_id, runner = build(tmp_path, CountingEngine(), storage_failures=100)
    outcome = pipeline.run_page(page_id, ProcessOptions(), CancelToken())
    assert outcome.error is not None and outcome.error.reason == Reason.STORAGE_UNAVAILABLE
    assert storage.gets == 3
    page = repo.get_page(page_id)
    assert page.status == "error" and page.error_code == "UNAVAILABLE" and page.lease_owner is None
    # Failed pages can be read again once the dependency is back.
    storage.failures = 0
    assert pipeline.run_page(page_id, ProcessOptions(), CancelToken()).outcome is Outcome.PROCESSED
    runner.shutdown()


@pytest.mark.parametrize(("engine", "reason"), [(HangingEngine(), "ENGINE_TIMEOUT"), (CrashingEngine(), "ENGINE_FAILED"), (GarbageEngine(), "ENGINE_FAILED")])
def test_engine_failures_fail_only_the_page(tmp_path, engine, reason):
    pipeline, repo, _storage, page_id, runner = build(tmp_path, engine)
    outcome = pipeline.run_page(page_id, ProcessOptions(), CancelToken())
    assert outcome.error is not None and outcome.error.reason == reason
    page = repo.get_page(page_id)
    assert page.status == "error" and page.lease_owner is None and engine.name in page.processing_error
    if isinstance(engine, HangingEngine):
        engine.stop.set()
    runner.shutdown()


def test_cancel_after_the_claim_releases_the_page(tmp_path):
    pipeline, repo, storage, page_id, runner = build(tmp_path, CountingEngine(), storage_failures=1)
    token = CancelToken()
    real_get = storage.get

    def get_then_cancel(key):
        token.cancel()  # the caller goes away while the page is claimed
        return real_get(key)

    storage.get = get_then_cancel
    with pytest.raises(Cancelled):
        pipeline.run_page(page_id, ProcessOptions(), token)
    page = repo.get_page(page_id)
    assert page.status == "pending" and page.lease_owner is None and page.attempts == 1
    runner.shutdown()
