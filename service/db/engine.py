"""One SQLAlchemy engine and one sessionmaker per process, shared by every thread.

The engine is synchronous (psycopg2 for PostgreSQL). Each unit of work opens
its own ``with sessionmaker.begin() as session:`` and closes it; no session
outlives a function and no connection is held during storage I/O or OCR.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from planocr.config import Settings

# Async drivers the FastAPI app may be configured with, and their sync twins.
_SYNC_DRIVERS = {
    ("postgresql", "asyncpg"): "psycopg2",
    ("postgresql", "psycopg_async"): "psycopg2",
    ("postgresql", "psycopg"): "psycopg2",
    ("postgresql", None): "psycopg2",
    ("sqlite", "aiosqlite"): None,
}


def to_sync_url(url: str | URL) -> URL:
    """The URL with an async driver replaced by its sync equivalent (psycopg2, pysqlite).

    Parsed with ``make_url``, so passwords with special characters and query
    options survive untouched.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    driver = parsed.drivername.partition("+")[2] or None
    if (backend, driver) not in _SYNC_DRIVERS:
        return parsed
    new_driver = _SYNC_DRIVERS[(backend, driver)]
    parsed = parsed.set(drivername=f"{backend}+{new_driver}" if new_driver else backend)
    if driver == "asyncpg" and "ssl" in parsed.query:
        # asyncpg spells libpq's sslmode as ssl=require|verify-full|true.
        mode = parsed.query["ssl"]
        mode = "require" if mode in ("true", "True", "1") else mode
        parsed = parsed.difference_update_query(["ssl"]).update_query_dict({"sslmode": mode})
    return parsed


def create_db_engine(settings: Settings) -> Engine:
    url = to_sync_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings)
    connect_args = {}
    if url.get_backend_name() == "postgresql":
        connect_args = {"connect_timeout": 5, "application_name": "planocr"}
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args=connect_args,
    )


def _sqlite_engine(url: URL, settings: Settings) -> Engine:
    if url.database and url.database != ":memory:":
        from pathlib import Path

        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001 - DBAPI objects
        # pysqlite's own transaction handling defers BEGIN; we issue it ourselves (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # noqa: ANN001
        # IMMEDIATE takes the write lock up front: two writers wait for each
        # other (busy_timeout) instead of failing with "database is locked".
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
