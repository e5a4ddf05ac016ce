"""The bounded pools of page work.

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
  unavailable instead of leaking more threads and images. It is the
  ``PLANOCR_ENGINE_ISOLATION=thread`` mode; the default runs the engine in
  worker processes instead (:mod:`planocr.jobs.procworkers`), which can be killed.
* :class:`PixelBudget` admits pages to decoding and reading by their size,
  so the images held at once are bounded by ``PLANOCR_PIXEL_BUDGET``, not
  by how many callers arrive.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, TypeVar

from PIL import Image

from planocr.core.page import OcrResult
from planocr.engines.base import OcrEngine
from planocr.errors import (
    Cancelled,
    DeadlineExceeded,
    Internal,
    PlanocrError,
    Reason,
    ResourceExhausted,
    Unavailable,
)
from planocr.media.imaging import decode_image

if TYPE_CHECKING:
    from planocr.engines.registry import EngineRegistry
    from planocr.jobs.cancel import CancelToken
    from planocr.reading.sheetreader import SheetRead, SheetReader

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

    def read(self, engines: EngineRegistry, reader: SheetReader, name: str | None, data: bytes, dpi: int | None,
             layer: SheetRead | None, max_pixels: int, cancel: CancelToken) -> tuple[SheetRead, str]:
        """Decode a page here and read it with engine ``name`` on the runner's threads.

        ``layer``: complete this text-layer reading instead of reading the
        whole page. Returns the reading and the engine's name.
        """
        engine = engines.get(name)
        image = decode_image(data, max_pixels)
        if layer is None:
            read = self.run(engine.name, lambda: reader.read_image(engine, image, dpi))
        else:
            read = self.run(engine.name, lambda: reader.complete(engine, image, dpi or 300, layer))
        return read, engine.name

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


class PixelBudget:
    """Admits pages to decoding and reading while the pixels admitted stay within ``megapixels``.

    Pages are admitted in the order they asked; one that does not fit waits
    (and those after it wait behind it, so a large page is not starved by
    small ones). A page larger than the whole budget is admitted when
    nothing else is in.
    """

    def __init__(self, megapixels: float):
        self.limit = megapixels * 1_000_000
        self._cond = threading.Condition()
        self._waiting: collections.deque[object] = collections.deque()
        self._in_use = 0

    @property
    def in_use(self) -> int:
        """Pixels of the pages admitted now."""
        return self._in_use

    def _fits(self, pixels: int) -> bool:
        return self._in_use == 0 or self._in_use + pixels <= self.limit

    @contextlib.contextmanager
    def admit(self, pixels: int, cancel: CancelToken | None = None) -> Iterator[float]:
        """Hold ``pixels`` of the budget for the block; yields the seconds spent waiting for them."""
        started = time.monotonic()
        ticket = object()
        with self._cond:
            self._waiting.append(ticket)
            try:
                while not (self._waiting[0] is ticket and self._fits(pixels)):
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled("cancelled while waiting to decode the page")
                    self._cond.wait(0.1)
            finally:
                self._waiting.remove(ticket)
                self._cond.notify_all()
            self._in_use += pixels
        try:
            yield time.monotonic() - started
        finally:
            with self._cond:
                self._in_use -= pixels
                self._cond.notify_all()
