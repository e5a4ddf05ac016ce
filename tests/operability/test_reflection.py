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
    """build/proto-deps (the googleapis protos the contract imports) is placed by tools/gen_protos.py (`make proto`)."""
    if not (ROOT / "build" / "proto-deps" / "google" / "longrunning" / "operations.proto").exists():
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


def test_callers_that_go_away_are_cancelled_never_internal(tmp_path):
    """`grpcurl -max-time 2 … Health/Watch` made the server log "ServerReflectionInfo crashed" and count an INTERNAL.

    grpcurl first opens a reflection stream; at its deadline it drops both
    calls, and gRPC ends the reflection handler's request stream with a bare
    RpcError. A caller that goes away is CANCELLED (or DEADLINE_EXCEEDED), in
    the metric the operations page recommends alerting on and in the log.
    """
    import time

    import grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    from planocr.v1 import ocr_service_pb2 as pb
    from planocr.v1 import ocr_service_pb2_grpc as pb_grpc
    from testkit.procserver import ServeProcess
    from tests.operability.helpers import scrape
    from tests.support.polling import wait_until

    env = {"PLANOCR_DATA_DIR": str(tmp_path / "data"), "PLANOCR_ENGINE": "null", "PLANOCR_METRICS_LISTEN": "127.0.0.1:0"}
    with ServeProcess(env) as server:
        watched = grpcurl("-plaintext", "-max-time", "2", server.address, "grpc.health.v1.Health/Watch")
        assert watched.returncode != 0  # it ran into its own deadline
        with grpc.insecure_channel(server.address) as channel:
            # A reflection stream and an upload the caller abandons half way through their requests.
            requests_sent = []

            def reflection_requests():
                yield reflection_pb2.ServerReflectionRequest(list_services="")
                requests_sent.append(1)
                time.sleep(30)

            stream = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(reflection_requests())
            next(stream)
            stream.cancel()

            def upload_requests():
                yield pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename="set.pdf"))
                yield pb.CreateDocumentRequest(chunk=b"%PDF-1.7\n")
                time.sleep(30)

            upload = pb_grpc.OcrServiceStub(channel).CreateDocument.future(upload_requests(), timeout=60)
            time.sleep(1.0)  # long enough for the server to be reading its requests on a busy machine
            upload.cancel()

        def handled() -> dict[tuple[str, str], float]:
            counts: dict[tuple[str, str], float] = {}
            for (name, labels), value in scrape(server.metrics_port).items():
                if name == "grpc_server_handled_total":
                    label = dict(labels)
                    counts[(label["grpc_method"], label["grpc_code"])] = counts.get((label["grpc_method"], label["grpc_code"]), 0) + value
            return counts

        assert wait_until(lambda: ("CreateDocument", "CANCELLED") in handled(), timeout=20)
        assert wait_until(lambda: handled().get(("ServerReflectionInfo", "CANCELLED"), 0) >= 1, timeout=20)
        counts = handled()
        assert {code for _method, code in counts} <= {"OK", "CANCELLED", "DEADLINE_EXCEEDED"}, counts
        assert sum(v for (method, _code), v in counts.items() if method == "ServerReflectionInfo") >= 2
        records = server.records()
    assert [r["message"] for r in records if "crashed" in r["message"] or "traceback" in r] == []
    assert [r for r in records if r["level"] == "error"] == []


def _events(stdout: str) -> list[dict]:
    return [json.loads(chunk) for chunk in stdout.replace("}\n{", "}\x00{").split("\x00")]


def test_grpcurl_starts_a_document_and_follows_its_operation(uploaded):
    running, document_id, page_ids = uploaded
    address = running.address
    listed = grpcurl("-plaintext", address, "list")
    assert "google.longrunning.Operations" in listed.stdout.split()
    described = grpcurl("-plaintext", address, "describe", "planocr.v1.OcrService")
    assert "rpc StartDocument ( .planocr.v1.StartDocumentRequest ) returns ( .google.longrunning.Operation )" in described.stdout

    started = grpcurl("-plaintext", "-d", json.dumps({"document_id": document_id}), address, "planocr.v1.OcrService/StartDocument")
    assert started.returncode == 0, started.stderr
    operation = json.loads(started.stdout)
    assert operation["name"].startswith("operations/")
    # The metadata is an Any that grpcurl decodes through reflection.
    assert operation["metadata"]["@type"] == "type.googleapis.com/planocr.v1.DocumentProgress"
    assert operation["metadata"]["to_process"] == len(page_ids)

    request = json.dumps({"name": operation["name"], "timeout": "30s"})
    waited = grpcurl("-plaintext", "-d", request, address, "google.longrunning.Operations/WaitOperation")
    assert waited.returncode == 0, waited.stderr
    done = json.loads(waited.stdout)
    assert done["done"] is True
    assert done["response"]["@type"] == "type.googleapis.com/planocr.v1.DocumentSummary"
    assert done["response"]["completed"] == len(page_ids)

    filtered = json.dumps({"name": "operations", "filter": f'document_id = "{document_id}"'})
    listed_ops = grpcurl("-plaintext", "-d", filtered, address, "google.longrunning.Operations/ListOperations")
    assert [o["name"] for o in json.loads(listed_ops.stdout)["operations"]] == [operation["name"]]

    watched = grpcurl("-plaintext", "-d", json.dumps({"document_id": document_id}), address, "planocr.v1.OcrService/WatchDocument")
    assert watched.returncode == 0, watched.stderr
    events = _events(watched.stdout)
    assert "snapshot" in events[0] and "summary" in events[-1]
    assert sorted(e["page"]["page_id"] for e in events if "page" in e) == sorted(page_ids)

    unknown = grpcurl("-plaintext", "-d", json.dumps({"name": "operations/0c6f4a38-2c4c-4a86-9d1e-3f0f6d1d2b11"}), address,
                      "google.longrunning.Operations/GetOperation")
    assert unknown.returncode != 0 and "NotFound" in unknown.stderr
