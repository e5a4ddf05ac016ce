"""The Node.js client (clients/node) against a real server: ProcessPage, a whole ProcessDocument stream, errors, TLS and token."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid

import pytest

from planocr.client import PlanocrClient
from tests.operability.helpers import ROOT
from tests.operability.test_reflection import ensure_proto_deps

NODE_DIR = ROOT / "clients" / "node"
TOKEN = "tok-" + uuid.uuid4().hex

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (apt-get install nodejs npm)")


@pytest.fixture(scope="module")
def node_client() -> list[str]:
    """`node clients/node/cli.js`, after `npm ci` when node_modules is missing."""
    ensure_proto_deps()
    if not (NODE_DIR / "node_modules" / "@grpc" / "grpc-js").exists():
        npm = shutil.which("npm")
        assert npm, "node is installed but npm is not"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, capture_output=True, timeout=300)
    return [shutil.which("node"), str(NODE_DIR / "cli.js")]


def node(node_client: list[str], *args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    done = subprocess.run([*node_client, *args], capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def test_process_page_and_a_whole_document_stream(node_client, start_server, drawing_set):
    running = start_server(engine="tesseract", render_dpi=50)
    with PlanocrClient(running.address) as client:
        document = client.upload(drawing_set, filename="A-sheets.pdf")
        page_ids = [p.page_id for p in client.list_pages(document.document_id)]

    code, reply = node(node_client, "process-page", "--target", running.address, "--page-id", page_ids[0])
    assert code == 0
    assert reply["outcome"] == "PROCESS_OUTCOME_PROCESSED"
    assert reply["page"]["pageId"] == page_ids[0] and reply["page"]["state"] == "PAGE_STATE_COMPLETED"
    assert "A-101 FIRST FLOOR PLAN" in reply["page"]["text"]

    code, stream = node(node_client, "process-document", "--target", running.address, "--document-id", document.document_id)
    assert code == 0
    events = stream["events"]
    assert events[0]["event"] == "started" and events[0]["started"]["totalPages"] == 2
    pages = [e["page"] for e in events if e["event"] == "page"]
    assert sorted(p["pageId"] for p in pages) == sorted(page_ids)
    outcomes = {p["pageId"]: p["outcome"] for p in pages}
    assert outcomes[page_ids[0]] == "PROCESS_OUTCOME_ALREADY_COMPLETED"
    assert outcomes[page_ids[1]] == "PROCESS_OUTCOME_PROCESSED"
    assert events[-1]["event"] == "summary" and events[-1]["summary"]["completed"] == 1
    assert events[-1]["summary"]["skipped"] == 1 and events[-1]["summary"]["totalPages"] == 2

    code, failed = node(node_client, "get-page", "--target", running.address, "--page-id", str(uuid.uuid4()))
    assert code == 1
    assert failed["error"]["code"] == "NOT_FOUND" and failed["error"]["reason"] == "PAGE_NOT_FOUND"


def test_mutual_tls_and_token(node_client, start_server, pki, drawing_set):
    running = start_server(tls_cert_file=pki.server_cert, tls_key_file=pki.server_key, tls_client_ca_file=pki.ca, auth_token=TOKEN)
    with PlanocrClient(running.address, tls=True, root_certificates=pki.ca, client_cert=pki.client_cert, client_key=pki.client_key, token=TOKEN) as client:
        document = client.upload(drawing_set, filename="A-sheets.pdf")
    tls = ["--target", f"localhost:{running.server.port}", "--ca", str(pki.ca), "--cert", str(pki.client_cert), "--key", str(pki.client_key)]

    code, stream = node(node_client, "process-document", *tls, "--document-id", document.document_id, env={"PLANOCR_TOKEN": TOKEN})
    assert code == 0 and stream["events"][-1]["summary"]["completed"] == 2

    code, refused = node(node_client, "process-document", *tls, "--document-id", document.document_id, env={"PLANOCR_TOKEN": ""})
    assert code == 1 and refused["error"]["code"] == "UNAUTHENTICATED" and refused["error"]["reason"] == "UNAUTHENTICATED"
