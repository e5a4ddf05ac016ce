"""Waiting in the job layer: for a page job's result, and for a page another worker holds.

Every caller that meets a page leased elsewhere (a ProcessPage call, a
document run, a replica's call through the fan-out) judges the page the
same way, with :func:`holder_state`: finished there, free to claim (pending,
or its lease expired), or still held. :func:`wait_for_page` polls one page
until it is no longer held; a document run polls all its held pages at
once with the same judgement.
"""

from __future__ import annotations

import enum
import threading
import time
import uuid
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from planocr.core.records import COMPLETED, ERROR, PENDING, PROCESSING
from planocr.db.repository import PageRecord, Repository
from planocr.errors import Cancelled, DeadlineExceeded, Reason
from planocr.jobs.cancel import CancelToken

T = TypeVar("T")

#: How often a caller waiting for its page job checks whether it was cancelled.
WAIT_SLICE = 0.1


class Signal:
    """Tells threads in this process that something changed (a page job saved its page); they re-read the database.

    :meth:`wait` returns when the count moved past the one a waiter last
    saw, or after ``timeout``: changes made by other replicas are found by
    polling, so a waiter never depends on being told.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    def notify(self) -> None:
        with self._cond:
            self._count += 1
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until the count is past ``seen`` or ``timeout`` passes; the count then."""
        with self._cond:
            self._cond.wait_for(lambda: self._count != seen, timeout)
            return self._count


class Held(enum.Enum):
    """Where a page stands for a caller that found it leased elsewhere."""

    FINISHED = "finished"  # completed or failed by its holder
    FREE = "free"  # pending again, or its holder's lease ran out: claim it
    HELD = "held"  # a live lease: wait


def holder_state(page: PageRecord) -> Held:
    if page.status in (COMPLETED, ERROR):
        return Held.FINISHED
    if page.status == PENDING or lease_expired(page):
        return Held.FREE
    return Held.HELD


def lease_expired(page: PageRecord) -> bool:
    from planocr.db.models import as_utc, utcnow

    if page.status != PROCESSING or page.lease_expires_at is None:
        return False
    return as_utc(page.lease_expires_at) < utcnow()


def wait_for_page(repo: Repository, page_id: uuid.UUID, cancel: CancelToken, deadline: float | None) -> PageRecord:
    """Poll until a page leased elsewhere is finished or free to claim, and return it.

    Raises DEADLINE_EXCEEDED (reason PAGE_BUSY) at ``deadline`` (a
    ``time.monotonic()`` value), CANCELLED when ``cancel`` is set.
    """
    delay = 0.05
    while True:
        page = repo.get_page(page_id)
        if holder_state(page) is not Held.HELD:
            return page
        if deadline is not None and time.monotonic() + delay > deadline:
            raise DeadlineExceeded("the page is still being processed by another worker", reason=Reason.PAGE_BUSY)
        if cancel.sleep(delay):
            raise Cancelled("cancelled while waiting for another worker")
        delay = min(delay * 1.5, 0.5)


def wait_for_job(future: Future[T], cancel: CancelToken, deadline: float | None) -> T:
    """The job's result; stops waiting at the deadline or as soon as the caller is cancelled (the job goes on).

    The job itself sees the same token between its steps and saves what it
    has read or gives its page back.
    """
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            # The job goes on and saves its result; this caller just stops waiting.
            raise DeadlineExceeded("the page was not finished before the deadline")
        try:
            return future.result(timeout=WAIT_SLICE if left is None else min(WAIT_SLICE, left))
        except FutureTimeout:
            if cancel.cancelled:
                if cancel.expired:
                    raise DeadlineExceeded("the page was not finished before the deadline") from None
                raise Cancelled("the call was cancelled while its page was being read") from None
