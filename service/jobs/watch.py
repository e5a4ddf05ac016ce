"""WatchDocument: a document's progress from the database, wherever its pages are read.

The stream reads the database, not this process's jobs, so it reports pages
read by any replica, by ProcessPage, ProcessDocument or background work,
and a caller can leave and come back (``since``) without changing anything.
Pages are reported in the order of their ``processed_at``, the database's
time of the save, and only once no earlier save can still commit, so a
caller resuming from the ``finish_time`` of the last event it saw misses
no page (a live page event comes ``settle_seconds`` after its save).
It wakes when a page job of this process saves its page and polls every
``POLL_SECONDS`` for the rest.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from planocr.core.records import COMPLETED, ERROR, PENDING, PROCESSING
from planocr.db.models import as_utc
from planocr.db.operations import OperationRecord, OperationStore
from planocr.db.repository import DocumentRecord, PageRecord, Repository
from planocr.errors import Cancelled
from planocr.jobs.cancel import CancelToken
from planocr.jobs.pipeline import stored_error
from planocr.jobs.scheduler import PageDone, Summary
from planocr.jobs.waiting import Signal

POLL_SECONDS = 0.25
#: Each poll looks this far back before the last page reported, for pages that committed late.
CLOCK_SLACK = dt.timedelta(seconds=5)


@dataclass(slots=True)
class Snapshot:
    document: DocumentRecord
    operation: OperationRecord | None


def watch_document(
    repo: Repository,
    store: OperationStore,
    signal: Signal,
    document_id: uuid.UUID,
    since: dt.datetime | None,
    cancel: CancelToken,
) -> Iterator[Snapshot | PageDone | Summary]:
    """The snapshot, the finished pages (after ``since``), then pages as they finish and a summary at the end.

    Ends once no page is pending or processing and no background operation
    of the document runs; until then it follows the document (a document
    nobody reads is followed until the caller leaves).
    """
    started = time.monotonic()
    document = repo.get_document(document_id)
    yield Snapshot(document, store.running_for(document_id))
    since = as_utc(since) if since is not None else None
    reported: dict[uuid.UUID, dt.datetime] = {}
    watermark = since
    done = 0
    while True:
        seen = signal.count
        # Counts first: a page that finishes after them is reported by this poll or the next one, never after the summary.
        counts = repo.get_document(document_id).counts
        running = store.running_id(document_id)
        finished_now = sum(n for state, n in counts.items() if state not in (PENDING, PROCESSING))
        pages, now = store.finished_pages(document_id, None if watermark is None else watermark - CLOCK_SLACK)
        final = counts.get(PENDING, 0) == 0 and counts.get(PROCESSING, 0) == 0 and running is None
        if not final:
            # Report a page only once every save stamped before it has surely committed: a caller
            # that resumes from its finish_time then misses nothing.
            settled = as_utc(now) - dt.timedelta(seconds=store.settle_seconds)
            pages = [p for p in pages if p.processed_at is not None and as_utc(p.processed_at) <= settled]
        fresh = [p for p in pages if _new(p, reported, since)]
        for index, page in enumerate(fresh):
            finish = as_utc(page.processed_at) if page.processed_at else None
            reported[page.id] = finish or dt.datetime.min.replace(tzinfo=dt.UTC)
            if finish is not None and (watermark is None or finish > watermark):
                watermark = finish
            error = stored_error(page) if page.status == ERROR else None
            # A page may finish between the count and the listing: never report fewer done than before.
            done = min(document.page_count, max(finished_now - (len(fresh) - 1 - index), done + 1))
            yield PageDone(page, None, error, done, document.page_count)
        if final:
            yield Summary(
                document_id=document_id,
                total_pages=document.page_count,
                completed=counts.get(COMPLETED, 0),
                failed=counts.get(ERROR, 0),
                skipped=0,
                elapsed=time.monotonic() - started,
                duplicate_sheet_numbers=store.sheet_number_duplicates(document_id),
            )
            return
        if cancel.cancelled:
            raise Cancelled("the caller stopped watching")
        signal.wait(seen, POLL_SECONDS)


def _new(page: PageRecord, reported: dict[uuid.UUID, dt.datetime], since: dt.datetime | None) -> bool:
    finish = as_utc(page.processed_at) if page.processed_at else None
    if since is not None and (finish is None or finish <= since):
        return False
    return reported.get(page.id) != finish
