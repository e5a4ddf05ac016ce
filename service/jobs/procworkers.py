"""Reading pages in engine worker processes (``PLANOCR_ENGINE_ISOLATION=process``, the default).

The server process keeps the gRPC threads, the page jobs and the one
database engine; it fetches a page's bytes from storage and hands them, with
the page's DPI (and, to complete a text layer, that layer's reading), to one
of ``PLANOCR_OCR_WORKERS`` child processes. The child decodes the image,
runs the engine passes of :class:`~planocr.reading.sheetreader.SheetReader` and the
title-block parser, and sends back the plain reading. A child never opens a
database connection or touches storage.

Children are started from a fork server (``multiprocessing``'s
``forkserver`` context): a clean process started once, which has imported
the service's reading code and forks each worker from there, so a
replacement is ready in a fraction of a second and no child is ever forked
from the threaded server. Each child builds its engines once, from the
registry's :class:`~planocr.engines.registry.RegistrySpec` (models are
loaded once per worker process and reused for every page it reads; workers
share nothing), and applies ``PLANOCR_WORKER_MEMORY_MB`` to itself with
``RLIMIT_AS`` before it loads anything.

What the server does with a worker:

* a page that overruns ``PLANOCR_ENGINE_TIMEOUT``: the worker is killed and
  replaced; the page fails DEADLINE_EXCEEDED / ENGINE_TIMEOUT;
* a worker that dies on a page (a signal such as SIGSEGV, the kernel's OOM
  killer, or a MemoryError under its memory limit): replaced; that page
  alone fails UNAVAILABLE / ENGINE_CRASHED and is not retried in the run;
* after ``PLANOCR_WORKER_MAX_PAGES`` pages a worker is stopped and replaced
  between pages.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from planocr.errors import (
    Cancelled,
    Code,
    DeadlineExceeded,
    EngineCrashed,
    Internal,
    PlanocrError,
    Reason,
    Unavailable,
    error_for,
)

if TYPE_CHECKING:
    from planocr.config import Settings
    from planocr.engines.registry import EngineRegistry, RegistrySpec
    from planocr.jobs.cancel import CancelToken
    from planocr.reading.sheetreader import ReadingOptions, SheetRead, SheetReader

log = logging.getLogger(__name__)

#: A worker's exit status when it ran out of memory (a MemoryError under its limit).
EXIT_OUT_OF_MEMORY = 86
#: How long a new worker may take to start and build its default engine.
START_SECONDS = 120.0
#: How long a worker asked to stop gets before it is killed.
STOP_SECONDS = 2.0
#: Modules the fork server imports once, so that workers forked from it start with them loaded.
PRELOAD = ["__main__", "planocr.jobs.procworkers", "planocr.reading.sheetreader", "planocr.media.imaging"]


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker process needs; sent to it once, at start."""

    engines: RegistrySpec
    reading: ReadingOptions
    max_image_pixels: int
    memory_mb: int
    log_level: str
    log_format: str


@dataclass(frozen=True)
class PageJob:
    """One page to read: its image file's bytes, its DPI, and the text-layer reading to complete, if any."""

    engine: str | None
    data: bytes
    dpi: int | None
    layer: SheetRead | None = None


# -- the worker process ---------------------------------------------------------------------------


def worker_main(conn: Connection, config: WorkerConfig) -> None:
    """A worker's life: limit its memory, build its engines, then read pages until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the server stops workers itself
    _limit_memory(config.memory_mb)
    _exit_with_parent()
    from planocr import logs

    logs.configure(config.log_level, config.log_format)
    try:
        from planocr.reading.sheetreader import SheetReader

        engines = config.engines.build()
        engines.get()
        reader = SheetReader(config.reading)
    except MemoryError:
        os._exit(EXIT_OUT_OF_MEMORY)
    except BaseException as exc:  # noqa: BLE001 - reported to the server, which fails the page with it
        conn.send(("failed", _describe(exc)))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            break
        try:
            answer: tuple = ("ok", _read(engines, reader, job, config.max_image_pixels))
        except MemoryError:
            os._exit(EXIT_OUT_OF_MEMORY)
        except BaseException as exc:  # noqa: BLE001 - the page fails with it; the worker carries on
            answer = ("error", _describe(exc))
        del job
        try:
            conn.send(answer)
        except (OSError, ValueError):
            return
    engines.close()


def _read(engines: EngineRegistry, reader: SheetReader, job: PageJob, max_pixels: int) -> tuple[SheetRead, str]:
    from planocr.media.imaging import decode_image

    engine = engines.get(job.engine)
    image = decode_image(job.data, max_pixels)
    if job.layer is None:
        read = reader.read_image(engine, image, job.dpi)
    else:
        read = reader.complete(engine, image, job.dpi or 300, job.layer)
    return read, engine.name


def _limit_memory(megabytes: int) -> None:
    if megabytes > 0:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _exit_with_parent() -> None:
    """End this worker when the server process ends, even mid-page (a killed server leaves no workers behind)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="planocr-parent-watch", daemon=True).start()


def _describe(exc: BaseException) -> tuple:
    """An exception as plain values: a domain error keeps its code, reason and metadata; others their traceback."""
    if isinstance(exc, PlanocrError):
        return ("planocr", int(exc.code), exc.message, str(exc.reason), dict(exc.metadata), exc.retryable)
    return ("exception", type(exc).__name__, "".join(traceback.format_exception(exc)))


def _rebuild(described: tuple, engine: str, doing: str = "failed") -> PlanocrError:
    if described[0] == "planocr":
        _kind, code, message, reason, metadata, retryable = described
        known = reason in Reason.__members__
        error = error_for(Code(code), message, Reason(reason) if known else None)
        error.metadata = metadata
        error.retryable = retryable
        return error
    _kind, name, text = described
    log.error("engine %s %s in a worker process:\n%s", engine, doing, text.rstrip())
    return Internal(f"engine {engine!r} {doing}: {name}", reason=Reason.ENGINE_FAILED)


# -- the server's side ----------------------------------------------------------------------------


class _Worker:
    """One child process and the server's end of its pipe."""

    def __init__(self, context: Any, config: WorkerConfig, number: int):
        self.engine = config.engines.default
        ours, theirs = context.Pipe(duplex=True)
        self.process = context.Process(target=worker_main, args=(theirs, config), name=f"planocr-engine-{number}", daemon=True)
        self.process.start()
        theirs.close()
        self.conn: Connection = ours
        self.pid: int | None = None
        self.pages = 0

    @property
    def ready(self) -> bool:
        return self.pid is not None

    def wait_ready(self, timeout: float) -> None:
        """Until the worker has built its engine; the error it failed with otherwise."""
        if self.ready:
            return
        if not wait([self.conn, self.process.sentinel], timeout):
            raise Unavailable(f"an engine worker did not start within {timeout:g} s", reason=Reason.ENGINE_UNAVAILABLE)
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(STOP_SECONDS)
            raise Unavailable(
                f"an engine worker exited while starting ({_exit_text(self.process.exitcode)})",
                reason=Reason.ENGINE_UNAVAILABLE,
            ) from None
        if message[0] == "failed":
            raise _rebuild(message[1], self.engine, "could not be built")
        self.pid = message[1]

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(STOP_SECONDS)
        self.conn.close()

    def stop(self) -> None:
        """Ask an idle worker to finish; kill it if it does not."""
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(STOP_SECONDS)
        self.kill()


class EngineProcesses:
    """``size`` engine worker processes; each page is read by one of them, within ``timeout`` seconds."""

    def __init__(self, size: int, config: WorkerConfig, timeout: float, max_pages: int = 0):
        self.size = size
        self.config = config
        self.timeout = timeout
        self.max_pages = max_pages
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._started = 0
        self._closed = False
        self.replaced = 0  # workers replaced after a crash, an overrun or their page quota
        #: Called with the cause each time a worker is replaced: crashed, timeout, recycled, start_failed.
        self.on_replace: Callable[[str], None] | None = None
        for _ in range(size):
            self._idle.put(self._spawn())

    @classmethod
    def from_settings(cls, settings: Settings, engines: EngineRegistry, reading: ReadingOptions) -> EngineProcesses:
        config = WorkerConfig(
            engines=engines.spec(),
            reading=reading,
            max_image_pixels=settings.max_image_pixels,
            memory_mb=settings.worker_memory_mb,
            log_level=settings.log_level,
            log_format=settings.log_format,
        )
        return cls(settings.ocr_workers, config, settings.engine_timeout, settings.worker_max_pages)

    def _spawn(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise Cancelled("the server is stopping", reason=Reason.SHUTTING_DOWN)
            self._started += 1
            worker = _Worker(self._context, self.config, self._started)
            self._workers.add(worker)
            return worker

    @property
    def pids(self) -> list[int]:
        """Process ids of the workers alive now."""
        with self._lock:
            return [w.process.pid for w in self._workers if w.process.is_alive()]

    def wait_ready(self, timeout: float = START_SECONDS) -> None:
        """Until every worker has built its default engine; raises the first one's error (a start that cannot work)."""
        workers: list[_Worker] = []
        try:
            while len(workers) < self.size:
                workers.append(self._idle.get_nowait())
            for worker in workers:
                worker.wait_ready(timeout)
        finally:
            for worker in workers:
                self._idle.put(worker)

    def read(self, engines: EngineRegistry, reader: SheetReader, name: str | None, data: bytes, dpi: int | None,
             layer: SheetRead | None, max_pixels: int, cancel: CancelToken) -> tuple[SheetRead, str]:
        """Read a page's image file in a worker; returns the reading and the engine's name.

        ``engines`` and ``reader`` are the server's, unused here: the
        worker has its own, built from the same settings.
        """
        del engines, reader, max_pixels  # the worker's own, from its WorkerConfig
        worker = self._acquire(cancel)
        try:
            worker.wait_ready(START_SECONDS)
        except PlanocrError:
            self._replace(worker, "start_failed")
            raise
        return self._run(worker, PageJob(name, data, dpi, layer), name or self.config.engines.default)

    def _acquire(self, cancel: CancelToken) -> _Worker:
        while True:
            try:
                return self._idle.get(timeout=0.1)
            except queue.Empty:
                if cancel.cancelled:
                    raise Cancelled("cancelled while waiting for an engine worker") from None
                if self._closed:
                    raise Cancelled("the server is stopping", reason=Reason.SHUTTING_DOWN) from None

    def _run(self, worker: _Worker, job: PageJob, engine: str) -> tuple[SheetRead, str]:
        try:
            worker.conn.send(job)
        except (OSError, ValueError):
            pass  # it died between pages; its sentinel says so below
        del job
        ready = wait([worker.conn, worker.process.sentinel], self.timeout)
        message = None
        if worker.conn in ready:
            try:
                message = worker.conn.recv()
            except (EOFError, OSError):
                message = None
        if message is None and not ready:
            worker.kill()
            self._replace(worker, "timeout", gone=True)
            log.warning("engine worker %s overran %g s on a page; killed and replaced", worker.pid, self.timeout)
            raise DeadlineExceeded(f"engine {engine!r} did not finish within {self.timeout:g} s", reason=Reason.ENGINE_TIMEOUT)
        if message is None:
            worker.process.join(STOP_SECONDS)
            status = worker.process.exitcode
            worker.kill()
            self._replace(worker, "crashed", gone=True)
            if self._closed:
                raise Cancelled("the server is stopping", reason=Reason.SHUTTING_DOWN)
            what = _exit_text(status, self.config.memory_mb)
            log.error("engine worker %s died reading a page (%s); replaced", worker.pid, what)
            raise EngineCrashed(f"the engine's worker process died reading this page ({what})")
        worker.pages += 1
        if self.max_pages and worker.pages >= self.max_pages:
            worker.stop()
            self._replace(worker, "recycled", gone=True)
        else:
            self._idle.put(worker)
        if message[0] == "ok":
            return message[1]
        raise _rebuild(message[1], engine)

    def _replace(self, worker: _Worker, cause: str, gone: bool = False) -> None:
        """Put a fresh worker in ``worker``'s place."""
        if not gone:
            worker.kill()
        with self._lock:
            self._workers.discard(worker)
            if self._closed:
                return
            self.replaced += 1
        if self.on_replace is not None:
            self.on_replace(cause)
        try:
            self._idle.put(self._spawn())
        except Cancelled:
            pass

    def shutdown(self) -> None:
        """Kill every worker, busy or idle; pages still inside one end CANCELLED / SHUTTING_DOWN."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            if worker.process.is_alive():
                worker.process.kill()
        for worker in workers:
            worker.process.join(STOP_SECONDS)


def _exit_text(status: int | None, memory_mb: int = 0) -> str:
    if status is None:
        return "still running"
    if status == EXIT_OUT_OF_MEMORY:
        return f"out of memory: over its limit of {memory_mb} MiB" if memory_mb else "out of memory"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        if -status == signal.SIGKILL:
            return f"{name}, perhaps by the kernel's out-of-memory killer"
        return name
    return f"exit status {status}"


__all__ = ["EngineProcesses", "PageJob", "WorkerConfig", "worker_main"]
