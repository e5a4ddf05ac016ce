"""TLS and mutual TLS against a real server with certificates made for the test."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest

from planocr.client import AsyncPlanocrClient, PlanocrClient, Unavailable
from tests.client.fake_service import FakeServer

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


@dataclass
class Pem:
    cert: bytes
    key: bytes


def _issue(
    common_name: str,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    *,
    server: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_cert, issuer_key = issuer if issuer is not None else (None, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256()), key


def _pem(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Pem:
    return Pem(
        cert=cert.public_bytes(serialization.Encoding.PEM),
        key=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


@dataclass
class Pki:
    ca: Pem
    server: Pem
    client: Pem


@pytest.fixture(scope="module")
def pki() -> Pki:
    ca = _issue("planocr test CA", None)
    return Pki(
        ca=_pem(*ca),
        server=_pem(*_issue("planocr server", ca, server=True)),
        client=_pem(*_issue("fastapi-backend", ca)),
    )


@pytest.fixture
def tls_server(pki: Pki) -> Iterator[FakeServer]:
    credentials = grpc.ssl_server_credentials(
        [(pki.server.key, pki.server.cert)], root_certificates=pki.ca.cert, require_client_auth=True
    )
    with FakeServer(credentials) as running:
        yield running


def test_mutual_tls_with_token(tls_server: FakeServer, pki: Pki, tmp_path) -> None:
    # Client certificate and key given as file paths, the root as bytes.
    (tmp_path / "client.pem").write_bytes(pki.client.cert)
    (tmp_path / "client.key").write_bytes(pki.client.key)
    document = tls_server.service.add_document(1)

    with PlanocrClient(
        tls_server.target,
        tls=True,
        root_certificates=pki.ca.cert,
        client_cert=tmp_path / "client.pem",
        client_key=str(tmp_path / "client.key"),
        token="tls-token",
        timeout=5,
    ) as planocr:
        assert planocr.get_document(document.document_id).document_id == document.document_id

    [call] = tls_server.service.calls
    assert call.metadata.get("authorization") == "Bearer tls-token"
    assert call.peer_identities == [b"fastapi-backend"]


def test_aio_mutual_tls_with_token(tls_server: FakeServer, pki: Pki) -> None:
    document = tls_server.service.add_document(1)

    async def main():
        async with AsyncPlanocrClient(
            tls_server.target,
            tls=True,
            root_certificates=pki.ca.cert,
            client_cert=pki.client.cert,
            client_key=pki.client.key,
            token="aio-token",
            timeout=5,
        ) as planocr:
            return await planocr.get_document(document.document_id)

    assert asyncio.run(main()).document_id == document.document_id
    [call] = tls_server.service.calls
    assert call.metadata.get("authorization") == "Bearer aio-token"


def test_missing_client_certificate_is_refused(tls_server: FakeServer, pki: Pki) -> None:
    with (
        PlanocrClient(
            tls_server.target, tls=True, root_certificates=pki.ca.cert, timeout=5, retry=None
        ) as planocr,
        pytest.raises(Unavailable),
    ):
        planocr.get_document("0f6f4b7e-2c8e-4a0c-9a55-1c4b5d6e7f80")
    assert tls_server.service.calls == []


def test_client_cert_needs_its_key(pki: Pki) -> None:
    with pytest.raises(ValueError, match="together"):
        PlanocrClient("127.0.0.1:1", tls=True, client_cert=pki.client.cert)
