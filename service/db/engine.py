"""One SQLAlchemy engine and one sessionmaker per process, shared by every thread.

The engine is synchronous (psycopg2 for PostgreSQL). Each unit of work opens
its own ``with sessionmaker.begin() as session:`` (or, for the page job's
single statements, one connection) and closes it; no session outlives a
function and no connection is held during storage I/O or OCR.

A pooled PostgreSQL connection is checked before each use
(:func:`_checkout_check`): one that was used in the last
``PING_AFTER_IDLE`` seconds and whose socket is quiet is handed out as it is;
one whose socket shows data or end-of-file while idle (the server closed it:
a restart, a failover, a terminated backend), or that sat idle longer, is
pinged with ``SELECT 1`` first and replaced if the ping fails. The pool's own
pre-ping sent that ``SELECT 1`` on every checkout, a round trip that was a
tenth of a null-engine page job.
"""

from __future__ import annotations

import select
import time

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
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

#: A pooled connection idle longer than this (seconds) is pinged before use even when its socket is quiet:
#: that catches a connection a firewall or NAT dropped silently, which shows nothing on the socket.
PING_AFTER_IDLE = 10.0


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


def create_db_engine(settings: Settings, *, private: bool = False) -> Engine:
    """The process's engine for ``settings.resolved_database_url``.

    ``private``: the database is a throwaway SQLite file that only this
    process uses and deletes when it ends (``planocr ocr``), so its commits
    do not wait for the disk (``PRAGMA synchronous=OFF``): a crash loses a
    file that was going to be deleted anyway.
    """
    url = to_sync_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings, durable=not private)
    postgres = url.get_backend_name() == "postgresql"
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        # PostgreSQL connections are checked by _checkout_check instead.
        pool_pre_ping=not postgres,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5, "application_name": "planocr"} if postgres else {},
    )
    if postgres:
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _checkout_check(engine.dialect))
    return engine


def _note_checkin(_dbapi_connection, record) -> None:  # noqa: ANN001 - DBAPI objects
    record.info["idle_since"] = time.monotonic()


def _checkout_check(dialect):  # noqa: ANN001, ANN202 - a pool event listener
    """The pool's checkout listener: hand out a connection only if it is alive, pinging it only when in doubt.

    Raising DisconnectionError makes the pool replace the connection (with
    ``InvalidatePoolError``, every connection opened before it too, as after
    a database restart) and check the new one.
    """

    def check(dbapi_connection, record, _proxy) -> None:  # noqa: ANN001 - DBAPI objects
        idle_since = record.info.get("idle_since")
        if idle_since is None:
            return  # connected for this checkout
        if time.monotonic() - idle_since < PING_AFTER_IDLE and not _socket_readable(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            raise sa_exc.InvalidatePoolError(f"connection failed its ping: {exc}") from exc

    return check


def _socket_readable(dbapi_connection) -> bool:  # noqa: ANN001
    """True when an idle connection's socket has something to read: the server sent an error or closed it.

    Between calls the server sends nothing on a healthy connection, so
    anything there (end-of-file, a FATAL "terminating connection" message)
    means it is gone or going.
    """
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return True  # no usable socket: let the ping decide


def _sqlite_engine(url: URL, settings: Settings, durable: bool = True) -> Engine:
    if url.database and url.database != ":memory:":
        from pathlib import Path

        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        # A local file: there is no server that could have closed the connection.
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001 - DBAPI objects
        # pysqlite's own transaction handling defers BEGIN; we issue it ourselves (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Before the switch to WAL, which itself waits for the disk unless synchronous is OFF.
        cursor.execute(f"PRAGMA synchronous={'NORMAL' if durable else 'OFF'}")
        cursor.execute("PRAGMA journal_mode=WAL")
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
