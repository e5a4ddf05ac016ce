"""The two bounded pools of page work.

* :class:`OcrPool` runs page jobs (claim, fetch, OCR, parse, save). It is
  shared by ProcessPage and ProcessDocument, sized for the engine, and
  refuses work (RESOURCE_EXHAUSTED) when its queue is full instead of
  growing without bound.
* :class:`EngineRunner` runs the engine call itself on long-lived threads so
  a page can be given up after ``engine_timeout`` even if the engine never
  returns; the thread-local native handles of engines are reused across pages.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from PIL import Image

from planocr.engines.base import OcrEngine, OcrResult
from planocr.errors import DeadlineExceeded, Internal, PlanocrError, Reason, ResourceExhausted

log = logging.getLogger(__name__)
T = TypeVar("T")


class OcrPool:
    """A fixed number of worker threads with a bounded queue."""

    def __init__(self, workers: int, queue_limit: int):
        self.workers = workers
        self.queue_limit = queue_limit
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="planocr-ocr")
        self._slots = threading.BoundedSemaphore(workers + queue_limit)
        self._lock = threading.Lock()
        self._pending = 0

    @property
    def depth(self) -> int:
        """Jobs queued or running."""
        return self._pending

    def submit(self, fn: Callable[..., T], *args, **kwargs) -> Future[T]:
        if not self._slots.acquire(blocking=False):
            raise ResourceExhausted(
                f"the OCR queue is full ({self.queue_limit} pages waiting); try again later",
                reason=Reason.QUEUE_FULL,
            )
        with self._lock:
            self._pending += 1
        try:
            future = self._executor.submit(fn, *args, **kwargs)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future | None) -> None:
        with self._lock:
            self._pending -= 1
        self._slots.release()

    def shutdown(self, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=True)


class EngineRunner:
    """Calls ``engine.recognize`` with a timeout."""

    def __init__(self, threads: int, timeout: float):
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="planocr-engine")

    def recognize(self, engine: OcrEngine, image: Image.Image, dpi: int | None) -> OcrResult:
        future = self._executor.submit(engine.recognize, image, dpi=dpi)
        try:
            result = future.result(timeout=self.timeout)
        except FutureTimeout:
            future.cancel()
            raise DeadlineExceeded(
                f"engine {engine.name!r} did not finish within {self.timeout:g} s", reason=Reason.ENGINE_TIMEOUT
            ) from None
        except PlanocrError:
            raise
        except Exception as exc:
            log.error("engine %s failed", engine.name, exc_info=True)
            raise Internal(f"engine {engine.name!r} failed: {type(exc).__name__}", reason=Reason.ENGINE_FAILED) from exc
        if not isinstance(result, OcrResult):
            raise Internal(f"engine {engine.name!r} returned {type(result).__name__}, not a result", reason=Reason.ENGINE_FAILED)
        return result

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
