"""Domain errors: each carries a canonical status code and a stable reason.

The pipeline, storage, engines and database layers raise these; only the
servicer turns them into gRPC statuses (``planocr.rpc.grpc_errors``). The reason
strings are part of the API: callers branch on them, so they never change.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

DOMAIN = "planocr.dev"

#: The longest error message sent or stored, in UTF-8 bytes. A message travels in the
#: ``grpc-message`` header and again inside ``grpc-status-details-bin``; clients refuse
#: replies whose headers pass their limit (8 KiB by default) and report RESOURCE_EXHAUSTED.
MAX_MESSAGE_BYTES = 1024
#: The longest ErrorInfo metadata value, in UTF-8 bytes.
MAX_METADATA_BYTES = 256
#: How much of a caller's value an error message quotes.
QUOTE_CHARS = 80


class Code(enum.IntEnum):
    """Canonical status codes (google.rpc.Code); names match grpc.StatusCode."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


class Reason(enum.StrEnum):
    """Stable machine-readable reasons, sent as google.rpc.ErrorInfo.reason."""

    INVALID_ID = "INVALID_ID"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    INVALID_PAGE_TOKEN = "INVALID_PAGE_TOKEN"
    UNKNOWN_ENGINE = "UNKNOWN_ENGINE"
    ENGINE_NOT_INSTALLED = "ENGINE_NOT_INSTALLED"
    PAGE_NOT_FOUND = "PAGE_NOT_FOUND"
    DOCUMENT_NOT_FOUND = "DOCUMENT_NOT_FOUND"
    OPERATION_NOT_FOUND = "OPERATION_NOT_FOUND"
    OPERATION_RUNNING = "OPERATION_RUNNING"
    REQUEST_ID_REUSED = "REQUEST_ID_REUSED"
    OBJECT_NOT_FOUND = "OBJECT_NOT_FOUND"
    IMAGE_MISSING = "IMAGE_MISSING"
    IMAGE_UNREADABLE = "IMAGE_UNREADABLE"
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    PDF_UNREADABLE = "PDF_UNREADABLE"
    PDF_ENCRYPTED = "PDF_ENCRYPTED"
    DOCUMENT_EMPTY = "DOCUMENT_EMPTY"
    UPLOAD_INCOMPLETE = "UPLOAD_INCOMPLETE"
    UPLOAD_TOO_LARGE = "UPLOAD_TOO_LARGE"
    UPLOAD_EXPIRED = "UPLOAD_EXPIRED"
    TEXT_LAYER_MISSING = "TEXT_LAYER_MISSING"
    INVALID_STORAGE_KEY = "INVALID_STORAGE_KEY"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    DATABASE_BUSY = "DATABASE_BUSY"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    OBJECT_UNREADABLE = "OBJECT_UNREADABLE"
    ENGINE_UNAVAILABLE = "ENGINE_UNAVAILABLE"
    ENGINE_FAILED = "ENGINE_FAILED"
    ENGINE_TIMEOUT = "ENGINE_TIMEOUT"
    ENGINE_CRASHED = "ENGINE_CRASHED"
    QUEUE_FULL = "QUEUE_FULL"
    PAGE_BUSY = "PAGE_BUSY"
    LEASE_LOST = "LEASE_LOST"
    CANCELLED = "CANCELLED"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    SHUTTING_DOWN = "SHUTTING_DOWN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INTERNAL = "INTERNAL"


def clip(text: str, limit: int = MAX_MESSAGE_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (on a character boundary), marked with an ellipsis when cut."""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "\u2026"


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """A caller's value for an error message: its ``repr``, or that of its first ``limit`` characters and its length.

    Messages never repeat what a caller sent in full: an id of 16,000
    characters quoted whole would push the reply's headers past the
    client's limit and turn INVALID_ARGUMENT into RESOURCE_EXHAUSTED.
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}\u2026 ({len(text):,} characters)"


class PlanocrError(Exception):
    """Base of every error the service reports to callers.

    ``message`` is safe to show to the caller: it never contains page text,
    credentials or stack traces, and is cut to ``MAX_MESSAGE_BYTES``.
    ``metadata`` goes into ErrorInfo.metadata, each value cut to
    ``MAX_METADATA_BYTES``.
    """

    code: Code = Code.INTERNAL
    default_reason: Reason = Reason.INTERNAL
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        reason: Reason | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        message = clip(message)
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata = {clip(str(k), MAX_METADATA_BYTES): clip(str(v), MAX_METADATA_BYTES) for k, v in (metadata or {}).items()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reason}: {self.message})"


class InvalidArgument(PlanocrError):
    code = Code.INVALID_ARGUMENT
    default_reason = Reason.INVALID_ARGUMENT


class NotFound(PlanocrError):
    code = Code.NOT_FOUND
    default_reason = Reason.PAGE_NOT_FOUND


class FailedPrecondition(PlanocrError):
    code = Code.FAILED_PRECONDITION
    default_reason = Reason.IMAGE_MISSING


class Unavailable(PlanocrError):
    """A dependency (database, storage, engine) did not answer; retrying may help."""

    code = Code.UNAVAILABLE
    default_reason = Reason.DATABASE_UNAVAILABLE
    retryable = True


class EngineCrashed(Unavailable):
    """The engine's worker process died reading a page (a signal such as SIGSEGV, or out of memory).

    UNAVAILABLE, since the next attempt runs in a fresh worker, but not
    retried within the run: a page that kills its worker may kill the next.
    """

    default_reason = Reason.ENGINE_CRASHED
    retryable = False


class ResourceExhausted(PlanocrError):
    code = Code.RESOURCE_EXHAUSTED
    default_reason = Reason.QUEUE_FULL


class DeadlineExceeded(PlanocrError):
    code = Code.DEADLINE_EXCEEDED
    default_reason = Reason.DEADLINE_EXCEEDED


class Cancelled(PlanocrError):
    code = Code.CANCELLED
    default_reason = Reason.CANCELLED


class Aborted(PlanocrError):
    code = Code.ABORTED
    default_reason = Reason.PAGE_BUSY
    retryable = True


class Unauthenticated(PlanocrError):
    code = Code.UNAUTHENTICATED
    default_reason = Reason.UNAUTHENTICATED


class Internal(PlanocrError):
    code = Code.INTERNAL
    default_reason = Reason.INTERNAL


def error_for(code: Code, message: str, reason: Reason | None = None) -> PlanocrError:
    """Rebuild a domain error from a stored code and reason (a failed page's record)."""
    cls = _BY_CODE.get(code, Internal)
    return cls(message, reason=reason)


_BY_CODE: dict[Code, type[PlanocrError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        NotFound,
        FailedPrecondition,
        Unavailable,
        ResourceExhausted,
        DeadlineExceeded,
        Cancelled,
        Aborted,
        Unauthenticated,
        Internal,
    )
}
