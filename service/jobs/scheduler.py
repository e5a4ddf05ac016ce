"""ProcessDocument: every page of a document on the shared OCR pool, reported as it finishes.

The scheduler keeps at most one job per OCR worker in flight for each
document, so several documents (and ProcessPage calls) share the pool fairly
and a cancelled stream has little queued work to take back. Pages leased by
another worker or replica are not waited for on an OCR thread: they are
polled from the stream's own thread and reported when they finish there, or
claimed here if their lease expires.

Every page event says what the database says about the page afterwards. A
page job that could neither save a result nor an error (the database
stayed down through its retries) leaves its page pending, or processing
under this process's claim; such a page is reported once the database
answers again, after its claim is given back, with the state the database
then holds (pending, unless another worker finished it meanwhile), and it
is not counted as failed. If the database does not come back before
nothing else is left to do, the stream ends with that UNAVAILABLE error.
"""

from __future__ import annotations

import functools
import logging
import math
import queue
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field

from planocr.core.records import COMPLETED, ERROR
from planocr.db.repository import PageRecord
from planocr.errors import Aborted, Cancelled, PlanocrError, Reason, ResourceExhausted
from planocr.jobs.cancel import CancelToken
from planocr.jobs.pipeline import Outcome, PageOutcome, Pipeline, ProcessOptions, stored_error
from planocr.jobs.waiting import Held, holder_state
from planocr.jobs.workers import OcrPool

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
    outcome: Outcome | None  # None: reported by WatchDocument, which does not know how the page was read
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
        unsettled: dict[uuid.UUID, PlanocrError] = {}
        next_poll = time.monotonic()
        settle = _Settling(self.pipeline.settings.retry_attempts, self.pipeline.settings.retry_backoff)
        window = self.window
        try:
            while todo or self._in_flight or waiting or unsettled:
                if self.cancel.cancelled:
                    raise Cancelled("the document run was cancelled")
                self._fill(todo, window)
                polling = waiting or unsettled
                timeout = max(0.01, next_poll - time.monotonic()) if polling else POLL_SECONDS
                if unsettled and not (todo or self._in_flight or waiting):
                    timeout = max(0.01, settle.next_try - time.monotonic())
                finished = list(self._collect(waiting, unsettled, timeout))
                # Start the next pages before streaming these events: sending
                # them waits on the caller, and a worker should not.
                self._fill(todo, window)
                if waiting and time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + POLL_SECONDS
                    finished.extend(self._poll(waiting, todo))
                if unsettled and time.monotonic() >= settle.next_try:
                    finished.extend(self._settle(unsettled, settle, last_chance=not (todo or self._in_flight or waiting)))
                for event in finished:
                    done += 1
                    event.done, event.total = done, total
                    completed += event.page.status == COMPLETED
                    failed += event.page.status == ERROR
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
        future.add_done_callback(functools.partial(self._done, page_id))

    def _done(self, page_id: uuid.UUID, future: Future[PageOutcome]) -> None:
        self._results.put((page_id, future))

    def _collect(self, waiting: set[uuid.UUID], unsettled: dict[uuid.UUID, PlanocrError], timeout: float) -> Iterator[PageDone]:
        """Events for jobs that finished; BUSY pages move to ``waiting``, pages left unsaved to ``unsettled``."""
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
                # The page could be neither claimed nor saved (e.g. the database
                # stayed down through every retry): it is still pending, or
                # processing under our claim. Reported once the database says which.
                unsettled[page_id] = error
            else:
                raise error

    def _settle(self, unsettled: dict[uuid.UUID, PlanocrError], settle: _Settling, *, last_chance: bool) -> Iterator[PageDone]:
        """Give back the claims unsaved pages still hold here, and report each as the database then has it.

        While the database does not answer, nothing is reported; when it has
        not answered through the retries and nothing else is left to do, its
        error ends the stream.
        """
        repo = self.pipeline.repo
        try:
            for page_id in unsettled:
                repo.release_page(page_id, self.pipeline.worker_id)
            states = {p.id: p for p in repo.page_states(self.document_id)}
        except PlanocrError as error:
            if settle.failed() and last_chance:
                raise error
            return
        settle.succeeded()
        for page_id, unsaved in list(unsettled.items()):
            del unsettled[page_id]
            page = states.get(page_id)
            if page is None:
                continue  # the document was deleted meanwhile
            log.warning(
                "page %s could not be saved in this run (%s); it is %s", page_id, unsaved.reason, page.status,
                extra={"page_id": str(page_id), "reason": str(unsaved.reason)},
            )
            yield PageDone(page, Outcome.PROCESSED, stored_error(page) if page.status == ERROR else None, 0, 0)

    def _poll(self, waiting: set[uuid.UUID], todo: deque[uuid.UUID]) -> list[PageDone]:
        return list(self._poll_events(waiting, todo))

    def _poll_events(self, waiting: set[uuid.UUID], todo: deque[uuid.UUID]) -> Iterator[PageDone]:
        """Check pages held by other workers: report finished ones, re-queue abandoned ones."""
        try:
            states = {p.id: p for p in self.pipeline.repo.page_states(self.document_id)}
        except PlanocrError:
            return  # the database is away; poll again later
        for page_id in list(waiting):
            page = states.get(page_id)
            if page is None:
                continue
            state = holder_state(page)
            if state is Held.FINISHED:
                waiting.discard(page_id)
                yield PageDone(page, Outcome.PROCESSED_ELSEWHERE, stored_error(page) if page.status == ERROR else None, 0, 0)
            elif state is Held.FREE:
                waiting.discard(page_id)
                todo.appendleft(page_id)


class _Settling:
    """When to ask the database again about unsaved pages: every poll, and with backoff once nothing else is left."""

    def __init__(self, attempts: int, backoff: float):
        self.attempts = attempts
        self.backoff = backoff
        self.failures = 0
        self.next_try = time.monotonic()

    def failed(self) -> bool:
        """Count a failed try; True once every try of the retry budget failed."""
        self.failures += 1
        self.next_try = time.monotonic() + max(POLL_SECONDS, self.backoff * math.pow(2, self.failures - 1))
        return self.failures >= self.attempts

    def succeeded(self) -> None:
        self.failures = 0
        self.next_try = time.monotonic()
