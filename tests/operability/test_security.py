"""TLS, mutual TLS and the bearer token, with certificates made here and the Python client."""

from __future__ import annotations

import json
import subprocess
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2

from planocr.client import NotFound, PlanocrClient, Unauthenticated, Unavailable
from planocr.config import Settings
from planocr.rpc.security import TlsConfigError, server_credentials
from tests.operability.helpers import BIN, issue, make_pki
from tests.operability.test_health import planocr_health

TOKEN = "tok-" + uuid.uuid4().hex
MISSING = str(uuid.uuid4())


def round_trip(client: PlanocrClient) -> None:
    """One authenticated, encrypted call that reaches the servicer (NOT_FOUND proves it got there)."""
    with pytest.raises(NotFound):
        client.get_page(MISSING, timeout=5)


def test_tls(start_server, pki, tmp_path):
    running = start_server(tls_cert_file=pki.server_cert, tls_key_file=pki.server_key)
    with PlanocrClient(running.address, tls=True, root_certificates=pki.ca, retry=None) as client:
        round_trip(client)
        assert client.health().status == health_pb2.HealthCheckResponse.SERVING

    with PlanocrClient(running.address, retry=None, timeout=3) as plaintext, pytest.raises(Unavailable):
        plaintext.get_page(MISSING)

    other = make_pki(tmp_path / "other")
    with PlanocrClient(running.address, tls=True, root_certificates=other.ca, retry=None, timeout=3) as wrong_ca, pytest.raises(Unavailable):
        wrong_ca.get_page(MISSING)


def test_mutual_tls(start_server, pki, tmp_path):
    running = start_server(tls_cert_file=pki.server_cert, tls_key_file=pki.server_key, tls_client_ca_file=pki.ca)
    with PlanocrClient(running.address, tls=True, root_certificates=pki.ca, client_cert=pki.client_cert, client_key=pki.client_key, retry=None) as client:
        round_trip(client)

    with PlanocrClient(running.address, tls=True, root_certificates=pki.ca, retry=None, timeout=3) as anonymous, pytest.raises(Unavailable):
        anonymous.get_page(MISSING)

    stranger = make_pki(tmp_path / "stranger")  # a client certificate from a CA the server does not trust
    with PlanocrClient(running.address, tls=True, root_certificates=pki.ca, client_cert=stranger.client_cert,
                       client_key=stranger.client_key, retry=None, timeout=3) as impostor, pytest.raises(Unavailable):
        impostor.get_page(MISSING)


def test_token_over_mutual_tls(start_server, pki):
    running = start_server(tls_cert_file=pki.server_cert, tls_key_file=pki.server_key, tls_client_ca_file=pki.ca, auth_token=TOKEN)
    common = {"tls": True, "root_certificates": pki.ca, "client_cert": pki.client_cert, "client_key": pki.client_key, "retry": None}
    with PlanocrClient(running.address, token=TOKEN, **common) as client:
        round_trip(client)
    with PlanocrClient(running.address, **common) as no_token, pytest.raises(Unauthenticated) as refused:
        no_token.get_page(MISSING)
    assert refused.value.reason == "UNAUTHENTICATED"
    with PlanocrClient(running.address, token=TOKEN[:-1] + "x", **common) as wrong, pytest.raises(Unauthenticated):
        wrong.get_page(MISSING)
    # Health stays open: probes carry no token.
    with PlanocrClient(running.address, **common) as probe:
        assert probe.health().status == health_pb2.HealthCheckResponse.SERVING


def test_token_on_plaintext_and_every_kind_of_call(start_server, drawing_set):
    running = start_server(auth_token=TOKEN)
    with PlanocrClient(running.address, token=TOKEN, retry=None) as client:
        document = client.upload(drawing_set, filename="A-sheets.pdf")  # client stream
        events = list(client.process_document(document.document_id))  # server stream
        assert events[-1].summary.completed == 2
    with PlanocrClient(running.address, retry=None) as anonymous:
        with pytest.raises(Unauthenticated):
            anonymous.upload(drawing_set, filename="A-sheets.pdf")
        with pytest.raises(Unauthenticated):
            list(anonymous.process_document(document.document_id))
        with pytest.raises(Unauthenticated):
            anonymous.get_document(document.document_id)
        assert anonymous.health().status == health_pb2.HealthCheckResponse.SERVING
    # Metadata spelled by hand: the scheme is case-insensitive, anything else is refused.
    stub = grpc.insecure_channel(running.address).unary_unary(
        "/planocr.v1.OcrService/GetDocument", request_serializer=lambda b: b, response_deserializer=lambda b: b
    )
    for header, code in ((f"bearer {TOKEN}", grpc.StatusCode.NOT_FOUND), (TOKEN, grpc.StatusCode.UNAUTHENTICATED),
                         (f"Basic {TOKEN}", grpc.StatusCode.UNAUTHENTICATED), ("Bearer ", grpc.StatusCode.UNAUTHENTICATED)):
        with pytest.raises(grpc.RpcError) as failed:
            stub(b"\n$" + MISSING.encode(), metadata=[("authorization", header)], timeout=5)
        assert failed.value.code() == code, header


def test_reflection_needs_the_token(start_server):
    running = start_server(auth_token=TOKEN)
    grpcurl = BIN / "grpcurl"
    anonymous = subprocess.run([str(grpcurl), "-plaintext", running.address, "list"], capture_output=True, text=True, timeout=30)
    assert anonymous.returncode != 0 and "Unauthenticated" in anonymous.stderr
    header = ["-H", f"authorization: Bearer {TOKEN}"]
    listed = subprocess.run([str(grpcurl), "-plaintext", *header, running.address, "list"], capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0, listed.stderr
    assert "planocr.v1.OcrService" in listed.stdout
    called = subprocess.run(
        [str(grpcurl), "-plaintext", *header, "-d", json.dumps({"page_id": MISSING}), running.address, "planocr.v1.OcrService/GetPage"],
        capture_output=True, text=True, timeout=30,
    )
    assert "NotFound" in called.stderr


def test_grpcurl_over_mutual_tls(start_server, pki):
    running = start_server(tls_cert_file=pki.server_cert, tls_key_file=pki.server_key, tls_client_ca_file=pki.ca)
    listed = subprocess.run(
        [str(BIN / "grpcurl"), "-cacert", str(pki.ca), "-cert", str(pki.client_cert), "-key", str(pki.client_key), running.address, "list"],
        capture_output=True, text=True, timeout=30,
    )
    assert listed.returncode == 0, listed.stderr
    assert "planocr.v1.OcrService" in listed.stdout


def test_planocr_health_over_tls(start_server, pki, tmp_path):
    running = start_server(tls_cert_file=pki.server_cert, tls_key_file=pki.server_key, tls_client_ca_file=pki.ca)
    flags = ["--server", running.address, "--ca-file", str(pki.ca), "--cert-file", str(pki.client_cert), "--key-file", str(pki.client_key)]
    assert planocr_health(*flags).returncode == 0
    env = {"PLANOCR_HEALTHCHECK_SERVER": running.address, "PLANOCR_HEALTHCHECK_TLS": "true", "PLANOCR_HEALTHCHECK_CA_FILE": str(pki.ca),
           "PLANOCR_HEALTHCHECK_CERT_FILE": str(pki.client_cert), "PLANOCR_HEALTHCHECK_KEY_FILE": str(pki.client_key)}
    assert planocr_health(env=env).returncode == 0
    assert planocr_health("--server", running.address, "--plaintext", "--timeout", "2").returncode == 1
    assert planocr_health("--server", running.address, "--tls", "--ca-file", str(pki.ca), "--timeout", "2").returncode == 1  # no client cert


def test_planocr_health_defaults_from_the_server_settings(start_server, tmp_path):
    """In the server's own container: a self-signed certificate and the server's PLANOCR_* settings are enough."""
    own = issue("planocr self-signed", server=True, client=True)
    cert, key = own.write(tmp_path, "self")
    running = start_server(tls_cert_file=cert, tls_key_file=key)
    port = running.address.rpartition(":")[2]
    env = {"PLANOCR_LISTEN": f"127.0.0.1:{port}", "PLANOCR_TLS_CERT_FILE": str(cert), "PLANOCR_TLS_KEY_FILE": str(key)}
    result = planocr_health(env=env)
    assert result.returncode == 0, result.stderr


def test_rotated_certificate_is_used_without_restart(start_server, tmp_path):
    first, second = make_pki(tmp_path / "first"), make_pki(tmp_path / "second")
    cert, key = tmp_path / "live.crt", tmp_path / "live.key"
    cert.write_bytes(first.server_cert.read_bytes())
    key.write_bytes(first.server_key.read_bytes())
    running = start_server(tls_cert_file=cert, tls_key_file=key)
    with PlanocrClient(running.address, tls=True, root_certificates=first.ca, retry=None) as client:
        round_trip(client)

    key.write_bytes(second.server_key.read_bytes())
    cert.write_bytes(second.server_cert.read_bytes())
    with PlanocrClient(running.address, tls=True, root_certificates=second.ca, retry=None) as client:
        round_trip(client)
    with PlanocrClient(running.address, tls=True, root_certificates=first.ca, retry=None, timeout=3) as stale, pytest.raises(Unavailable):
        stale.get_page(MISSING)


def test_mismatched_key_is_refused_at_start(pki, tmp_path):
    other = make_pki(tmp_path / "other")
    settings = Settings(listen="127.0.0.1:0", data_dir=tmp_path, tls_cert_file=pki.server_cert, tls_key_file=other.server_key)
    with pytest.raises(TlsConfigError, match=str(pki.server_cert)):
        server_credentials(settings)


def test_message_size_limit(start_server):
    running = start_server(max_message_bytes=1024 * 1024)
    call = running.channel.unary_unary(
        "/planocr.v1.OcrService/GetPage", request_serializer=lambda b: b, response_deserializer=lambda b: b
    )
    too_big = b"\n\x80\x80\x80\x01" + b"x" * (2 * 1024 * 1024)  # page_id of 2 MiB
    with pytest.raises(grpc.RpcError) as refused:
        call(too_big, timeout=10)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
