"""WatchDocument's ordering rule with a fake database: a page is reported only once no earlier-stamped save can still appear."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from planocr.db.repository import DocumentRecord, PageRecord
from planocr.jobs.cancel import CancelToken
from planocr.jobs.scheduler import PageDone, Summary
from planocr.jobs.waiting import Signal
from planocr.jobs.watch import Snapshot, watch_document

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DOCUMENT = uuid.uuid4()


def _page(number: int, seconds: float | None, status: str = "completed") -> PageRecord:
    return PageRecord(
        id=uuid.UUID(int=number), document_id=DOCUMENT, page_number=number, image_key="k", width=1, height=1,
        status=status, processed_at=None if seconds is None else T0 + dt.timedelta(seconds=seconds),
    )


@dataclass
class FakeDatabase:
    """Each poll shows the next state: (pages as committed, the database's time)."""

    polls: list[tuple[list[PageRecord], float]]
    settle_seconds: float = 0.5
    served: int = field(default=0)

    def _now(self) -> tuple[list[PageRecord], float]:
        return self.polls[min(self.served, len(self.polls) - 1)]

    # Repository
    def get_document(self, document_id):
        pages, _ = self._now()
        counts: dict[str, int] = {}
        for page in pages:
            counts[page.status] = counts.get(page.status, 0) + 1
        record = DocumentRecord(DOCUMENT, "set.pdf", "application/pdf", "k", 3, 0, "", None, T0, T0, counts)
        return record

    # OperationStore
    def running_for(self, document_id):
        return None

    def running_id(self, document_id):
        return None

    def finished_pages(self, document_id, after):
        pages, now = self._now()
        self.served += 1
        done = [p for p in pages if p.status in ("completed", "error") and (after is None or p.processed_at > after)]
        return sorted(done, key=lambda p: p.processed_at), T0 + dt.timedelta(seconds=now)

    def sheet_number_duplicates(self, document_id):
        return []


def _run(database: FakeDatabase, since: dt.datetime | None = None) -> list:
    signal = Signal()
    return list(watch_document(database, database, signal, DOCUMENT, since, CancelToken()))  # type: ignore[arg-type]


def test_a_page_that_commits_after_a_later_stamped_one_is_still_reported_first_and_never_skipped():
    # Page 2 (stamped 10.0) commits before page 1 (stamped 9.9); page 3 is still being read.
    database = FakeDatabase([
        ([_page(2, 10.0), _page(3, None, "processing")], 10.2),  # page 2 is too fresh to report
        ([_page(1, 9.9), _page(2, 10.0), _page(3, None, "processing")], 10.6),  # both settled now
        ([_page(1, 9.9), _page(2, 10.0), _page(3, 10.7)], 11.0),  # all done: reported at once
    ])
    events = _run(database)
    assert isinstance(events[0], Snapshot) and isinstance(events[-1], Summary)
    pages = [e for e in events if isinstance(e, PageDone)]
    assert [p.page.page_number for p in pages] == [1, 2, 3]
    assert [p.done for p in pages] == [1, 2, 3]
    assert events[-1].completed == 3


def test_resuming_from_the_last_finish_time_seen_misses_nothing():
    first = FakeDatabase([
        ([_page(2, 10.0), _page(3, None, "processing"), _page(1, None, "processing")], 10.2),
        ([_page(1, 9.9), _page(2, 10.0), _page(3, None, "processing")], 10.6),
    ])
    seen: list[PageDone] = []
    stream = watch_document(first, first, Signal(), DOCUMENT, None, CancelToken())  # type: ignore[arg-type]
    for event in stream:
        if isinstance(event, PageDone):
            seen.append(event)
            if len(seen) == 2:
                break  # the caller leaves
    assert [e.page.page_number for e in seen] == [1, 2]

    later = FakeDatabase([([_page(1, 9.9), _page(2, 10.0), _page(3, 12.0)], 13.0)])
    resumed = [e for e in _run(later, since=seen[-1].page.processed_at) if isinstance(e, PageDone)]
    assert [e.page.page_number for e in resumed] == [3]
