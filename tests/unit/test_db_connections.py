"""Pooled PostgreSQL connections: checked before use without a round trip, and the page job's single statements."""

from __future__ import annotations

import time
import uuid

import psycopg2
import pytest
from sqlalchemy import text

from planocr.config import Settings
from planocr.db import engine as db_engine
from planocr.db import migrate
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.repository import NewPage, PageResult, Repository

pytestmark = pytest.mark.postgres

RESULT = PageResult("t", {"blocks": []}, "A-1", "T", "NTS", "null", "ocr", 0, 5)


@pytest.fixture
def one_connection(pg_url, tmp_path):
    """An engine whose pool holds a single connection, so every call reuses it."""
    settings = Settings(data_dir=tmp_path, database_url=pg_url, db_pool_timeout=2)
    # Smaller than a server may run with (model_copy skips that check): one connection, reused by every call.
    engine = create_db_engine(settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0}))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(one_connection, monkeypatch):
    """Counts the SELECT 1 pings the pool sends (the dialect's own ping, still sent)."""
    sent = []
    ping = one_connection.dialect.do_ping

    def counting(dbapi_connection):
        sent.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(one_connection.dialect, "do_ping", counting)
    return sent


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(url: str, pid: int) -> None:
    admin = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://", 1))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert cursor.fetchone()[0]
        # pg_terminate_backend only signals the backend; wait until it has gone (and closed its socket).
        for _ in range(500):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.01)
        else:
            raise AssertionError(f"backend {pid} did not exit")
    admin.close()


def _page(repo: Repository) -> uuid.UUID:
    document_id = uuid.uuid4()
    repo.create_document(
        document_id=document_id, filename="a.png", content_type="image/png", source_key="k", size_bytes=1,
        sha256="", request_id=None, pages=[NewPage(1, "k", 10, 10)],
    )
    return repo.list_pages(document_id, after=0, limit=1)[0][0].id


def test_a_connection_used_moments_ago_is_handed_out_without_a_ping(one_connection, pings):
    first = _backend_pid(one_connection)
    for _ in range(5):
        assert _backend_pid(one_connection) == first
    assert pings == []


def test_a_connection_the_server_closed_is_replaced_before_use(one_connection, pings, pg_url):
    old = _backend_pid(one_connection)
    _terminate(pg_url, old)
    # The server closed it while it sat in the pool: its socket shows it, so it is
    # pinged, the ping fails and a new connection answers; the caller sees no error.
    new = _backend_pid(one_connection)
    assert new != old
    assert len(pings) == 1


def test_a_connection_idle_past_the_limit_is_pinged(one_connection, pings, monkeypatch):
    _backend_pid(one_connection)
    monkeypatch.setattr(db_engine, "PING_AFTER_IDLE", 0.0)
    _backend_pid(one_connection)
    assert len(pings) == 1


def test_a_claim_commits_asynchronously_without_leaving_the_connection_so(one_connection):
    repo = Repository(create_sessionmaker(one_connection))
    page_id = _page(repo)
    assert repo.claim_page(page_id, "w", 30).claimed
    with one_connection.connect() as connection:
        # Same pooled connection: autocommit and synchronous_commit are back to their defaults,
        # so the save that follows is a durable commit inside the usual transaction handling.
        assert connection.connection.dbapi_connection.autocommit is False
        assert connection.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
    assert repo.complete_page(page_id, "w", RESULT).status == "completed"


def test_a_session_transaction_after_a_single_statement_still_rolls_back(one_connection):
    repo = Repository(create_sessionmaker(one_connection))
    page_id = _page(repo)
    assert repo.claim_page(page_id, "w", 30).claimed
    sessions = create_sessionmaker(one_connection)
    with pytest.raises(RuntimeError), sessions.begin() as session:
        session.execute(text("UPDATE pages SET title = 'not kept' WHERE id = :id"), {"id": page_id})
        raise RuntimeError("abandon the transaction")
    assert repo.get_page(page_id).title is None
