"""Background work: this process's idle OCR workers read the pages that operations want.

StartDocument marks a document's pages as wanted in the database
(:mod:`planocr.db.operations`). Every replica runs one :class:`BackgroundWork`
loop that claims wanted pages while its OCR pool has an idle worker, so
pages asked for in the background are read with no caller attached, after
a restart as before it, and spread over every replica that shares the
database. The loop only fills idle workers and queues nothing behind them:
a ProcessPage or ProcessDocument call that arrives while background pages
fill the pool gets the next worker that frees up.

When none of an operation's pages is wanted any more (whoever read them),
the loop that notices ends it: the document's fields are refined with the
layout its sheets share, as at the end of a ProcessDocument run, and the
operation is done with its summary.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from concurrent.futures import Future

from planocr.core.records import TextSourceMode
from planocr.db.operations import OperationStore
from planocr.errors import Aborted, Cancelled, PlanocrError, ResourceExhausted
from planocr.jobs.cancel import CancelToken
from planocr.jobs.pipeline import PageOutcome, Pipeline, ProcessOptions
from planocr.jobs.workers import OcrPool

log = logging.getLogger(__name__)


def options_of(force: bool, engine: str | None, text_source: str | None) -> ProcessOptions:
    """The ProcessOptions an operation was started with."""
    return ProcessOptions(force=force, engine=engine, text_source=TextSourceMode(text_source) if text_source else None)


class BackgroundWork:
    """Claims wanted pages for this process's idle OCR workers and ends operations whose pages are all read.

    ``poll``: how often the database is asked for wanted pages when nothing
    here says there are some (other replicas' StartDocument calls, pages
    left by a replica that died); a StartDocument on this process wakes the
    loop at once.
    """

    def __init__(self, pipeline: Pipeline, pool: OcrPool, operations: OperationStore, stopping: CancelToken, *, poll: float = 1.0):
        self.pipeline = pipeline
        self.pool = pool
        self.operations = operations
        self.stopping = stopping
        self.poll = poll
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._tokens: dict[uuid.UUID, CancelToken] = {}  # per operation, for CancelOperation on this replica
        self._settle: set[uuid.UUID] = set()  # operations a page of which just finished here
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="planocr-background", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for wanted pages now (an operation was started or a worker freed)."""
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Claim no more pages and end the loop; page jobs already running are the pool's to drain.

        Called first thing when the server stops: the pages this replica
        leaves stay wanted, for the other replicas or for its next start.
        """
        self._stopped.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def _ending(self) -> bool:
        return self._stopped.is_set() or self.stopping.cancelled

    def cancel_local(self, operation_id: uuid.UUID) -> None:
        """Stop this process's page jobs of a cancelled operation (they give their pages back)."""
        with self._lock:
            token = self._tokens.pop(operation_id, None)
        if token is not None:
            token.cancel()

    # -- the loop -------------------------------------------------------------

    def _loop(self) -> None:
        next_sweep = 0.0
        failures = 0
        while not self._ending:
            try:
                self._fill()
                with self._lock:
                    settle, self._settle = self._settle, set()
                if settle or time.monotonic() >= next_sweep:
                    self._end_finished()
                    next_sweep = time.monotonic() + self.poll
                failures = 0
            except PlanocrError as error:
                failures += 1
                if failures == 1:
                    log.warning("background work paused: %s (%s)", error.message, error.reason)
                self.stopping.sleep(min(self.poll * failures, 10.0))
                continue
            except Exception:
                log.error("background work loop failed; trying again", exc_info=True)
                self.stopping.sleep(self.poll)
                continue
            self._wake.wait(self.poll)
            self._wake.clear()

    def _fill(self) -> None:
        """Claim wanted pages while an OCR worker is idle."""
        while not self._ending and self.pool.depth < self.pool.workers:
            claimed = self.operations.claim_next(self.pipeline.worker_id, self.pipeline.settings.lease_seconds)
            if claimed is None:
                return
            page, operation = claimed
            with self._lock:
                token = self._tokens.setdefault(operation.id, CancelToken())
            options = options_of(operation.force, operation.engine, operation.text_source)
            try:
                future = self.pool.submit(self.pipeline.process_claimed, page, options, CancelToken(self.stopping, token))
            except ResourceExhausted:
                self._give_back(page.id)  # the pool filled meanwhile
                return
            future.add_done_callback(functools.partial(self._page_done, page.id, operation.id))

    def _page_done(self, page_id: uuid.UUID, operation_id: uuid.UUID, future: Future[PageOutcome]) -> None:
        error = None if future.cancelled() else future.exception()
        if future.cancelled():
            self._give_back(page_id)  # dropped from the pool's queue before it started (the server is stopping)
        elif isinstance(error, (Cancelled, Aborted)):
            pass  # given back (cancelled, stopping), or taken over after a lost lease: nothing to report
        elif error is not None:
            # Neither saved nor failed (the database stayed away through the retries): give the page
            # back so that it is claimed again soon, not when its lease runs out. It stays wanted.
            log.warning("background page job ended without saving page %s: %s", page_id, error)
            self._give_back(page_id)
        with self._lock:
            self._settle.add(operation_id)
        self._wake.set()

    def _give_back(self, page_id: uuid.UUID) -> None:
        try:
            self.pipeline.repo.release_page(page_id, self.pipeline.worker_id)
        except PlanocrError:
            pass  # its lease runs out instead

    def _end_finished(self) -> None:
        """End every running operation none of whose pages is wanted any more."""
        for operation in self.operations.unfinished():
            try:
                duplicates = self.pipeline.refine_document(operation.document_id)
            except Exception:
                log.error("refining document %s failed; ending its operation without it", operation.document_id, exc_info=True)
                duplicates = self.operations.sheet_number_duplicates(operation.document_id)
            ended = self.operations.finish(operation.id, duplicates)
            with self._lock:
                self._tokens.pop(operation.id, None)
            if ended is not None:
                log.info(
                    "operation %s done: %d completed, %d failed", ended.id, ended.completed, ended.failed,
                    extra={"operation_id": str(ended.id), "document_id": str(ended.document_id)},
                )
                self.pipeline.page_saved.notify()  # watchers waiting for the end
