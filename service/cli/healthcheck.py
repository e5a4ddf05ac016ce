"""``planocr health``: ask a server's grpc.health.v1 service whether it is SERVING.

Meant for container health checks: it exits 0 when SERVING and 1 otherwise
(NOT_SERVING, unreachable, TLS refused, timeout). Run inside the server's
own container it needs no options: it reads the server's ``PLANOCR_*``
settings and talks to the port the server listens on, with TLS when the
server has a certificate. ``PLANOCR_HEALTHCHECK_*`` variables (or the command's
flags) say otherwise where needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from planocr.config import Settings

_WILDCARDS = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]", "": "127.0.0.1"}


class HealthCheckSettings(BaseSettings):
    """How ``planocr health`` reaches the server (``PLANOCR_HEALTHCHECK_*``); flags override them."""

    model_config = SettingsConfigDict(env_prefix="PLANOCR_HEALTHCHECK_", extra="ignore", frozen=True)

    server: str | None = Field(None, description="host:port to ask; default PLANOCR_LISTEN, with 0.0.0.0 or [::] read as loopback")
    tls: bool | None = Field(None, description="use TLS; default: when PLANOCR_TLS_CERT_FILE or a PLANOCR_HEALTHCHECK_* certificate is set")
    ca_file: Path | None = Field(None, description="CA that signed the server certificate; default PLANOCR_TLS_CERT_FILE itself")
    cert_file: Path | None = Field(None, description="client certificate for mutual TLS; default the server's own when PLANOCR_TLS_CLIENT_CA_FILE is set")
    key_file: Path | None = Field(None, description="client private key for mutual TLS; default the server's own")
    server_name: str | None = Field(None, description="name to verify in the server certificate when it is not the host asked")
    timeout: float = Field(5.0, gt=0, description="seconds to wait for the answer")


@dataclass(frozen=True)
class Target:
    """Where and how to connect."""

    address: str
    tls: bool
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    server_name: str | None = None


def local_address(listen: str) -> str:
    """The address to reach a server listening on ``listen`` from the same host."""
    host, _, port = listen.rpartition(":")
    return f"{_WILDCARDS.get(host, host)}:{port}"


def resolve(options: HealthCheckSettings, server: Settings | None) -> Target:
    """Fill what ``options`` leave open from the server's own settings."""
    address = options.server or local_address(server.listen if server else "127.0.0.1:50051")
    has_cert = server is not None and server.tls_cert_file is not None
    asks_for_tls = any(v is not None for v in (options.ca_file, options.cert_file, options.key_file, options.server_name))
    tls = options.tls if options.tls is not None else (has_cert or asks_for_tls)
    if not tls:
        return Target(address, tls=False)
    ca = options.ca_file or (server.tls_cert_file if server is not None and has_cert else None)
    cert, key = options.cert_file, options.key_file
    if cert is None and key is None and server is not None and server.tls_client_ca_file is not None:
        cert, key = server.tls_cert_file, server.tls_key_file
    if (cert is None) != (key is None):
        raise ValueError("a client certificate needs its key: give both PLANOCR_HEALTHCHECK_CERT_FILE and PLANOCR_HEALTHCHECK_KEY_FILE")
    return Target(address, tls=True, ca=ca, cert=cert, key=key, server_name=options.server_name)


def open_channel(target: Target) -> grpc.Channel:
    if not target.tls:
        return grpc.insecure_channel(target.address)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=target.ca.read_bytes() if target.ca else None,
        private_key=target.key.read_bytes() if target.key else None,
        certificate_chain=target.cert.read_bytes() if target.cert else None,
    )
    options = [("grpc.ssl_target_name_override", target.server_name)] if target.server_name else []
    return grpc.secure_channel(target.address, credentials, options=options)


def check(target: Target, service: str = "", timeout: float = 5.0) -> tuple[bool, str]:
    """(serving, what to print): asks once, waits at most ``timeout`` seconds."""
    with open_channel(target) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as exc:
            return False, f"{target.address}: {exc.code().name}"
    state = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    return reply.status == health_pb2.HealthCheckResponse.SERVING, f"{target.address}: {state}"
