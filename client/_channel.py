"""Channel and call settings shared by the sync and asyncio clients: options, TLS, auth, deadlines."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import grpc

from planocr.client.retry import RetryPolicy

MiB = 1024 * 1024

#: Largest response accepted: a FULL page with every text block of a dense sheet.
MAX_RECEIVE_MESSAGE_LENGTH = 64 * MiB
#: Largest request sent; upload chunks are at most 3 MiB, everything else is tiny.
MAX_SEND_MESSAGE_LENGTH = 8 * MiB


class _UseDefault:
    def __repr__(self) -> str:
        return "DEFAULT"


#: Stands for "the client's default deadline"; ``timeout=None`` means no deadline at all.
DEFAULT: Any = _UseDefault()


def resolve_timeout(timeout: float | None, default: float | None) -> float | None:
    """The deadline in seconds for one call: ``timeout`` unless it is DEFAULT."""
    return default if timeout is DEFAULT else timeout


#: A PEM given as bytes, or the path of a PEM file.
PemSource = bytes | str | os.PathLike[str]


def channel_options(
    retry: RetryPolicy | None, options: Sequence[tuple[str, Any]] | None
) -> list[tuple[str, Any]]:
    """The channel arguments: message limits, retries, round-robin balancing; ``options`` override them."""
    # round_robin spreads calls over every address the name resolves to, so a
    # headless Kubernetes Service balances across replicas with no proxy.
    service_config: dict[str, Any] = {"loadBalancingConfig": [{"round_robin": {}}]}
    method_config = retry.method_config() if retry is not None else None
    if method_config is not None:
        service_config["methodConfig"] = [method_config]
    merged: dict[str, Any] = {
        "grpc.max_receive_message_length": MAX_RECEIVE_MESSAGE_LENGTH,
        "grpc.max_send_message_length": MAX_SEND_MESSAGE_LENGTH,
        # Kept on without a retry policy: it also covers gRPC's transparent
        # retries of calls that never reached the server.
        "grpc.enable_retries": 1,
        "grpc.service_config": json.dumps(service_config),
    }
    merged.update(dict(options or ()))
    return list(merged.items())


def channel_credentials(
    *,
    tls: bool,
    root_certificates: PemSource | None,
    client_cert: PemSource | None,
    client_key: PemSource | None,
    token: str | None,
) -> grpc.ChannelCredentials | None:
    """TLS credentials (with the bearer token as call credentials), or None for a plaintext channel."""
    if not tls:
        if root_certificates is not None or client_cert is not None or client_key is not None:
            raise ValueError("certificates were given but tls=False; pass tls=True")
        return None
    if (client_cert is None) != (client_key is None):
        raise ValueError("client_cert and client_key must be given together")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read_pem(root_certificates),
        private_key=_read_pem(client_key),
        certificate_chain=_read_pem(client_cert),
    )
    if token:
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.access_token_call_credentials(token)
        )
    return credentials


def auth_metadata(*, tls: bool, token: str | None) -> tuple[tuple[str, str], ...]:
    """Per-call metadata carrying the token on a plaintext channel.

    gRPC refuses to send call credentials over an insecure channel, so there
    the header is added to each call by hand; over TLS the channel's
    composite credentials send it.
    """
    if token and not tls:
        return (("authorization", f"Bearer {token}"),)
    return ()


def _read_pem(source: PemSource | None) -> bytes | None:
    if source is None or isinstance(source, bytes):
        return source
    with open(source, "rb") as file:
        return file.read()
