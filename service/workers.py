"""The two bounded pools of page work.

* :class:`OcrPool` runs page jobs (claim, fetch, OCR, parse, save). It is
  shared by ProcessPage and ProcessDocument, sized for the engine, and
  refuses work (RESOURCE_EXHAUSTED) when its queue is full instead of
  growing without bound.
* :class:`EngineRunner` runs the engine call itself on long-lived threads so
  a page can be given up after ``engine_timeout`` even if the engine never
  returns; the thread-local native handles of engines are reused across pages.
  A call that overruns keeps its thread (threads cannot be stopped), so the
  runner moves new calls to fresh threads rather than queueing them behind
  stuck ones, up to a limit of stuck calls; past it the engine is reported
  unavailable instead of leaking more threads and images.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from PIL import Image

from planocr.core.page import OcrResult
from planocr.engines.base import OcrEngine
from planocr.errors import DeadlineExceeded, Internal, PlanocrError, Reason, ResourceExhausted, Unavailable

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
    """Runs the engine calls of a page with a timeout.

    ``max_stuck`` (default twice ``threads``) bounds the overrun calls that
    may hold a thread and their image at once.
    """

    def __init__(self, threads: int, timeout: float, max_stuck: int | None = None):
        self.timeout = timeout
        self.threads = threads
        self.max_stuck = 2 * threads if max_stuck is None else max_stuck
        self._lock = threading.Lock()
        self._stuck = 0
        self._executor = self._new_executor()

    def _new_executor(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="planocr-engine")

    @property
    def stuck(self) -> int:
        """Engine calls that overran their timeout and have not returned yet."""
        return self._stuck

    def recognize(self, engine: OcrEngine, image: Image.Image, dpi: int | None) -> OcrResult:
        """``engine.recognize(image, dpi=dpi)`` within the timeout."""
        result = self.run(engine.name, lambda: engine.recognize(image, dpi=dpi))
        if not isinstance(result, OcrResult):
            raise Internal(f"engine {engine.name!r} returned {type(result).__name__}, not a result", reason=Reason.ENGINE_FAILED)
        return result

    def run(self, engine: str, fn: Callable[[], T]) -> T:
        """``fn()``, the engine calls of one page, within the timeout; ``engine`` names the engine in errors."""
        with self._lock:
            if self._stuck >= self.max_stuck:
                raise Unavailable(
                    f"engine calls on {self._stuck} earlier pages never returned; restart the service",
                    reason=Reason.ENGINE_UNAVAILABLE,
                )
            future = self._executor.submit(fn)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            if not future.cancel():
                self._overran(future)
            raise DeadlineExceeded(
                f"engine {engine!r} did not finish within {self.timeout:g} s", reason=Reason.ENGINE_TIMEOUT
            ) from None
        except PlanocrError:
            raise
        except Exception as exc:
            log.error("engine %s failed", engine, exc_info=True)
            raise Internal(f"engine {engine!r} failed: {type(exc).__name__}", reason=Reason.ENGINE_FAILED) from exc

    def _overran(self, future: Future) -> None:
        """The call keeps its thread until the engine returns; later calls get fresh threads."""
        with self._lock:
            self._stuck += 1
            old, self._executor = self._executor, self._new_executor()
        old.shutdown(wait=False)  # calls already queued there still run; idle threads exit
        log.warning("engine call overran its timeout; %d call(s) stuck", self._stuck)
        future.add_done_callback(self._returned)

    def _returned(self, _future: Future) -> None:
        with self._lock:
            self._stuck -= 1

    def shutdown(self) -> None:
        with self._lock:
            executor = self._executor
        executor.shutdown(wait=False, cancel_futures=True)
