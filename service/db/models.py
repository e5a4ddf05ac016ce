"""The ``documents`` and ``pages`` tables.

Column names and the ``ocr_blocks`` JSON keys (``blocks``, ``detected_scales``,
``detected_sheet_numbers``, ``detected_titles``, ``title_block``) are what the
existing FastAPI app reads; keep them. Columns after the comment "service's
own" are planocr's bookkeeping, and so is the ``upload_claims`` table, which
the app need not read, and so is the ``operations`` table (background
work). Schema changes go through Alembic migrations
(``planocr/db/migrations``), never ``create_all``; the one exception is a new
database private to one process (``migrate.create_schema``), which is why the
models also carry the migrations' server defaults.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from planocr.core.records import PENDING


class JSONType(TypeDecorator):
    """JSON, stored as JSONB on PostgreSQL (what the migrations create).

    The PostgreSQL dialect is imported only when a PostgreSQL database is
    used: importing it for ``JSONB`` alone cost a SQLite process (``planocr
    ocr``) a tenth of its start-up imports.
    """

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):  # noqa: ANN001, ANN201 - SQLAlchemy's signature
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())



def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time as aware UTC: SQLite gives back naive UTC, PostgreSQL aware times."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    pass


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    filename: Mapped[str] = mapped_column(String(512))
    content_type: Mapped[str] = mapped_column(String(128))
    source_key: Mapped[str] = mapped_column(String(1024))
    page_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # service's own
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")
    request_id: Mapped[str | None] = mapped_column(String(256), unique=True)


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (
        UniqueConstraint("document_id", "page_number", name="uq_pages_document_page"),
        Index("ix_pages_document_status", "document_id", "status"),
        Index("ix_pages_operation", "operation_id", "wanted", "page_number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("documents.id", ondelete="CASCADE"))
    page_number: Mapped[int] = mapped_column(Integer)
    image_key: Mapped[str] = mapped_column(String(1024))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=PENDING, server_default=PENDING)
    ocr_text: Mapped[str | None] = mapped_column(Text)
    ocr_blocks: Mapped[dict | None] = mapped_column(JSONType())
    sheet_number: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str | None] = mapped_column(String(512))
    scale_text: Mapped[str | None] = mapped_column(String(128))
    processing_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # service's own
    dpi: Mapped[int | None] = mapped_column(Integer)
    text_layer_key: Mapped[str | None] = mapped_column(String(1024))
    engine: Mapped[str | None] = mapped_column(String(64))
    text_source: Mapped[str | None] = mapped_column(String(32))
    rotation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    processing_ms: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_reason: Mapped[str | None] = mapped_column(String(64))
    # The background operation that last asked for the page, and whether it still waits for it:
    # ``wanted`` is set when the operation starts and cleared when the page is saved, by whoever reads it.
    operation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("operations.id", ondelete="SET NULL"))
    wanted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


#: ``operations.state``
RUNNING, DONE, CANCELLED = "running", "done", "cancelled"


class Operation(Base):
    """A document read in the background (StartDocument), whoever reads its pages.

    Its pages carry ``operation_id`` and ``wanted``; the operation is done
    when none of them is wanted any more. Replicas take turns between
    running operations by ``served_at`` (the last time one of its pages was
    claimed), higher ``priority`` first. At most one operation per document
    runs at a time (a partial unique index).
    """

    __tablename__ = "operations"
    __table_args__ = (
        Index(
            "uq_operations_running_document",
            "document_id",
            unique=True,
            postgresql_where=text("state = 'running'"),
            sqlite_where=text("state = 'running'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str | None] = mapped_column(String(256), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=RUNNING, server_default=RUNNING)
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    force: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    engine: Mapped[str | None] = mapped_column(String(64))
    text_source: Mapped[str | None] = mapped_column(String(32))
    total_pages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    to_process: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The outcome, written when the operation ends: completed, failed, duplicate_sheet_numbers.
    summary: Mapped[dict | None] = mapped_column(JSONType())
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    served_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class UploadClaim(Base):
    """An upload in progress and the objects it has written (``documents/<id>/``), which no document row owns yet.

    The claim is committed before the upload writes its first object and is
    deleted in the transaction that inserts the document, so every object
    under the prefix is owned by one row or the other at every moment. Its
    owner renews ``expires_at`` while the upload runs; a claim whose owner
    stopped renewing it (the process died, or was stopped) is taken by the
    sweeper, which deletes the objects and then the claim.
    """

    __tablename__ = "upload_claims"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(1024))
    owner: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
