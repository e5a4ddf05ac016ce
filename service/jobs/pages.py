"""What the RPC layer asks of pages: read one now, or every pending page of a document.

:class:`PageJobs` is the one entry to the job layer for ProcessPage and
ProcessDocument. A page leased by another worker is waited for here (see
:mod:`planocr.jobs.waiting`), never in the RPC layer; with
``PLANOCR_PEERS`` a document's pages go to the replicas (:mod:`planocr.jobs.fanout`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

from planocr.core.records import ERROR
from planocr.db.operations import OperationStore
from planocr.errors import Aborted, Reason
from planocr.jobs.cancel import CancelToken
from planocr.jobs.fanout import PeerFanout
from planocr.jobs.pipeline import Outcome, PageOutcome, Pipeline, ProcessOptions, stored_error
from planocr.jobs.scheduler import DocumentRun, Event, PageDone, Summary
from planocr.jobs.waiting import Held, holder_state, wait_for_job, wait_for_page
from planocr.jobs.watch import Snapshot, watch_document
from planocr.jobs.workers import OcrPool


class PageJobs:
    """Page jobs on this process's OCR pool (and, with peers, on the replicas')."""

    def __init__(self, pipeline: Pipeline, pool: OcrPool, operations: OperationStore):
        self.pipeline = pipeline
        self.pool = pool
        self.operations = operations
        # With PLANOCR_PEERS, a document's pages are spread over the replicas.
        self.fanout = PeerFanout(pipeline.settings, pipeline.repo) if pipeline.settings.peers else None

    def check_options(self, options: ProcessOptions) -> None:
        self.pipeline.check_options(options)

    def process_page(
        self, page_id: uuid.UUID, options: ProcessOptions, cancel: CancelToken, deadline: float | None
    ) -> PageOutcome:
        """Read one page now, or wait for the worker that holds it; ``error`` is set when the page ended failed.

        Stops waiting at ``deadline`` (monotonic) or when ``cancel`` is set;
        a job already running then still saves its page or gives it back.
        """
        waited = False
        while True:
            future = self.pool.submit(self.pipeline.run_page, page_id, options, cancel)
            try:
                result = wait_for_job(future, cancel, deadline)
            except Aborted as error:
                if error.reason != Reason.LEASE_LOST:
                    raise
                result = None
            if result is not None and result.outcome is not Outcome.BUSY:
                break
            # Another worker holds the page: wait for its result rather than read the page twice.
            waited = True
            page = wait_for_page(self.pipeline.repo, page_id, cancel, deadline)
            if holder_state(page) is Held.FINISHED:
                return PageOutcome(page, Outcome.PROCESSED_ELSEWHERE, stored_error(page) if page.status == ERROR else None)
        if waited and result.outcome is Outcome.ALREADY_COMPLETED:
            return PageOutcome(result.page, Outcome.PROCESSED_ELSEWHERE, result.error)
        return result

    def process_document(
        self, document_id: uuid.UUID, options: ProcessOptions, cancel: CancelToken, deadline: float | None
    ) -> Iterator[Event]:
        """The events of a run over every pending page of a document (all of them with ``force``)."""
        spread = {}
        if self.fanout is not None:
            spread = {"submit": self.fanout.submitter(deadline), "window": self.fanout.window()}
        run = DocumentRun(self.pipeline, self.pool, document_id, options, cancel, **spread)
        return run.events()

    def watch_document(self, document_id: uuid.UUID, since: dt.datetime | None, cancel: CancelToken) -> Iterator[Snapshot | PageDone | Summary]:
        """A document's progress wherever its pages are read (see :mod:`planocr.jobs.watch`)."""
        return watch_document(self.pipeline.repo, self.operations, self.pipeline.page_saved, document_id, since, cancel)
