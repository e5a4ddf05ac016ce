"""Retry policy for UNAVAILABLE, shared by the sync and asyncio clients.

Retries of the idempotent RPCs are done by gRPC itself, from the channel's
service config (:meth:`RetryPolicy.method_config`): GetDocument, ListPages,
GetPage, ProcessPage, ProcessDocument, StartDocument, WatchDocument, the
Operations reads, WaitOperation and CancelOperation, and the health check.
ProcessPage and ProcessDocument are safe to send twice because the server
claims each page atomically and returns completed pages as they are (unless
``force`` is set, where a retry costs another OCR run but does no harm);
StartDocument returns the document's running operation when it has one. gRPC only retries a
streaming call before the first response message arrives, so a
ProcessDocument stream that fails half way is never replayed.

CreateDocument is *not* in the service config: without an idempotency key a
retry after a lost response would create a second document, and gRPC cannot
make the choice per request. The clients retry an upload themselves, with the
same backoff (:meth:`RetryPolicy.backoff_delays`), only when the caller gave
a ``request_id`` (the server then returns the first document instead of
creating another) and the upload can be read again from the start.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from typing import Any

SERVICE = "planocr.v1.OcrService"
HEALTH_SERVICE = "grpc.health.v1.Health"
OPERATIONS_SERVICE = "google.longrunning.Operations"

#: The RPCs gRPC retries on UNAVAILABLE; see the module docstring for why.
RETRIED_METHODS: tuple[tuple[str, str], ...] = (
    (SERVICE, "GetDocument"),
    (SERVICE, "ListPages"),
    (SERVICE, "GetPage"),
    (SERVICE, "ProcessPage"),
    (SERVICE, "ProcessDocument"),
    (SERVICE, "StartDocument"),
    (SERVICE, "WatchDocument"),
    (OPERATIONS_SERVICE, "GetOperation"),
    (OPERATIONS_SERVICE, "ListOperations"),
    (OPERATIONS_SERVICE, "WaitOperation"),
    (OPERATIONS_SERVICE, "CancelOperation"),
    (HEALTH_SERVICE, "Check"),
)

# gRPC silently caps maxAttempts at 5; refusing more keeps the policy honest.
_GRPC_MAX_ATTEMPTS = 5


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a call failing with UNAVAILABLE is sent again.

    The n-th retry waits a random time between 0 and
    ``min(initial_backoff * backoff_multiplier ** (n - 1), max_backoff)``
    seconds (gRPC's jittered exponential backoff). All attempts share the
    call's deadline. ``max_attempts`` counts the first attempt; 1 disables
    retries.
    """

    max_attempts: int = 5
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    backoff_multiplier: float = 2.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= _GRPC_MAX_ATTEMPTS:
            raise ValueError(
                f"max_attempts must be between 1 and {_GRPC_MAX_ATTEMPTS}, got {self.max_attempts}"
            )
        if self.initial_backoff < 0.001 or self.max_backoff < self.initial_backoff:
            raise ValueError("need 0.001 <= initial_backoff <= max_backoff")
        if self.backoff_multiplier < 1:
            raise ValueError("backoff_multiplier must be at least 1")

    def method_config(self) -> dict[str, Any] | None:
        """The service-config ``methodConfig`` entry for the retried RPCs, or None when retries are off."""
        if self.max_attempts == 1:
            return None
        return {
            "name": [{"service": service, "method": method} for service, method in RETRIED_METHODS],
            "retryPolicy": {
                "maxAttempts": self.max_attempts,
                "initialBackoff": _duration(self.initial_backoff),
                "maxBackoff": _duration(self.max_backoff),
                "backoffMultiplier": self.backoff_multiplier,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }

    def backoff_delays(self) -> Iterator[float]:
        """Yield the wait before each retry, ``max_attempts - 1`` values in all."""
        ceiling = self.initial_backoff
        for _ in range(self.max_attempts - 1):
            yield random.uniform(0, ceiling)
            ceiling = min(ceiling * self.backoff_multiplier, self.max_backoff)


#: The clients' default: up to 5 attempts, 0.2 s doubling to at most 5 s.
DEFAULT_RETRY = RetryPolicy()


def _duration(seconds: float) -> str:
    """Format seconds as a protobuf JSON Duration, e.g. ``"0.200s"``."""
    return f"{seconds:.3f}s"
