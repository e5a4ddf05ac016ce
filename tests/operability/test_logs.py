"""Logs: one structured line per RPC with method, code, duration and ids; no page text, no secrets."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from sqlalchemy.engine import make_url

from planocr.client import InvalidArgument, NotFound, PlanocrClient, Unauthenticated
from planocr.logs import JsonFormatter, Masking, TextFormatter
from testkit.procserver import ServeProcess
from tests.conftest import make_settings
from tests.operability.conftest import PAGE_SECRET_WORDS
from tests.support.s3server import MotoServer

TOKEN = "tok-" + uuid.uuid4().hex
WRONG_TOKEN = "wrong-" + uuid.uuid4().hex
DB_PASSWORD = "db-pw-" + uuid.uuid4().hex[:12]


def formatted(records: list[logging.LogRecord]) -> list[str]:
    """Each record as the JSON and the text handler would print it."""
    json_fmt, text_fmt = JsonFormatter(), TextFormatter()
    return [f(r) for r in records for f in (json_fmt.format, text_fmt.format)]


def rpc_lines(records: list[logging.LogRecord]) -> list[dict]:
    return [json.loads(JsonFormatter().format(r)) for r in records if r.name == "planocr.rpc" and hasattr(r, "rpc_method")]


def test_one_line_per_rpc_with_ids_and_no_text_or_token(start_server, drawing_set, caplog):
    caplog.set_level(logging.DEBUG)
    running = start_server(auth_token=TOKEN)
    with PlanocrClient(running.address, token=TOKEN, retry=None) as client:
        document = client.upload(drawing_set, filename="A-sheets.pdf")
        events = list(client.process_document(document.document_id))
        page_id = events[1].page.page_id
        page = client.get_page(page_id)
        with pytest.raises(NotFound):
            client.get_page(str(uuid.uuid4()))
    assert PAGE_SECRET_WORDS in page.text + client_text(running, document.document_id)
    with PlanocrClient(running.address, token=WRONG_TOKEN, retry=None) as intruder, pytest.raises(Unauthenticated):
        intruder.get_page(page_id)

    lines = rpc_lines(caplog.records)
    by_method = {}
    for line in lines:
        by_method.setdefault(line["rpc_method"].rpartition("/")[2], []).append(line)
    assert len(by_method["CreateDocument"]) == 1 and by_method["CreateDocument"][0]["document_id"] == document.document_id
    assert len(by_method["ProcessDocument"]) == 1 and by_method["ProcessDocument"][0]["document_id"] == document.document_id
    get_pages = by_method["GetPage"]
    assert [(g["rpc_code"], g["page_id"]) for g in get_pages][:1] == [("OK", page_id)]
    assert [g["rpc_code"] for g in get_pages] == ["OK", "NOT_FOUND", "UNAUTHENTICATED"]
    assert [g.get("reason") for g in get_pages] == [None, "PAGE_NOT_FOUND", "UNAUTHENTICATED"]
    # Exactly one line per call: nothing else from the RPC logger.
    assert len(lines) == len([r for r in caplog.records if r.name == "planocr.rpc"]) == 5
    for line in lines:
        assert line["level"] in ("info", "debug") and isinstance(line["duration_ms"], float) and line["time"]

    for text in formatted(caplog.records):
        for word in PAGE_SECRET_WORDS.split():
            assert word not in text
        assert TOKEN not in text and WRONG_TOKEN not in text


def client_text(running, document_id: str) -> str:
    pages, _ = running.server.repository.list_pages(uuid.UUID(document_id), after=0, limit=10)
    return " ".join(p.ocr_text or "" for p in pages)


def test_startup_line_names_the_backends_without_secrets(start_server, tmp_path, pg_url, caplog):
    """The server's own records carry no secret even before the masking formatter sees them."""
    caplog.set_level(logging.DEBUG)
    url = make_url(pg_url)
    password = url.password or DB_PASSWORD
    database_url = url.set(password=password).render_as_string(hide_password=False)
    with MotoServer() as s3:
        settings = make_settings(
            tmp_path, database_url, storage_url=s3.url("planocr"), s3_access_key=s3.access_key,
            s3_secret_key=s3.secret_key, auth_token=TOKEN,
        )
        running = start_server(settings)
        running.server.stop(grace=0.5)
    started = [r for r in caplog.records if r.getMessage().startswith("planocr serving on port")]
    assert len(started) == 1
    assert started[0].database == make_url(database_url).render_as_string(hide_password=True)  # user:***@host
    assert started[0].storage.startswith("s3://planocr")
    assert started[0].auth is True
    for text in formatted(caplog.records):
        assert password not in text and s3.secret_key not in text and TOKEN not in text


def test_masking_formatter_hides_secrets_in_messages_and_tracebacks():
    secret = 'pa"ss\\word-1234'
    masking = Masking(JsonFormatter(), [secret])
    try:
        raise RuntimeError(f"connect failed for {secret}")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url %s", (f"postgresql://u:{secret}@h/db",), sys.exc_info())
    line = masking.format(record)
    assert "pa" + '\\"ss' not in line and secret not in line
    assert json.loads(line)["message"] == "url postgresql://u:***@h/db"
    assert "***" in json.loads(line)["traceback"]


@pytest.mark.postgres
def test_a_served_process_never_logs_its_secrets(tmp_path, pg_url, drawing_set):
    """`planocr serve` with a database password, an S3 secret and a token, at DEBUG: none of them in its logs."""
    url = make_url(pg_url)
    password = url.password or DB_PASSWORD
    database_url = url.set(password=password).render_as_string(hide_password=False)
    with MotoServer() as s3:
        env = {
            "PLANOCR_DATABASE_URL": database_url,
            "PLANOCR_MIGRATE_ON_START": "true",
            "PLANOCR_STORAGE_URL": s3.url("planocr"),
            "PLANOCR_S3_ACCESS_KEY": s3.access_key,
            "PLANOCR_S3_SECRET_KEY": s3.secret_key,
            "PLANOCR_AUTH_TOKEN": TOKEN,
            "PLANOCR_ENGINE": "null",
            "PLANOCR_DATA_DIR": str(tmp_path / "data"),
            "PLANOCR_LOG_LEVEL": "DEBUG",
            "PLANOCR_GRACE_SECONDS": "1",
        }
        with ServeProcess(env) as server:
            with PlanocrClient(server.address, token=TOKEN, retry=None) as client:
                document = client.upload(drawing_set, filename="A-sheets.pdf")
                list(client.process_document(document.document_id))
                with pytest.raises(NotFound):
                    client.get_document(str(uuid.uuid4()))
            with PlanocrClient(server.address, token=WRONG_TOKEN, retry=None) as intruder, pytest.raises(Unauthenticated):
                intruder.get_document(document.document_id)
        assert server.proc.returncode == 0
    records = server.records()  # every line is JSON
    assert any(r.get("rpc_method", "").endswith("/ProcessDocument") and r["rpc_code"] == "OK" for r in records)
    started = next(r for r in records if r["message"].startswith("planocr serving"))
    assert "***" in started["database"]
    log_text = "\n".join(server.lines)
    for secret in (password, s3.secret_key, TOKEN, WRONG_TOKEN, *PAGE_SECRET_WORDS.split()):
        assert secret not in log_text, secret


FORGED = "x\n2026-12-01 19:51:00,000 ERROR   planocr.server: FORGED LINE"
TRICKS = [FORGED, "y\r2026-12-01 19:51:01,000 ERROR   planocr.server: CARRIAGE", "z\x1b[2J\x1b[31mRED\u2028NEXT\x85\x7f"]


def test_ids_with_control_characters_cannot_forge_text_log_lines(tmp_path):
    """In the text format an id with a newline wrote a line that looked like a record of its own."""
    import re

    from testkit.procserver import ServerProcess

    log_path = tmp_path / "server.log"
    server = ServerProcess(
        {"PLANOCR_LISTEN": "127.0.0.1:0", "PLANOCR_DATA_DIR": str(tmp_path / "data"), "PLANOCR_ENGINE": "null"}, log_path
    )
    server.start()
    try:
        with PlanocrClient(server.address, retry=None) as client:
            for trick in TRICKS:
                with pytest.raises(InvalidArgument):
                    client.get_document(trick)
                with pytest.raises(InvalidArgument):
                    client.get_page(trick)
    finally:
        assert server.stop() == 0
    text = log_path.read_bytes().decode()
    record_start = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")
    lines = text.split("\n")
    assert not [line for line in lines if line.startswith("2026-12-01 19:51")]
    assert all(record_start.match(line) or line.startswith("    ") or not line for line in lines), "a line that is no record"
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", text), "a raw control character in the log"
    forged = [line for line in lines if "FORGED LINE" in line]
    assert len(forged) == 2 and all("GetDocument" in line or "GetPage" in line for line in forged)
    assert "document_id=x\\n2026-12-01 19:51:00,000 ERROR   planocr.server: FORGED LINE" in text


def test_ids_with_control_characters_stay_inside_their_json_record(tmp_path):
    env = {"PLANOCR_DATA_DIR": str(tmp_path / "data"), "PLANOCR_ENGINE": "null"}
    with ServeProcess(env) as server, PlanocrClient(server.address, retry=None) as client:
        for trick in TRICKS:
            with pytest.raises(InvalidArgument):
                client.get_document(trick)
    assert server.proc.returncode == 0
    records = server.records()  # every line is one JSON record
    ids = [r["document_id"] for r in records if r.get("rpc_method", "").endswith("/GetDocument")]
    assert ids == TRICKS
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for line in server.lines for c in line)


def test_text_and_json_formatters_escape_control_characters_in_messages_extras_and_tracebacks():
    try:
        raise ValueError("bad value\n2026-12-01 19:51:02,000 ERROR   planocr: FORGED TRACEBACK")
    except ValueError:
        import sys

        record = logging.LogRecord("planocr.rpc", logging.ERROR, __file__, 1, "id %s", (FORGED,), sys.exc_info())
    record.document_id = TRICKS[2]
    text = TextFormatter().format(record)
    head, *traceback_lines = text.split("\n")
    assert "FORGED LINE" in head and "\\n" in head and "\\x1b[2J" in head and "\\u2028" in head
    assert traceback_lines and all(line.startswith("    ") for line in traceback_lines)
    data = json.loads(JsonFormatter().format(record))
    assert data["message"] == f"id {FORGED}" and data["document_id"] == TRICKS[2]
    assert "\x7f" not in JsonFormatter().format(record)
