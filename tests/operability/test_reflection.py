"""Reflection on by default, switchable off; grpcurl and `buf curl` against a running server."""

from __future__ import annotations

import importlib.util
import json
import subprocess

import pytest

from planocr.client import PlanocrClient
from tests.operability.helpers import BIN, ROOT

GRPCURL = BIN / "grpcurl"
BUF = BIN / "buf"
PROTO_ARGS = ["-import-path", str(ROOT / "protos"), "-import-path", str(ROOT / "build" / "proto-deps"), "-proto", "planocr/v1/ocr_service.proto"]


def grpcurl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(GRPCURL), *args], capture_output=True, text=True, timeout=60)


def ensure_proto_deps() -> None:
    """build/proto-deps (google/rpc/status.proto) is placed by tools/gen_protos.py (`make proto`)."""
    if not (ROOT / "build" / "proto-deps" / "google" / "rpc" / "status.proto").exists():
        spec = importlib.util.spec_from_file_location("gen_protos", ROOT / "tools" / "gen_protos.py")
        gen_protos = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(gen_protos)
        gen_protos.place_proto_deps()


@pytest.fixture
def uploaded(start_server, drawing_set):
    running = start_server()
    with PlanocrClient(running.address) as client:
        document = client.upload(drawing_set, filename="A-sheets.pdf")
        pages = list(client.list_pages(document.document_id))
    return running, document.document_id, [p.page_id for p in pages]


def test_grpcurl_list_describe_and_call(uploaded):
    running, document_id, page_ids = uploaded
    address = running.address

    listed = grpcurl("-plaintext", address, "list")
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) >= {"planocr.v1.OcrService", "grpc.health.v1.Health"}

    described = grpcurl("-plaintext", address, "describe", "planocr.v1.OcrService")
    assert described.returncode == 0, described.stderr
    assert "rpc ProcessPage ( .planocr.v1.ProcessPageRequest ) returns ( .planocr.v1.ProcessPageResponse )" in described.stdout
    assert "stream .planocr.v1.ProcessDocumentResponse" in described.stdout
    message = grpcurl("-plaintext", address, "describe", "planocr.v1.ProcessPageRequest")
    assert "string page_id = 1;" in message.stdout

    processed = grpcurl("-plaintext", "-d", json.dumps({"page_id": page_ids[0]}), address, "planocr.v1.OcrService/ProcessPage")
    assert processed.returncode == 0, processed.stderr
    reply = json.loads(processed.stdout)
    assert reply["outcome"] == "PROCESS_OUTCOME_PROCESSED"
    assert reply["page"]["state"] == "PAGE_STATE_COMPLETED"
    assert "A-101 FIRST FLOOR PLAN" in reply["page"]["text"]  # grpcurl prints the proto's own field names

    fetched = grpcurl("-plaintext", "-d", json.dumps({"page_id": page_ids[0], "view": "PAGE_VIEW_BASIC"}), address, "planocr.v1.OcrService/GetPage")
    assert fetched.returncode == 0, fetched.stderr
    page = json.loads(fetched.stdout)["page"]
    assert page["page_id"] == page_ids[0] and page["document_id"] == document_id
    assert "text" not in page  # BASIC view

    missing = grpcurl("-plaintext", "-d", '{"page_id": "not-a-uuid"}', address, "planocr.v1.OcrService/GetPage")
    assert missing.returncode != 0
    assert "InvalidArgument" in missing.stderr


def test_grpcurl_streams_process_document(uploaded):
    running, document_id, page_ids = uploaded
    streamed = grpcurl("-plaintext", "-d", json.dumps({"document_id": document_id}), running.address, "planocr.v1.OcrService/ProcessDocument")
    assert streamed.returncode == 0, streamed.stderr
    events = [json.loads(chunk) for chunk in streamed.stdout.replace("}\n{", "}\x00{").split("\x00")]
    assert "started" in events[0] and "summary" in events[-1]
    assert sorted(e["page"]["page_id"] for e in events if "page" in e) == sorted(page_ids)
    assert events[-1]["summary"]["completed"] == len(page_ids)


def test_buf_curl_through_reflection(uploaded):
    running, _document_id, page_ids = uploaded
    called = subprocess.run(
        [str(BUF), "curl", "--protocol", "grpc", "--http2-prior-knowledge", "--reflect-protocol", "grpc-v1alpha",
         "-d", json.dumps({"page_id": page_ids[1]}), f"http://{running.address}/planocr.v1.OcrService/GetPage"],
        capture_output=True, text=True, timeout=60,
    )
    assert called.returncode == 0, called.stderr
    assert json.loads(called.stdout)["page"]["pageNumber"] == 2


def test_reflection_can_be_switched_off(start_server, drawing_set):
    ensure_proto_deps()
    running = start_server(reflection=False)
    listed = grpcurl("-plaintext", running.address, "list")
    assert listed.returncode != 0
    assert "does not support the reflection API" in listed.stderr

    # The service itself still answers callers that bring the protos.
    with PlanocrClient(running.address) as client:
        document = client.upload(drawing_set, filename="A-sheets.pdf")
    called = grpcurl("-plaintext", *PROTO_ARGS, "-d", json.dumps({"document_id": document.document_id}), running.address, "planocr.v1.OcrService/GetDocument")
    assert called.returncode == 0, called.stderr
    # From .proto files grpcurl knows the JSON names (camelCase); through reflection it prints proto names.
    assert json.loads(called.stdout)["document"]["pageCount"] == 2


def test_reflection_on_by_default():
    from planocr.config import Settings

    assert Settings.model_fields["reflection"].default is True
