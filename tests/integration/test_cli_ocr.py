"""`planocr ocr`: the whole path from the command line, in one-shot mode and against a server."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest

from planocr.config import Settings
from planocr.db import migrate
from planocr.db.engine import create_db_engine
from testkit.drawing import sheet
from tests.conftest import make_settings
from tests.support.pdfs import text_pdf
from tests.support.schema import schema_of

ROOT = Path(__file__).resolve().parents[2]

PAGE = {
    "type": "object",
    "required": ["page_number", "page_id", "state", "sheet_number", "title", "scale", "text", "text_source", "engine", "error"],
    "properties": {
        "page_number": {"type": "integer", "minimum": 1},
        "page_id": {"type": "string", "minLength": 36},
        "state": {"enum": ["completed", "failed", "pending", "processing"]},
        "sheet_number": {"type": "string"},
        "title": {"type": "string"},
        "scale": {"type": "string"},
        "text": {"type": "string"},
        "text_source": {"enum": ["ocr", "text-layer", ""]},
        "engine": {"type": "string"},
        "error": {"type": ["string", "null"]},
    },
}
SCHEMA = {
    "type": "object",
    "required": ["documents"],
    "additionalProperties": False,
    "properties": {
        "documents": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["file", "document_id", "pages"],
                "properties": {"file": {"type": "string"}, "document_id": {"type": "string"}, "pages": {"type": "array", "items": PAGE}},
            },
        }
    },
}


def planocr(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planocr.cli", *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture
def files(tmp_path):
    pdf = tmp_path / "set.pdf"
    pdf.write_bytes(text_pdf([["GENERAL NOTES SHEET"], ["SECOND SHEET"]]))
    png = tmp_path / "sheet.png"
    png.write_bytes(sheet("A-101", "FIRST FLOOR PLAN"))
    return pdf, png


def test_one_shot_json(files, tmp_path):
    pdf, png = files
    result = planocr("ocr", "--json", "--quiet", str(pdf), str(png))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # exactly one JSON object and nothing else
    jsonschema.validate(data, SCHEMA)
    first, second = data["documents"]
    assert [p["page_number"] for p in first["pages"]] == [1, 2]
    assert "GENERAL NOTES SHEET" in first["pages"][0]["text"]
    assert first["pages"][0]["text_source"] == "text-layer"
    assert second["pages"][0]["text_source"] == "ocr" and second["pages"][0]["engine"] == "tesseract"
    assert second["pages"][0]["sheet_number"] == "A-101"
    assert all(p["state"] == "completed" and p["error"] is None for d in data["documents"] for p in d["pages"])


def test_table_and_exit_codes(files, tmp_path):
    pdf, png = files
    table = planocr("ocr", "--quiet", str(png))
    assert table.returncode == 0 and "A-101" in table.stdout and "FIRST FLOOR PLAN" in table.stdout
    missing = planocr("ocr", str(tmp_path / "nope.pdf"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    garbage = tmp_path / "bad.pdf"
    garbage.write_bytes(b"%PDF-1.7 not really")
    bad = planocr("ocr", "--json", "--quiet", str(garbage))
    assert bad.returncode == 2
    assert "PDF" in json.loads(bad.stdout)["documents"][0]["error"]
    # A raster page cannot be read from a text layer: the page fails, exit 1.
    failed = planocr("ocr", "--json", "--quiet", "--text-source", "text-layer", str(png))
    assert failed.returncode == 1
    page = json.loads(failed.stdout)["documents"][0]["pages"][0]
    assert page["state"] == "failed" and "text layer" in page["error"]


def test_against_a_running_server(start_server, files, tmp_path):
    pdf, _ = files
    running = start_server(make_settings(tmp_path, engine="tesseract"))
    result = planocr("ocr", "--json", "--quiet", "--server", running.address, str(pdf))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    document_id = data["documents"][0]["document_id"]
    assert running.server.repository.get_document(__import__("uuid").UUID(document_id)).counts == {"completed": 2}


# Run in a fresh interpreter: what the one-shot path imports is the point.
NO_ALEMBIC = textwrap.dedent(
    """
    import contextlib, gc, io, json, sys
    from planocr import cli
    from planocr.cli import ocr as ocr_cli
    from tests.support.schema import schema_of

    with ocr_cli.local_server(None) as server:
        schema = schema_of(server.db_engine)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        status = cli.main(["ocr", "--json", "--quiet", sys.argv[1]])
    pages = json.loads(out.getvalue())["documents"][0]["pages"]
    unneeded = ("alembic", "mako", "prometheus_client", "grpc_reflection.v1alpha")
    loaded = sorted(name for name in sys.modules if name.startswith(unneeded))
    report = {"schema": schema, "status": status, "states": [p["state"] for p in pages], "loaded": loaded}
    print(json.dumps({**report, "collecting": gc.isenabled()}))
    """
)


def test_one_shot_creates_its_private_schema_without_alembic_metrics_or_reflection(files, tmp_path):
    pdf, _ = files
    result = subprocess.run([sys.executable, "-c", NO_ALEMBIC, str(pdf)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == 0 and report["states"] == ["completed", "completed"]
    assert report["collecting"]  # the collector paused for the start-up only
    # Alembic (and its templates) never imported, let alone run; no metrics, no reflection.
    assert report["loaded"] == []
    # The tables the FastAPI app reads are exactly those of a migrated database.
    migrated = create_db_engine(Settings(data_dir=tmp_path / "migrated"))
    try:
        migrate.upgrade(migrated)
        assert report["schema"] == json.loads(json.dumps(schema_of(migrated)))
    finally:
        migrated.dispose()


def test_the_one_shot_reads_on_threads_unless_told_otherwise(monkeypatch):
    from planocr.cli import ocr as ocr_cli

    monkeypatch.delenv("PLANOCR_ENGINE_ISOLATION", raising=False)
    with ocr_cli.local_server(None) as server:
        assert server.settings.engine_isolation == "thread"
    monkeypatch.setenv("PLANOCR_ENGINE_ISOLATION", "process")
    with ocr_cli.local_server(None) as server:
        assert server.settings.engine_isolation == "process"
