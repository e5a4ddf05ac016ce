"""The job layer's one judgement of a page held elsewhere, and waiting on it and on a page job."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from concurrent.futures import Future

import pytest

from planocr.core.records import COMPLETED, ERROR, PENDING, PROCESSING
from planocr.db.repository import PageRecord
from planocr.errors import Cancelled, DeadlineExceeded, Reason
from planocr.jobs.cancel import CancelToken
from planocr.jobs.waiting import Held, holder_state, wait_for_job, wait_for_page


def page(status: str, lease_seconds: float | None = None) -> PageRecord:
    expires = None if lease_seconds is None else dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lease_seconds)
    return PageRecord(uuid.uuid4(), uuid.uuid4(), 1, "k", 10, 10, status, lease_owner="w", lease_expires_at=expires)


@pytest.mark.parametrize(
    ("record", "state"),
    [
        (page(COMPLETED), Held.FINISHED),
        (page(ERROR), Held.FINISHED),
        (page(PENDING), Held.FREE),
        (page(PROCESSING, lease_seconds=-5), Held.FREE),  # its holder's lease ran out
        (page(PROCESSING, lease_seconds=3600), Held.HELD),
        (page(PROCESSING), Held.HELD),  # no lease time recorded: taken as live
    ],
)
def test_holder_state(record, state):
    assert holder_state(record) is state


def test_a_naive_lease_time_is_compared_as_utc():
    record = page(PROCESSING, lease_seconds=-5)
    naive = dataclasses.replace(record, lease_expires_at=record.lease_expires_at.replace(tzinfo=None))
    assert holder_state(naive) is Held.FREE


class Repo:
    """Answers get_page with each record in turn, then the last one for ever."""

    def __init__(self, *records: PageRecord):
        self.records = list(records)
        self.calls = 0

    def get_page(self, page_id):
        self.calls += 1
        return self.records.pop(0) if len(self.records) > 1 else self.records[0]


def test_wait_for_page_returns_once_the_holder_finishes():
    held, done = page(PROCESSING, 3600), page(COMPLETED)
    repo = Repo(held, held, done)
    assert wait_for_page(repo, done.id, CancelToken(), None) is done
    assert repo.calls == 3


def test_wait_for_page_stops_at_the_deadline_with_page_busy():
    repo = Repo(page(PROCESSING, 3600))
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as caught:
        wait_for_page(repo, uuid.uuid4(), CancelToken(), time.monotonic() + 0.3)
    assert caught.value.reason == Reason.PAGE_BUSY
    assert time.monotonic() - started < 1.0


def test_wait_for_page_stops_when_cancelled():
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        wait_for_page(Repo(page(PROCESSING, 3600)), uuid.uuid4(), token, None)


def test_wait_for_job_returns_the_result_or_stops_waiting_while_the_job_goes_on():
    future: Future[str] = Future()
    future.set_result("read")
    assert wait_for_job(future, CancelToken(), None) == "read"

    running: Future[str] = Future()
    with pytest.raises(DeadlineExceeded):
        wait_for_job(running, CancelToken(), time.monotonic() + 0.2)
    left, expired = CancelToken(), CancelToken()
    left.cancel()
    expired.cancel(expired=True)
    with pytest.raises(Cancelled):
        wait_for_job(running, left, None)
    with pytest.raises(DeadlineExceeded):
        wait_for_job(running, expired, None)
    assert not running.done(), "waiting never touches the job itself"
