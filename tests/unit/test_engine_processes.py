"""The engine worker processes and the pixel budget, without a server."""

from __future__ import annotations

import io
import pickle
import threading
import time

import pytest
from PIL import Image

from planocr.config import Settings
from planocr.engines.registry import EngineRegistry
from planocr.errors import Cancelled, InvalidArgument, Reason
from planocr.jobs.cancel import CancelToken
from planocr.jobs.pipeline import reading_options
from planocr.jobs.procworkers import EngineProcesses
from planocr.jobs.workers import PixelBudget
from tests.support.engines import CountingEngine


def png(width: int = 300, height: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, format="PNG")
    return out.getvalue()


def processes(tmp_path, registry: EngineRegistry, **overrides) -> EngineProcesses:
    settings = Settings(data_dir=tmp_path, engine=registry.default, ocr_workers=1, **overrides)
    pool = EngineProcesses.from_settings(settings, registry, reading_options(settings))
    pool.wait_ready()
    return pool


def test_an_engine_registered_by_path_is_built_and_read_in_the_worker(tmp_path):
    registry = EngineRegistry("counting")
    registry.register_path("counting", "tests.support.engines:CountingEngine", text="FROM-THE-WORKER")
    pickle.loads(pickle.dumps(registry.spec()))  # what the worker gets travels
    pool = processes(tmp_path, registry)
    try:
        read, name = pool.read(registry, None, None, png(), 150, None, 10**8, CancelToken())
        assert name == "counting" and read.ocr.text == "FROM-THE-WORKER" and read.ocr.width == 300
    finally:
        pool.shutdown()


def test_a_worker_gets_no_database_storage_or_secrets(tmp_path):
    settings = Settings(data_dir=tmp_path, database_url="postgresql://planocr:pw@db/planocr", storage_url="s3://pages",
                        s3_access_key="key", s3_secret_key="secret", auth_token="token", tesseract_lang="eng+deu")
    spec = EngineRegistry.from_settings(settings).spec()
    assert spec.settings.tesseract_lang == "eng+deu"
    assert (spec.settings.database_url, spec.settings.storage_url, spec.settings.s3_access_key,
            spec.settings.s3_secret_key, spec.settings.auth_token) == (None,) * 5


def test_an_engine_registered_as_an_instance_cannot_go_to_a_worker():
    registry = EngineRegistry("counting")
    registry.register(CountingEngine())
    with pytest.raises(ValueError, match="PLANOCR_ENGINE_ISOLATION=thread"):
        registry.spec()


def test_a_worker_is_replaced_after_its_page_quota(tmp_path):
    registry = EngineRegistry.from_settings(Settings(data_dir=tmp_path, engine="null"))
    pool = processes(tmp_path, registry, worker_max_pages=2)
    try:
        first = pool.pids
        for _ in range(2):
            pool.read(registry, None, None, png(), 150, None, 10**8, CancelToken())
        pool.wait_ready()
        assert pool.pids != first and pool.replaced == 1
    finally:
        pool.shutdown()


def test_errors_come_back_with_their_code_and_reason(tmp_path):
    registry = EngineRegistry.from_settings(Settings(data_dir=tmp_path, engine="null"))
    pool = processes(tmp_path, registry)
    try:
        with pytest.raises(InvalidArgument) as info:
            pool.read(registry, None, None, b"not an image", 150, None, 10**8, CancelToken())
        assert info.value.reason == Reason.IMAGE_UNREADABLE
        # the worker carries on
        assert pool.read(registry, None, None, png(), 150, None, 10**8, CancelToken())[0].ocr.height == 200
    finally:
        pool.shutdown()


def test_a_worker_that_cannot_build_its_engine_fails_the_start(tmp_path):
    registry = EngineRegistry("broken")
    registry.register_path("broken", "tests.support.engines:NoSuchEngine")
    settings = Settings(data_dir=tmp_path, ocr_workers=1)
    pool = EngineProcesses.from_settings(settings, registry, reading_options(settings))
    try:
        with pytest.raises(Exception, match="could not be built: AttributeError"):
            pool.wait_ready()
    finally:
        pool.shutdown()


def test_pixel_budget_admits_in_order_and_a_page_over_it_alone():
    budget = PixelBudget(10)  # ten megapixels
    order: list[str] = []
    small = budget.admit(6_000_000)
    small.__enter__()

    def take(name: str, pixels: int) -> None:
        with budget.admit(pixels):
            order.append(name)
            time.sleep(0.05)

    big = threading.Thread(target=take, args=("big", 30_000_000))
    big.start()
    time.sleep(0.2)
    late = threading.Thread(target=take, args=("late", 1_000_000))
    late.start()
    time.sleep(0.2)
    assert order == [], "a page that fits waits behind an earlier one that does not"
    small.__exit__(None, None, None)
    big.join(5)
    late.join(5)
    assert order == ["big", "late"] and budget.in_use == 0


def test_pixel_budget_wait_ends_when_cancelled():
    budget = PixelBudget(1)
    cancel = CancelToken()
    with budget.admit(900_000):
        threading.Timer(0.2, cancel.cancel).start()
        with pytest.raises(Cancelled), budget.admit(900_000, cancel):
            pass
    assert budget.in_use == 0
