"""ProcessDocument: every page of a document on the shared OCR pool, reported as it finishes.

The scheduler keeps at most one job per OCR worker in flight for each
document, so several documents (and ProcessPage calls) share the pool fairly
and a cancelled stream has little queued work to take back. Pages leased by
another worker or replica are not waited for on an OCR thread: they are
polled from the stream's own thread and reported when they finish there, or
claimed here if their lease expires.
"""

from __future__ import annotations

import logging
import queue
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field

from planocr.db.models import COMPLETED, ERROR, PENDING
from planocr.db.repository import PageRecord
from planocr.errors import Aborted, Cancelled, PlanocrError, Reason, ResourceExhausted
from planocr.pipeline import CancelToken, Outcome, PageOutcome, Pipeline, ProcessOptions, lease_expired, stored_error
from planocr.workers import OcrPool

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25


@dataclass(slots=True)
class Started:
    document_id: uuid.UUID
    total_pages: int
    to_process: int
    skipped: int


@dataclass(slots=True)
class PageDone:
    page: PageRecord
    outcome: Outcome
    error: PlanocrError | None
    done: int
    total: int


@dataclass(slots=True)
class Summary:
    document_id: uuid.UUID
    total_pages: int
    completed: int
    failed: int
    skipped: int
    elapsed: float
    duplicate_sheet_numbers: list[str] = field(default_factory=list)


Event = Started | PageDone | Summary


PageSubmitter = Callable[[uuid.UUID, ProcessOptions, CancelToken], "Future[PageOutcome]"]


class DocumentRun:
    """One ProcessDocument call. Iterate :meth:`events`; cancel through the token.

    Pages run through ``submit`` (default: this process's OCR pool). Another
    submitter can send them elsewhere, e.g. to replicas through a
    load-balanced channel, as long as its futures resolve to PageOutcome;
    ``window`` is how many pages may be in flight at once.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        pool: OcrPool,
        document_id: uuid.UUID,
        options: ProcessOptions,
        cancel: CancelToken,
        *,
        submit: PageSubmitter | None = None,
        window: int | None = None,
    ):
        self.pipeline = pipeline
        self.pool = pool
        self.document_id = document_id
        self.options = options
        self.cancel = cancel
        self._submit_page = submit or (lambda page_id, options, cancel: pool.submit(pipeline.run_page, page_id, options, cancel))
        self.window = window or pool.workers
        self._results: queue.Queue[tuple[uuid.UUID, Future[PageOutcome]]] = queue.Queue()
        self._in_flight: dict[uuid.UUID, Future[PageOutcome]] = {}

    def events(self) -> Iterator[Event]:
        started_at = time.monotonic()
        repo = self.pipeline.repo
        pages = repo.page_states(self.document_id)
        total = len(pages)
        skipped = [p for p in pages if p.status == COMPLETED and not self.options.force]
        todo = deque(p.id for p in pages if p.status != COMPLETED or self.options.force)
        yield Started(self.document_id, total, len(todo), len(skipped))

        done = 0
        completed = failed = 0
        for page in skipped:
            done += 1
            yield PageDone(page, Outcome.ALREADY_COMPLETED, None, done, total)

        waiting: set[uuid.UUID] = set()
        next_poll = time.monotonic()
        window = self.window
        try:
            while todo or self._in_flight or waiting:
                if self.cancel.cancelled:
                    raise Cancelled("the document run was cancelled")
                self._fill(todo, window)
                timeout = max(0.01, next_poll - time.monotonic()) if waiting else POLL_SECONDS
                finished = list(self._collect(waiting, timeout))
                # Start the next pages before streaming these events: sending
                # them waits on the caller, and a worker should not.
                self._fill(todo, window)
                for event in finished:
                    done += 1
                    event.done, event.total = done, total
                    completed += event.page.status == COMPLETED
                    failed += event.page.status != COMPLETED
                    yield event
                if waiting and time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + POLL_SECONDS
                    for event in self._poll(waiting, todo):
                        done += 1
                        event.done, event.total = done, total
                        completed += event.page.status == COMPLETED
                        failed += event.page.status != COMPLETED
                        yield event
        finally:
            # Jobs not yet started are dropped; running ones see the token and
            # either save (OCR already done) or release their page.
            for future in self._in_flight.values():
                future.cancel()
            if self._in_flight:
                self.cancel.cancel()

        yield Summary(
            document_id=self.document_id,
            total_pages=total,
            completed=completed,
            failed=failed,
            skipped=len(skipped),
            elapsed=time.monotonic() - started_at,
            duplicate_sheet_numbers=self.pipeline.refine_document(self.document_id),
        )

    def _fill(self, todo: deque[uuid.UUID], window: int) -> None:
        """Submit pages until ``window`` are in flight."""
        while todo and len(self._in_flight) < window:
            page_id = todo.popleft()
            try:
                self._submit(page_id)
            except ResourceExhausted:
                todo.appendleft(page_id)  # the pool is full of others' work; try again shortly
                return

    def _submit(self, page_id: uuid.UUID) -> None:
        future = self._submit_page(page_id, self.options, self.cancel)
        self._in_flight[page_id] = future
        future.add_done_callback(lambda f, pid=page_id: self._results.put((pid, f)))

    def _collect(self, waiting: set[uuid.UUID], timeout: float) -> Iterator[PageDone]:
        """Events for jobs that finished; BUSY pages move to ``waiting``."""
        try:
            item = self._results.get(timeout=timeout)
        except queue.Empty:
            return
        items = [item]
        while True:
            try:
                items.append(self._results.get_nowait())
            except queue.Empty:
                break
        for page_id, future in items:
            self._in_flight.pop(page_id, None)
            if future.cancelled():
                continue
            error = future.exception()
            if error is None:
                outcome = future.result()
                if outcome.outcome is Outcome.BUSY:
                    waiting.add(page_id)
                    continue
                if outcome.outcome is Outcome.ALREADY_COMPLETED:
                    # Completed by someone else between listing and claiming.
                    yield PageDone(outcome.page, Outcome.PROCESSED_ELSEWHERE, None, 0, 0)
                    continue
                yield PageDone(outcome.page, outcome.outcome, outcome.error, 0, 0)
            elif isinstance(error, Aborted) and error.reason == Reason.LEASE_LOST:
                waiting.add(page_id)
            elif isinstance(error, Cancelled):
                raise error
            elif isinstance(error, PlanocrError):
                # The page could not even be claimed or saved (e.g. the database
                # stayed down through every retry). It is still pending in the
                # database; report it failed for this run.
                page = self._light_page(page_id)
                yield PageDone(page, Outcome.PROCESSED, error, 0, 0)
            else:
                raise error

    def _light_page(self, page_id: uuid.UUID) -> PageRecord:
        try:
            page = self.pipeline.repo.get_page(page_id)
        except PlanocrError:
            page = PageRecord(page_id, self.document_id, 0, "", 0, 0, PENDING)
        if page.status == COMPLETED:
            page.status = PENDING
        return page

    def _poll(self, waiting: set[uuid.UUID], todo: deque[uuid.UUID]) -> Iterator[PageDone]:
        """Check pages held by other workers: report finished ones, re-queue abandoned ones."""
        try:
            states = {p.id: p for p in self.pipeline.repo.page_states(self.document_id)}
        except PlanocrError:
            return  # the database is away; poll again later
        for page_id in list(waiting):
            page = states.get(page_id)
            if page is None:
                continue
            if page.status == COMPLETED:
                waiting.discard(page_id)
                yield PageDone(page, Outcome.PROCESSED_ELSEWHERE, None, 0, 0)
            elif page.status == ERROR:
                waiting.discard(page_id)
                yield PageDone(page, Outcome.PROCESSED_ELSEWHERE, stored_error(page), 0, 0)
            elif page.status == PENDING or lease_expired(page):
                waiting.discard(page_id)
                todo.appendleft(page_id)
