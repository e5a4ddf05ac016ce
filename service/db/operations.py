"""Background operations (StartDocument) in the database: start, claim their pages, finish, cancel.

An operation marks the pages it wants (``pages.operation_id``, ``pages.wanted``)
when it starts; any replica's idle OCR workers claim wanted pages with the
same leases as every other page job (:meth:`OperationStore.claim_next`), and
saving a page, by whoever reads it, clears ``wanted``. An operation is done
when none of its pages is wanted any more. Because all of this lives in the
database, work asked for in the background survives restarts and needs no
caller: a replica that starts finds the wanted pages and reads them.

Fair sharing: the next page comes from the running operation with the
highest priority that was served longest ago (``served_at``, set at each
claim), so operations of equal priority take turns page by page and a
2-page document is not queued behind a 500-page one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, and_, delete, func, insert, or_, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from planocr.core.records import COMPLETED, ERROR, PENDING, PROCESSING
from planocr.db.models import CANCELLED, DONE, RUNNING, Document, Operation, Page, utcnow
from planocr.db.repository import PageRecord, _rowcount, database_errors
from planocr.errors import FailedPrecondition, InvalidArgument, NotFound, Reason

#: See :attr:`OperationStore.settle_seconds`.
SETTLE_SECONDS = 0.5

_OPS = cast(Table, Operation.__table__)
_PAGES = cast(Table, Page.__table__)
#: The light page columns (no text or blocks) of the pages a watcher is told about.
_LIGHT = [c for c in _PAGES.c if c.key in PageRecord.__slots__ and c.key not in ("ocr_text", "ocr_blocks")]


@dataclass(slots=True)
class OperationRecord:
    id: uuid.UUID
    document_id: uuid.UUID
    request_id: str | None
    state: str
    priority: int
    force: bool
    engine: str | None
    text_source: str | None
    total_pages: int
    to_process: int
    skipped: int
    cancel_requested: bool
    created_at: dt.datetime
    ended_at: dt.datetime | None
    summary: dict[str, Any] = field(default_factory=dict)
    #: Of ``to_process``: finished (completed or failed), completed, failed.
    done: int = 0
    completed: int = 0
    failed: int = 0

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def duplicate_sheet_numbers(self) -> list[str]:
        return list(self.summary.get("duplicate_sheet_numbers", []))


def _record(row: Any, counts: tuple[int, int, int] | None = None) -> OperationRecord:
    record = OperationRecord(
        id=row.id,
        document_id=row.document_id,
        request_id=row.request_id,
        state=row.state,
        priority=row.priority,
        force=row.force,
        engine=row.engine,
        text_source=row.text_source,
        total_pages=row.total_pages,
        to_process=row.to_process,
        skipped=row.skipped,
        cancel_requested=row.cancel_requested,
        created_at=row.created_at,
        ended_at=row.ended_at,
        summary=dict(row.summary or {}),
    )
    if counts is None:
        counts = (record.summary.get("done", 0), record.summary.get("completed", 0), record.summary.get("failed", 0))
    record.done, record.completed, record.failed = counts
    return record


class OperationStore:
    """Operations and the pages they want, over the service's shared sessionmaker."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], dt.datetime] = utcnow):
        self._sessions = sessions
        self._clock = clock
        self._postgres = sessions.kw["bind"].dialect.name == "postgresql"

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with database_errors(), self._sessions.begin() as session:
            yield session

    # -- counts -------------------------------------------------------------

    def _counts(self, session: Session, operation_id: uuid.UUID) -> tuple[int, int, int]:
        """(done, completed, failed) of a running operation's pages, from the pages themselves."""
        rows = session.execute(
            select(_PAGES.c.status, func.count())
            .where(_PAGES.c.operation_id == operation_id, ~_PAGES.c.wanted)
            .group_by(_PAGES.c.status)
        ).all()
        by_status: dict[str, int] = {status: count for status, count in rows}  # noqa: C416 - rows are Row objects
        completed, failed = by_status.get(COMPLETED, 0), by_status.get(ERROR, 0)
        return completed + failed, completed, failed

    def _load(self, session: Session, row: Any) -> OperationRecord:
        return _record(row, self._counts(session, row.id) if row.state == RUNNING else None)

    # -- start --------------------------------------------------------------

    def start(
        self,
        document_id: uuid.UUID,
        *,
        force: bool = False,
        engine: str | None = None,
        text_source: str | None = None,
        priority: int = 0,
        request_id: str | None = None,
    ) -> tuple[OperationRecord, bool]:
        """Start reading a document in the background; returns the operation and whether this call created it.

        Returns the existing operation instead when ``request_id`` was seen
        before, or when the document already has a running operation.
        """
        for _attempt in range(3):
            try:
                return self._start(document_id, force, engine, text_source, priority, request_id)
            except sa_exc.IntegrityError:
                continue  # another call started one at the same moment: return that one
        raise FailedPrecondition("the document's operation changed while starting it; try again", reason=Reason.OPERATION_RUNNING)

    def _start(self, document_id, force, engine, text_source, priority, request_id) -> tuple[OperationRecord, bool]:
        with self._tx() as session:
            if request_id:
                earlier = session.execute(select(_OPS).where(_OPS.c.request_id == request_id)).first()
                if earlier is not None:
                    if earlier.document_id != document_id:
                        raise InvalidArgument(
                            "request_id was already used to start another document's operation", reason=Reason.REQUEST_ID_REUSED
                        )
                    return self._load(session, earlier), False
            document = session.get(Document, document_id)
            if document is None:
                raise NotFound(f"document {document_id} not found", reason=Reason.DOCUMENT_NOT_FOUND)
            running = session.execute(select(_OPS).where(_OPS.c.document_id == document_id, _OPS.c.state == RUNNING)).first()
            if running is not None:
                return self._load(session, running), False
            now = self._clock()
            operation_id = uuid.uuid4()
            session.execute(
                insert(_OPS).values(
                    id=operation_id, document_id=document_id, request_id=request_id or None, state=RUNNING,
                    priority=priority, force=force, engine=engine, text_source=text_source,
                    total_pages=document.page_count, created_at=now, served_at=now,
                )
            )
            wanted = _PAGES.c.document_id == document_id
            if not force:
                wanted = and_(wanted, _PAGES.c.status != COMPLETED)
            marked = session.execute(update(_PAGES).where(wanted).values(operation_id=operation_id, wanted=True))
            to_process = _rowcount(marked)
            skipped = document.page_count - to_process
            values: dict[str, Any] = {"to_process": to_process, "skipped": skipped}
            if to_process == 0:  # nothing to read: done at once
                values.update(state=DONE, ended_at=now, summary={"done": 0, "completed": 0, "failed": 0})
            session.execute(update(_OPS).where(_OPS.c.id == operation_id).values(**values))
            row = session.execute(select(_OPS).where(_OPS.c.id == operation_id)).one()
            return self._load(session, row), True

    # -- read ---------------------------------------------------------------

    def get(self, operation_id: uuid.UUID) -> OperationRecord:
        with self._tx() as session:
            row = session.execute(select(_OPS).where(_OPS.c.id == operation_id)).first()
            if row is None:
                raise NotFound(f"operation {operation_id} not found", reason=Reason.OPERATION_NOT_FOUND)
            return self._load(session, row)

    def running_id(self, document_id: uuid.UUID) -> uuid.UUID | None:
        """The id of the document's running operation, if it has one (one indexed lookup, no counts)."""
        with self._tx() as session:
            return session.execute(
                select(_OPS.c.id).where(_OPS.c.document_id == document_id, _OPS.c.state == RUNNING)
            ).scalar_one_or_none()

    def running_for(self, document_id: uuid.UUID) -> OperationRecord | None:
        with self._tx() as session:
            row = session.execute(select(_OPS).where(_OPS.c.document_id == document_id, _OPS.c.state == RUNNING)).first()
            return None if row is None else self._load(session, row)

    def list_operations(self, *, document_id: uuid.UUID | None = None, running: bool | None = None, offset: int = 0, limit: int = 50) -> list[OperationRecord]:
        """Operations, newest first."""
        query = select(_OPS).order_by(_OPS.c.created_at.desc(), _OPS.c.id).offset(offset).limit(limit)
        if document_id is not None:
            query = query.where(_OPS.c.document_id == document_id)
        if running is not None:
            query = query.where((_OPS.c.state == RUNNING) if running else (_OPS.c.state != RUNNING))
        with self._tx() as session:
            return [self._load(session, row) for row in session.execute(query).all()]

    # -- the work -----------------------------------------------------------

    def claim_next(self, owner: str, lease_seconds: float) -> tuple[PageRecord, OperationRecord] | None:
        """Claim the next wanted page for ``owner``; None when no running operation has one free.

        The page comes from the operation with the highest priority served
        longest ago, lowest page number first; its operation is marked
        served. Rows other workers are claiming are skipped, not waited for
        (PostgreSQL's SKIP LOCKED; SQLite runs one writer at a time).
        """
        now = self._clock()
        claimable = or_(
            _PAGES.c.status == PENDING,
            _PAGES.c.status == ERROR,
            _PAGES.c.status == COMPLETED,  # wanted again: a forced operation
            and_(_PAGES.c.status == PROCESSING, _PAGES.c.lease_expires_at < now),
        )
        candidate = (
            select(_PAGES.c.id, _OPS.c.id.label("operation_id"))
            .join(_OPS, _OPS.c.id == _PAGES.c.operation_id)
            .where(_PAGES.c.wanted, _OPS.c.state == RUNNING, claimable)
            .order_by(_OPS.c.priority.desc(), _OPS.c.served_at, _PAGES.c.page_number)
            .limit(1)
        )
        if self._postgres:
            candidate = candidate.with_for_update(of=_PAGES, skip_locked=True)
        with self._tx() as session:
            found = session.execute(candidate).first()
            if found is None:
                return None
            claimed = session.execute(
                update(_PAGES)
                .where(_PAGES.c.id == found.id, _PAGES.c.wanted, claimable)
                .values(
                    status=PROCESSING, lease_owner=owner, lease_expires_at=now + dt.timedelta(seconds=lease_seconds),
                    attempts=_PAGES.c.attempts + 1, updated_at=now,
                )
                .returning(*_PAGES.c)
            ).mappings().first()
            if claimed is None:
                return None
            session.execute(update(_OPS).where(_OPS.c.id == found.operation_id).values(served_at=now))
            operation = session.execute(select(_OPS).where(_OPS.c.id == found.operation_id)).one()
            page = PageRecord(**{name: claimed[name] for name in PageRecord.__slots__})
            return page, _record(operation, (0, 0, 0))

    def unfinished(self) -> list[OperationRecord]:
        """Running operations none of whose pages is wanted any more: ready to be finished."""
        still_wanted = select(_PAGES.c.id).where(_PAGES.c.operation_id == _OPS.c.id, _PAGES.c.wanted).exists()
        with self._tx() as session:
            rows = session.execute(select(_OPS).where(_OPS.c.state == RUNNING, ~still_wanted)).all()
            return [self._load(session, row) for row in rows]

    def has_wanted(self, operation_id: uuid.UUID) -> bool:
        with self._tx() as session:
            found = session.execute(
                select(_PAGES.c.id).where(_PAGES.c.operation_id == operation_id, _PAGES.c.wanted).limit(1)
            ).first()
            return found is not None

    def finish(self, operation_id: uuid.UUID, duplicate_sheet_numbers: Sequence[str], state: str = DONE) -> OperationRecord | None:
        """End a running operation with its counts as the pages now have them; None if it had already ended."""
        now = self._clock()
        with self._tx() as session:
            done, completed, failed = self._counts(session, operation_id)
            summary = {"done": done, "completed": completed, "failed": failed, "duplicate_sheet_numbers": list(duplicate_sheet_numbers)}
            ended = session.execute(
                update(_OPS)
                .where(_OPS.c.id == operation_id, _OPS.c.state == RUNNING)
                .values(state=state, ended_at=now, summary=summary)
                .returning(*_OPS.c)
            ).first()
            return None if ended is None else _record(ended)

    def cancel(self, operation_id: uuid.UUID) -> OperationRecord:
        """Stop a running operation: its pages not yet read are no longer wanted, and it ends CANCELLED.

        Pages being read when it is cancelled finish as they are (or are
        given back by the replica that cancelled them). An operation that has
        ended is returned as it is.
        """
        with self._tx() as session:
            row = session.execute(select(_OPS).where(_OPS.c.id == operation_id)).first()
            if row is None:
                raise NotFound(f"operation {operation_id} not found", reason=Reason.OPERATION_NOT_FOUND)
            if row.state != RUNNING:
                return _record(row)
            session.execute(update(_OPS).where(_OPS.c.id == operation_id).values(cancel_requested=True))
            session.execute(
                update(_PAGES).where(_PAGES.c.operation_id == operation_id, _PAGES.c.wanted).values(wanted=False)
            )
        ended = self.finish(operation_id, [], state=CANCELLED)
        return ended if ended is not None else self.get(operation_id)

    def delete(self, operation_id: uuid.UUID) -> None:
        """Forget an ended operation (its pages and their results stay)."""
        with self._tx() as session:
            row = session.execute(select(_OPS.c.state).where(_OPS.c.id == operation_id)).first()
            if row is None:
                raise NotFound(f"operation {operation_id} not found", reason=Reason.OPERATION_NOT_FOUND)
            if row.state == RUNNING:
                raise FailedPrecondition(
                    f"operation {operation_id} is still running; cancel it first", reason=Reason.OPERATION_RUNNING
                )
            session.execute(update(_PAGES).where(_PAGES.c.operation_id == operation_id).values(operation_id=None))
            session.execute(delete(_OPS).where(_OPS.c.id == operation_id))

    # -- watching -------------------------------------------------------------

    @property
    def settle_seconds(self) -> float:
        """How long after its stamp a save is surely committed, so that no page stamped earlier appears later.

        PostgreSQL stamps a save while the statement runs, a moment before
        it commits, and concurrent saves may commit out of order; SQLite
        stamps under its one write lock, so its saves commit in stamp order.
        """
        return SETTLE_SECONDS if self._postgres else 0.0

    def finished_pages(self, document_id: uuid.UUID, after: dt.datetime | None) -> tuple[list[PageRecord], dt.datetime]:
        """The document's finished pages (completed or failed), processed after ``after`` if given, oldest first; and the database's time."""
        query = (
            select(*_LIGHT)
            .where(_PAGES.c.document_id == document_id, or_(_PAGES.c.status == COMPLETED, _PAGES.c.status == ERROR))
            .order_by(_PAGES.c.processed_at, _PAGES.c.page_number)
        )
        if after is not None:
            query = query.where(_PAGES.c.processed_at > after)
        with self._tx() as session:
            pages = [PageRecord(**dict(row)) for row in session.execute(query).mappings()]
            now = session.execute(select(func.clock_timestamp())).scalar_one() if self._postgres else self._clock()
            return pages, now

    def sheet_number_duplicates(self, document_id: uuid.UUID) -> list[str]:
        """Sheet numbers stored on more than one completed page of the document."""
        with self._tx() as session:
            rows = session.execute(
                select(_PAGES.c.sheet_number)
                .where(_PAGES.c.document_id == document_id, _PAGES.c.status == COMPLETED, _PAGES.c.sheet_number.is_not(None))
                .group_by(_PAGES.c.sheet_number)
                .having(func.count() > 1)
                .order_by(_PAGES.c.sheet_number)
            ).all()
            return [row[0] for row in rows]
