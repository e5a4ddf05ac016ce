"""The optional bearer-token check.

With ``PLANOCR_AUTH_TOKEN`` set, every call must carry
``authorization: Bearer <token>``; others are answered UNAUTHENTICATED (with
the usual ErrorInfo, reason ``UNAUTHENTICATED``) before the handler runs.
The health service stays open so probes and load balancers need no secret.
Reflection is *not* open: it is a debugging aid for people who hold the
token, and grpcurl and ``buf curl`` send ``-H`` headers on reflection calls
too (see docs/operations.md).

The comparison is constant-time (``hmac.compare_digest``) so the time an
answer takes says nothing about how much of a guess was right.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

import grpc
from grpc_health.v1 import health

from planocr.errors import Unauthenticated

#: Method prefixes answered without a token.
OPEN_PREFIXES: tuple[str, ...] = (f"/{health.SERVICE_NAME}/",)


def bearer_token(metadata: Iterable[tuple[str, str | bytes]] | None) -> bytes | None:
    """The token of the first ``authorization: Bearer …`` header, or None."""
    for key, value in metadata or ():
        if key != "authorization":
            continue
        raw = value.encode() if isinstance(value, str) else value
        scheme, _, token = raw.strip().partition(b" ")
        if scheme.lower() == b"bearer" and token:
            return token.strip()
        return None
    return None


class TokenAuthInterceptor(grpc.ServerInterceptor):
    """Refuses calls that do not carry the configured bearer token."""

    def __init__(self, token: str, open_prefixes: tuple[str, ...] = OPEN_PREFIXES):
        if not token:
            raise ValueError("an empty token would let every caller in")
        self._expected = token.encode()
        self._open = open_prefixes

    def authorized(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> bool:
        presented = bearer_token(metadata)
        # compare_digest runs in time independent of where the inputs differ.
        return presented is not None and hmac.compare_digest(presented, self._expected)

    def intercept_service(self, continuation, handler_call_details):
        if handler_call_details.method.startswith(self._open) or self.authorized(handler_call_details.invocation_metadata):
            return continuation(handler_call_details)
        handler = continuation(handler_call_details)
        if handler is None:
            return None  # unknown method: UNIMPLEMENTED, as without auth
        return _refusing(handler)


def _refuse(request_or_iterator, context):
    raise Unauthenticated("missing or invalid bearer token")


def _refuse_stream(request_or_iterator, context):
    raise Unauthenticated("missing or invalid bearer token")
    yield  # pragma: no cover - makes this a generator, as a streaming handler must be


def _refusing(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """The same kind of handler, but one that only refuses."""
    if handler.unary_unary:
        return handler._replace(unary_unary=_refuse)
    if handler.stream_unary:
        return handler._replace(stream_unary=_refuse)
    if handler.unary_stream:
        return handler._replace(unary_stream=_refuse_stream)
    return handler._replace(stream_stream=_refuse_stream)
