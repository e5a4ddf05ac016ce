"""All database access: short transactions that return plain records.

Every method opens its own ``with self._sessions.begin()`` block, does one
small unit of work and returns detached dataclasses, so no caller ever holds
a connection while it fetches images or runs OCR.

Page claims are a single conditional UPDATE: the database decides who wins,
so two threads, two requests or two replicas never read the same page at
once, and a claim whose lease has expired (its worker died) can be taken over.

The page job's own statements (claim, save, fail, release, lease extension)
are each one statement that is its own transaction: on PostgreSQL it is sent
alone in autocommit mode, one round trip instead of BEGIN, the statement and
COMMIT, without an ORM session. A single UPDATE is atomic by itself, so the
claim and the lease check of the save hold exactly as inside a transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    Result,
    Table,
    bindparam,
    delete,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from planocr.core.records import COMPLETED, ERROR, PENDING, PROCESSING
from planocr.db.models import Document, Page, UploadClaim, as_utc, utcnow
from planocr.errors import (
    Aborted,
    InvalidArgument,
    NotFound,
    PlanocrError,
    Reason,
    ResourceExhausted,
    Unavailable,
    quote,
)


@dataclass(slots=True)
class DocumentRecord:
    id: uuid.UUID
    filename: str
    content_type: str
    source_key: str
    page_count: int
    size_bytes: int
    sha256: str
    request_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class PageRecord:
    id: uuid.UUID
    document_id: uuid.UUID
    page_number: int
    image_key: str
    width: int
    height: int
    status: str
    dpi: int | None = None
    text_layer_key: str | None = None
    ocr_text: str | None = None
    ocr_blocks: dict[str, Any] | None = None
    sheet_number: str | None = None
    title: str | None = None
    scale_text: str | None = None
    processing_error: str | None = None
    engine: str | None = None
    text_source: str | None = None
    rotation: int = 0
    lease_owner: str | None = None
    lease_expires_at: dt.datetime | None = None
    attempts: int = 0
    processed_at: dt.datetime | None = None
    processing_ms: int | None = None
    error_code: str | None = None
    error_reason: str | None = None
    operation_id: uuid.UUID | None = None
    wanted: bool = False


@dataclass(slots=True)
class NewPage:
    """A page to create with its document."""

    page_number: int
    image_key: str
    width: int
    height: int
    dpi: int | None = None
    text_layer_key: str | None = None


@dataclass(slots=True)
class UploadClaimRecord:
    """An upload in progress: who holds its objects under ``prefix`` and until when."""

    id: uuid.UUID
    prefix: str
    owner: str
    expires_at: dt.datetime

    def expired(self, now: dt.datetime) -> bool:
        return as_utc(self.expires_at) < now


@dataclass(slots=True)
class PageResult:
    """What processing produced for a page, ready to store."""

    ocr_text: str
    ocr_blocks: dict[str, Any]
    sheet_number: str | None
    title: str | None
    scale_text: str | None
    engine: str
    text_source: str
    rotation: int
    processing_ms: int


@dataclass(slots=True)
class Claim:
    """The answer to a claim attempt: ``claimed`` is True when this worker holds the lease."""

    claimed: bool
    page: PageRecord


_PAGE_COLUMNS = [c.key for c in Page.__table__.columns]
# Claims and saves are Core UPDATE ... RETURNING on the table: one statement,
# no ORM identity map, instead of an UPDATE and a SELECT through the ORM.
_PAGES = cast(Table, Page.__table__)


def _rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE run through a session changed (its result is a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount


def _page_record(row: Page) -> PageRecord:
    return PageRecord(**{name: getattr(row, name) for name in PageRecord.__slots__})


def _asynchronous(statement):
    """``statement`` (an UPDATE on pages), committing without waiting for the WAL flush on PostgreSQL.

    ``... WHERE ... AND set_config('synchronous_commit', 'off', true) = 'off'``
    turns the setting off for the statement's own transaction (in autocommit
    mode, the statement itself) as it updates the row. A statement that
    updates nothing writes nothing, so it does not matter whether it ran.
    """
    return statement.where(func.set_config("synchronous_commit", "off", True) == literal_column("'off'"))


def _claim_statement(force: bool):
    status = _PAGES.c.status
    # Comparisons, not status IN (...): an IN list is an "expanding" parameter rewritten into the SQL on every call.
    claimable = [status == PENDING, status == ERROR, (status == PROCESSING) & (_PAGES.c.lease_expires_at < bindparam("p_now"))]
    if force:
        claimable.append(status == COMPLETED)
    return (
        update(_PAGES)
        .where(_PAGES.c.id == bindparam("p_id"), or_(*claimable))
        .values(
            status=PROCESSING,
            lease_owner=bindparam("p_owner"),
            lease_expires_at=bindparam("p_expires"),
            attempts=_PAGES.c.attempts + 1,
            updated_at=bindparam("p_now"),
        )
        .returning(*_PAGES.c)
    )


def _held(statement):
    """``statement`` restricted to the page ``p_id`` while ``p_owner`` holds its lease."""
    return statement.where(
        _PAGES.c.id == bindparam("p_id"), _PAGES.c.lease_owner == bindparam("p_owner"), _PAGES.c.status == PROCESSING
    )


def _finish_statement(**values: Any):
    """Store a page's end state if the given owner still holds its lease; no background operation waits for it any more."""
    return _held(update(_PAGES)).values(
        lease_owner=None, lease_expires_at=None, processed_at=bindparam("p_now"), updated_at=bindparam("p_now"), wanted=False, **values
    ).returning(*_PAGES.c)


# The PageResult fields, each stored in the column of the same name.
_RESULT_COLUMNS = ("ocr_text", "ocr_blocks", "sheet_number", "title", "scale_text", "engine", "text_source", "rotation", "processing_ms")
# The page job's statements are built once: building an UPDATE with twenty
# values cost more CPU per page than everything else the service does.
_CLAIM = {force: _claim_statement(force) for force in (False, True)}
_EXTEND = _held(update(_PAGES)).values(lease_expires_at=bindparam("p_expires"))
_RELEASE = _held(update(_PAGES)).values(status=PENDING, lease_owner=None, lease_expires_at=None, updated_at=bindparam("p_now"))
_GET_PAGE = select(_PAGES).where(_PAGES.c.id == bindparam("p_id"))
_RELEASE_OWNER = (
    update(_PAGES)
    .where(_PAGES.c.lease_owner == bindparam("p_owner"), _PAGES.c.status == PROCESSING)
    .values(status=PENDING, lease_owner=None, lease_expires_at=None, updated_at=bindparam("p_now"))
)
_COMPLETE = _finish_statement(
    status=COMPLETED,
    **{name: bindparam(f"p_{name}", type_=_PAGES.c[name].type) for name in _RESULT_COLUMNS},
    processing_error=None,
    error_code=None,
    error_reason=None,
)
_FAIL = _finish_statement(
    status=ERROR,
    **{name: bindparam(f"p_{name}", type_=_PAGES.c[name].type) for name in ("processing_error", "error_code", "error_reason", "processing_ms")},
)


# The same saves stamped with the database's clock (PostgreSQL's clock_timestamp(), not the transaction's start).
_COMPLETE_PG = _COMPLETE.values(processed_at=func.clock_timestamp())
_FAIL_PG = _FAIL.values(processed_at=func.clock_timestamp())


def _returned_record(row: Any) -> PageRecord:
    """A PageRecord from a row returned by ``UPDATE ... RETURNING`` on the pages table."""
    return PageRecord(**{name: row[name] for name in PageRecord.__slots__})


def _document_record(row: Document, counts: dict[str, int] | None = None) -> DocumentRecord:
    return DocumentRecord(
        id=row.id,
        filename=row.filename,
        content_type=row.content_type,
        source_key=row.source_key,
        page_count=row.page_count,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        request_id=row.request_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        counts=counts or {},
    )


def parse_id(value: str, what: str = "id") -> uuid.UUID:
    """A UUID from a caller's string, or INVALID_ARGUMENT."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument(f"{what} {quote(value)} is not a valid UUID", reason=Reason.INVALID_ID) from None


@contextmanager
def database_errors() -> Iterator[None]:
    """Map driver and pool failures to domain errors a caller can act on."""
    try:
        yield
    except PlanocrError:
        raise
    except sa_exc.TimeoutError as exc:
        raise ResourceExhausted(
            "all database connections are busy; try again shortly", reason=Reason.DATABASE_BUSY
        ) from exc
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError) as exc:
        raise Unavailable("the database is unavailable", reason=Reason.DATABASE_UNAVAILABLE) from exc


class Repository:
    """Documents and pages, over one shared sessionmaker."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], dt.datetime] = utcnow):
        self._sessions = sessions
        self._clock = clock
        self._engine: Engine = sessions.kw["bind"]
        self._postgres = self._engine.dialect.name == "postgresql"
        # Claims, lease extensions and releases commit asynchronously on PostgreSQL (see claim_page).
        lazy = _asynchronous if self._postgres else (lambda statement: statement)
        self._claim = {force: lazy(statement) for force, statement in _CLAIM.items()}
        self._extend, self._release = lazy(_EXTEND), lazy(_RELEASE)
        # On PostgreSQL a save is stamped by the database's clock, so replicas whose clocks differ
        # still stamp in the order the database saw (SQLite has one writer at a time, and one process).
        self._complete, self._fail = (_COMPLETE_PG, _FAIL_PG) if self._postgres else (_COMPLETE, _FAIL)

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self._sessions

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with database_errors(), self._sessions.begin() as session:
            yield session

    @contextmanager
    def _statement(self) -> Iterator[Connection]:
        """A connection for one statement that is its own transaction, committed when the block ends.

        PostgreSQL runs it in autocommit mode (one round trip); SQLite inside
        BEGIN IMMEDIATE ... COMMIT (see planocr.db.engine).

        Autocommit is switched on the psycopg2 connection itself, not with
        SQLAlchemy's ``isolation_level="AUTOCOMMIT"``: resetting that on
        return pins the connection to an explicit isolation level, after
        which psycopg2 sends two SET statements for every switch.
        """
        with database_errors():
            if not self._postgres:
                with self._engine.begin() as connection:
                    yield connection
                return
            with self._engine.connect() as connection:
                dbapi_connection: Any = connection.connection.dbapi_connection  # psycopg2's connection
                dbapi_connection.autocommit = True
                try:
                    yield connection
                finally:
                    if not dbapi_connection.closed:
                        dbapi_connection.autocommit = False

    # -- health -------------------------------------------------------------

    def ping(self) -> None:
        with self._tx() as session:
            session.execute(select(1))

    # -- documents ----------------------------------------------------------

    def find_document_by_request_id(self, request_id: str) -> DocumentRecord | None:
        with self._tx() as session:
            row = session.scalars(select(Document).where(Document.request_id == request_id)).first()
            return self._with_counts(session, row) if row else None

    def create_document(
        self,
        *,
        document_id: uuid.UUID,
        filename: str,
        content_type: str,
        source_key: str,
        size_bytes: int,
        sha256: str,
        request_id: str | None,
        pages: Sequence[NewPage],
        claim_owner: str | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> DocumentRecord:
        """Insert the document and all its pages in one transaction.

        Raises ``sa_exc.IntegrityError`` (unwrapped) when ``request_id`` is
        taken, so the caller can return the earlier document instead.

        ``claim_owner``: the upload's claim on its objects (``claim_upload``
        with the document's id) is deleted in the same transaction, so the
        objects pass from the claim to the document at once. ABORTED /
        UPLOAD_EXPIRED when the claim is no longer this owner's (the sweeper
        took it after it expired); nothing is inserted then.

        ``before_commit`` runs after every row is written and before the
        commit; whatever it raises rolls the whole document back.
        """
        now = self._clock()
        with database_errors(), self._sessions.begin() as session:
            if claim_owner is not None:
                released = _rowcount(session.execute(
                    delete(UploadClaim).where(UploadClaim.id == document_id, UploadClaim.owner == claim_owner)
                ))
                if released != 1:
                    raise Aborted(
                        "the upload was held up so long that its stored pages were cleared away; send it again",
                        reason=Reason.UPLOAD_EXPIRED,
                    )
            document = Document(
                id=document_id,
                filename=filename,
                content_type=content_type,
                source_key=source_key,
                page_count=len(pages),
                size_bytes=size_bytes,
                sha256=sha256,
                request_id=request_id or None,
                created_at=now,
                updated_at=now,
            )
            session.add(document)
            session.flush()
            session.add_all(
                Page(
                    id=uuid.uuid4(),
                    document_id=document_id,
                    page_number=page.page_number,
                    image_key=page.image_key,
                    width=page.width,
                    height=page.height,
                    dpi=page.dpi,
                    text_layer_key=page.text_layer_key,
                    status=PENDING,
                    created_at=now,
                    updated_at=now,
                )
                for page in pages
            )
            session.flush()
            if before_commit is not None:
                before_commit()
            return _document_record(document, {PENDING: len(pages)})

    # -- upload claims --------------------------------------------------------

    def claim_upload(self, upload_id: uuid.UUID, prefix: str, owner: str, lease_seconds: float) -> None:
        """Record that an upload is about to write objects under ``prefix``; committed before the first one is."""
        now = self._clock()
        with self._tx() as session:
            session.add(
                UploadClaim(id=upload_id, prefix=prefix, owner=owner, created_at=now, expires_at=now + dt.timedelta(seconds=lease_seconds))
            )

    def renew_upload_claims(self, owner: str, upload_ids: Sequence[uuid.UUID], lease_seconds: float) -> int:
        """Extend the claims of the uploads ``owner`` is running (one statement for all of them)."""
        expires = self._clock() + dt.timedelta(seconds=lease_seconds)
        with self._tx() as session:
            return _rowcount(session.execute(
                update(UploadClaim)
                .where(UploadClaim.owner == owner, UploadClaim.id.in_(list(upload_ids)))
                .values(expires_at=expires)
            ))

    def expire_upload_claims(self, owner: str) -> int:
        """Let the sweeper take ``owner``'s claims now (a process that is about to exit)."""
        with self._tx() as session:
            return _rowcount(session.execute(update(UploadClaim).where(UploadClaim.owner == owner).values(expires_at=self._clock())))

    def upload_claims(self) -> list[UploadClaimRecord]:
        """Every claim of an upload in progress or abandoned (a few rows: finished uploads leave none)."""
        with self._tx() as session:
            rows = session.execute(select(UploadClaim.id, UploadClaim.prefix, UploadClaim.owner, UploadClaim.expires_at)).all()
            return [UploadClaimRecord(*row) for row in rows]

    def take_upload_claim(self, claim: UploadClaimRecord, owner: str, lease_seconds: float, *, only_if_expired: bool) -> bool:
        """Move ``claim`` to ``owner`` if it still has the owner it was read with (and, if asked, is still expired).

        The sweeper takes a claim before it deletes the objects, so the
        upload that held it can no longer commit its document
        (``create_document`` checks the owner).
        """
        now = self._clock()
        condition = [UploadClaim.id == claim.id, UploadClaim.owner == claim.owner]
        if only_if_expired:
            condition.append(UploadClaim.expires_at < now)
        with self._tx() as session:
            taken = _rowcount(session.execute(
                update(UploadClaim).where(*condition).values(owner=owner, expires_at=now + dt.timedelta(seconds=lease_seconds))
            ))
            return taken == 1

    def drop_upload_claim(self, upload_id: uuid.UUID, owner: str) -> bool:
        """Delete a claim ``owner`` holds, once its objects are gone."""
        with self._tx() as session:
            dropped = _rowcount(session.execute(delete(UploadClaim).where(UploadClaim.id == upload_id, UploadClaim.owner == owner)))
            return dropped == 1

    def get_document(self, document_id: uuid.UUID) -> DocumentRecord:
        with self._tx() as session:
            row = session.get(Document, document_id)
            if row is None:
                raise NotFound(f"document {document_id} not found", reason=Reason.DOCUMENT_NOT_FOUND)
            return self._with_counts(session, row)

    def _with_counts(self, session: Session, row: Document) -> DocumentRecord:
        counts = dict(
            session.execute(
                select(Page.status, func.count()).where(Page.document_id == row.id).group_by(Page.status)
            ).all()
        )
        return _document_record(row, counts)

    # -- pages --------------------------------------------------------------

    def get_page(self, page_id: uuid.UUID) -> PageRecord:
        with self._tx() as session:
            row = session.get(Page, page_id)
            if row is None:
                raise NotFound(f"page {page_id} not found", reason=Reason.PAGE_NOT_FOUND)
            return _page_record(row)

    def list_pages(self, document_id: uuid.UUID, *, after: int, limit: int) -> tuple[list[PageRecord], int]:
        """Pages with page_number > ``after`` in order, at most ``limit``, and the document's page total."""
        with self._tx() as session:
            document = session.get(Document, document_id)
            if document is None:
                raise NotFound(f"document {document_id} not found", reason=Reason.DOCUMENT_NOT_FOUND)
            rows = session.scalars(
                select(Page)
                .where(Page.document_id == document_id, Page.page_number > after)
                .order_by(Page.page_number)
                .limit(limit)
            ).all()
            return [_page_record(r) for r in rows], document.page_count

    def page_states(self, document_id: uuid.UUID) -> list[PageRecord]:
        """Every page of a document without the heavy OCR columns, in page order."""
        light = [Page.__table__.c[name] for name in _PAGE_COLUMNS if name not in ("ocr_text", "ocr_blocks")]
        with self._tx() as session:
            if session.get(Document, document_id) is None:
                raise NotFound(f"document {document_id} not found", reason=Reason.DOCUMENT_NOT_FOUND)
            rows = session.execute(
                select(*light).where(Page.document_id == document_id).order_by(Page.page_number)
            ).mappings()
            return [PageRecord(**{k: v for k, v in row.items() if k in PageRecord.__slots__}) for row in rows]

    def pages_with_results(self, page_ids: Sequence[uuid.UUID]) -> list[PageRecord]:
        with self._tx() as session:
            rows = session.scalars(select(Page).where(Page.id.in_(list(page_ids))).order_by(Page.page_number)).all()
            return [_page_record(r) for r in rows]

    # -- claims -------------------------------------------------------------

    def claim_page(self, page_id: uuid.UUID, owner: str, lease_seconds: float, *, force: bool = False) -> Claim:
        """Take the lease on a page if it is claimable.

        Claimable: pending, failed, processing with an expired lease, and
        completed when ``force`` is set. Otherwise the page is returned
        unclaimed as it stands (completed, or leased by another worker).

        On PostgreSQL claims, lease extensions and releases commit
        asynchronously (``synchronous_commit off``): a database crash may
        forget the last moments of them, never corrupt anything. A forgotten
        claim only means the page is read again, and the save's lease check
        still keeps each page to one worker at a time. Results and failures
        are saved with durable commits, so a page reported completed stays
        completed. Waiting for the WAL flush was the largest cost of a page
        job with a fast engine (docs/benchmarks.md).
        """
        now = self._clock()
        params = {"p_id": page_id, "p_owner": owner, "p_now": now, "p_expires": now + dt.timedelta(seconds=lease_seconds)}
        with self._statement() as connection:
            claimed = connection.execute(self._claim[force], params).mappings().first()
        if claimed is not None:
            return Claim(claimed=True, page=_returned_record(claimed))
        # Not claimable: the page as it stands now, read by a statement of its own.
        with self._statement() as connection:
            row = connection.execute(_GET_PAGE, {"p_id": page_id}).mappings().first()
        if row is None:
            raise NotFound(f"page {page_id} not found", reason=Reason.PAGE_NOT_FOUND)
        return Claim(claimed=False, page=_returned_record(row))

    def extend_lease(self, page_id: uuid.UUID, owner: str, lease_seconds: float) -> bool:
        params = {"p_id": page_id, "p_owner": owner, "p_expires": self._clock() + dt.timedelta(seconds=lease_seconds)}
        with self._statement() as connection:
            return connection.execute(self._extend, params).rowcount == 1

    def complete_page(self, page_id: uuid.UUID, owner: str, result: PageResult) -> PageRecord | None:
        """Store a page's result if ``owner`` still holds its lease; None when the lease was lost.

        ``processed_at`` is the time of the save as the database orders
        saves (see :meth:`_finished`), which is what WatchDocument's
        ``since`` relies on.
        """
        params = {f"p_{name}": getattr(result, name) for name in _RESULT_COLUMNS}
        params.update(p_id=page_id, p_owner=owner)
        with self._statement() as connection:
            params["p_now"] = self._clock()  # inside: on SQLite, after the write lock is taken
            updated = connection.execute(self._complete, params).mappings().first()
        return None if updated is None else _returned_record(updated)

    def fail_page(self, page_id: uuid.UUID, owner: str, error: PlanocrError, processing_ms: int | None = None) -> PageRecord | None:
        """Mark a page ``error`` with a readable message, if ``owner`` still holds its lease."""
        params = {
            "p_id": page_id,
            "p_owner": owner,
            "p_processing_error": error.message,
            "p_error_code": error.code.name,
            "p_error_reason": str(error.reason),
            "p_processing_ms": processing_ms,
        }
        with self._statement() as connection:
            params["p_now"] = self._clock()  # inside: on SQLite, after the write lock is taken
            updated = connection.execute(self._fail, params).mappings().first()
        return None if updated is None else _returned_record(updated)

    def release_page(self, page_id: uuid.UUID, owner: str) -> bool:
        """Give a claimed page back (``pending``) without a result, e.g. on cancellation or shutdown."""
        params = {"p_id": page_id, "p_owner": owner, "p_now": self._clock()}
        with self._statement() as connection:
            return connection.execute(self._release, params).rowcount == 1

    def release_owner(self, owner: str) -> int:
        """Give back every page this process still holds (graceful shutdown)."""
        with self._statement() as connection:
            return connection.execute(_RELEASE_OWNER, {"p_owner": owner, "p_now": self._clock()}).rowcount

    def update_fields(self, page_id: uuid.UUID, *, sheet_number: str | None, title: str | None, scale_text: str | None, ocr_blocks: dict[str, Any]) -> None:
        """Rewrite a completed page's fields (document-level refinement)."""
        with self._tx() as session:
            session.execute(
                update(Page)
                .where(Page.id == page_id, Page.status == COMPLETED)
                .values(sheet_number=sheet_number, title=title, scale_text=scale_text, ocr_blocks=ocr_blocks, updated_at=self._clock())
            )
