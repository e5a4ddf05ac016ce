"""The Node.js client (clients/node) against a real server: ProcessPage, a whole ProcessDocument stream, StartDocument with
WatchDocument and the Operations calls, errors, TLS and token."""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import json
import os
import shutil
import subprocess
import uuid

import pytest
from google.protobuf import timestamp_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from planocr.client import PlanocrClient
from planocr.v1 import ocr_service_pb2
from tests.operability.helpers import ROOT

NODE_DIR = ROOT / "clients" / "node"
TOKEN = "tok-" + uuid.uuid4().hex

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (apt-get install nodejs npm)")


def ensure_proto_deps() -> None:
    """Every googleapis proto the contract imports in build/proto-deps (placed by tools/gen_protos.py, `make proto`)."""
    spec = importlib.util.spec_from_file_location("gen_protos", ROOT / "tools" / "gen_protos.py")
    gen_protos = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_protos)
    if not all((gen_protos.DEPS / name).exists() for name in gen_protos.PROTO_DEPS):
        gen_protos.place_proto_deps()


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


def test_start_document_watch_it_and_wait_for_the_operation(node_client, start_server, drawing_set):
    running = start_server(engine="tesseract", render_dpi=50)
    with PlanocrClient(running.address) as client:
        document = client.upload(drawing_set, filename="A-sheets.pdf")
        page_ids = [p.page_id for p in client.list_pages(document.document_id)]
    target = ["--target", running.address]

    code, started = node(node_client, "start-document", *target, "--document-id", document.document_id, "--priority", "3")
    assert code == 0
    assert started["name"].startswith("operations/")
    assert started["progress"]["documentId"] == document.document_id
    assert started["progress"]["totalPages"] == 2 and started["progress"]["priority"] == 3
    assert started["error"] is None

    code, watched = node(node_client, "watch-document", *target, "--document-id", document.document_id)
    assert code == 0
    events = watched["events"]
    assert events[0]["event"] == "snapshot" and events[0]["snapshot"]["document"]["documentId"] == document.document_id
    pages = [e["page"] for e in events if e["event"] == "page"]
    assert sorted(p["pageId"] for p in pages) == sorted(page_ids)
    assert {p["state"] for p in pages} == {"PAGE_STATE_COMPLETED"}
    assert events[-1]["event"] == "summary"
    assert events[-1]["summary"]["totalPages"] == 2 and events[-1]["summary"]["completed"] == 2

    code, waited = node(node_client, "wait-operation", *target, "--name", started["name"], "--timeout", "60")
    assert code == 0
    assert waited["name"] == started["name"] and waited["done"] is True and waited["error"] is None
    assert waited["summary"]["documentId"] == document.document_id
    assert waited["summary"]["totalPages"] == 2 and waited["summary"]["completed"] == 2
    assert waited["summary"]["failed"] == 0 and waited["summary"]["skipped"] == 0
    progress = waited["progress"]
    assert (progress["toProcess"], progress["done"], progress["completed"], progress["failed"]) == (2, 2, 2, 0)
    assert progress["endTime"] is not None and int(progress["endTime"]["seconds"]) >= int(progress["createTime"]["seconds"])

    code, got = node(node_client, "get-operation", *target, "--name", started["name"])
    assert code == 0 and got == waited
    # Cancelling an operation that has ended leaves it as it is.
    assert node(node_client, "cancel-operation", *target, "--name", started["name"]) == (0, {})
    assert node(node_client, "get-operation", *target, "--name", started["name"]) == (0, waited)

    # `since`: pages finished up to then are not reported again.
    last = max(dt.datetime.fromtimestamp(int(p["finishTime"]["seconds"]) + p["finishTime"]["nanos"] / 1e9, dt.UTC) for p in pages)
    since = (last + dt.timedelta(milliseconds=1)).isoformat()
    code, again = node(node_client, "watch-document", *target, "--document-id", document.document_id, "--since", since)
    assert code == 0
    assert [e["event"] for e in again["events"]] == ["snapshot", "summary"]

    code, failed = node(node_client, "get-operation", *target, "--name", f"operations/{uuid.uuid4()}")
    assert code == 1
    assert failed["error"]["code"] == "NOT_FOUND" and failed["error"]["reason"] == "OPERATION_NOT_FOUND"


def test_a_cancelled_operation_carries_its_error(node_client):
    """An Operation that ended with a google.rpc.Status (as CancelOperation leaves it) maps to {error: {code, message, reason}}."""
    document_id = str(uuid.uuid4())
    created = timestamp_pb2.Timestamp(seconds=1_700_000_000, nanos=5)
    progress = ocr_service_pb2.DocumentProgress(
        document_id=document_id, total_pages=5, to_process=5, done=1, completed=1, cancel_requested=True, create_time=created
    )
    status = status_pb2.Status(code=code_pb2.CANCELLED, message="operation was cancelled")
    status.details.add().Pack(error_details_pb2.ErrorInfo(reason="CANCELLED", domain="planocr.dev"))
    operation = {
        "name": "operations/x",
        "done": True,
        "metadata": {"type_url": "type.googleapis.com/planocr.v1.DocumentProgress", "value": base64.b64encode(progress.SerializeToString()).decode()},
        "error": {
            "code": status.code,
            "message": status.message,
            "details": [{"type_url": d.type_url, "value": base64.b64encode(d.value).decode()} for d in status.details],
        },
    }
    script = (
        f"import {{ PlanocrClient }} from {json.dumps((NODE_DIR / 'client.js').as_uri())};\n"
        "const reply = JSON.parse(process.argv[1]);\n"
        "reply.metadata.value = Buffer.from(reply.metadata.value, 'base64');\n"
        "for (const d of reply.error.details) d.value = Buffer.from(d.value, 'base64');\n"
        "const client = new PlanocrClient('127.0.0.1:1');\n"
        "console.log(JSON.stringify(client.operation(reply)));\n"
        "client.close();\n"
    )
    done = subprocess.run(
        [node_client[0], "--input-type=module", "-e", script, json.dumps(operation)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    mapped = json.loads(done.stdout)
    assert mapped["name"] == "operations/x" and mapped["done"] is True and mapped["summary"] is None
    assert mapped["error"]["code"] == "CANCELLED" and mapped["error"]["message"] == "operation was cancelled"
    assert mapped["error"]["reason"] == "CANCELLED"
    assert mapped["progress"]["documentId"] == document_id and mapped["progress"]["cancelRequested"] is True
    assert (mapped["progress"]["totalPages"], mapped["progress"]["done"], mapped["progress"]["failed"]) == (5, 1, 0)
    assert mapped["progress"]["createTime"] == {"seconds": "1700000000", "nanos": 5} and mapped["progress"]["endTime"] is None
