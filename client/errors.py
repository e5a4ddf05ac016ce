"""Exceptions raised by the planocr clients: one class per gRPC status code.

Every failed call raises a subclass of :class:`PlanocrError`, chained
(``raise ... from``) to the original ``grpc.RpcError``. The server puts a
``google.rpc.Status`` in the ``grpc-status-details-bin`` trailer; its
``google.rpc.ErrorInfo`` detail gives a stable :attr:`PlanocrError.reason`
(e.g. ``"PAGE_NOT_FOUND"``) that callers may branch on, and metadata such as
the id that was not found. Errors produced by gRPC itself (deadline, no
connection) or by a proxy carry no ErrorInfo; their reason is ``""``.

Example::

    try:
        page = client.get_page(page_id)
    except planocr.client.NotFound as exc:
        if exc.reason == "PAGE_NOT_FOUND":
            ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import grpc
from google.protobuf import any_pb2, message
from google.rpc import error_details_pb2, status_pb2

__all__ = [
    "DOMAIN",
    "PlanocrError",
    "Cancelled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
    "exception_class_for",
    "from_grpc_error",
    "from_status",
]

#: The ErrorInfo domain the planocr server uses.
DOMAIN = "planocr.dev"

_DETAILS_METADATA_KEY = "grpc-status-details-bin"

# The google.rpc detail types a server may attach; others stay packed in Any.
_KNOWN_DETAIL_TYPES: tuple[type[message.Message], ...] = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.RetryInfo,
    error_details_pb2.DebugInfo,
    error_details_pb2.QuotaFailure,
    error_details_pb2.PreconditionFailure,
    error_details_pb2.BadRequest,
    error_details_pb2.RequestInfo,
    error_details_pb2.ResourceInfo,
    error_details_pb2.Help,
    error_details_pb2.LocalizedMessage,
)

# The RESOURCE_EXHAUSTED reasons that mean "busy now"; the others (upload or
# image too large, gRPC's own message-size limit) fail again on every attempt.
_TRANSIENT_EXHAUSTION_REASONS = frozenset({"QUEUE_FULL"})


class PlanocrError(Exception):
    """Base class of every error raised by the planocr clients.

    Attributes:
        code: the gRPC status code (a ``grpc.StatusCode``); fixed per subclass.
        message: the status message sent by the server (safe to log).
        reason: ``ErrorInfo.reason``, stable and meant for branching; ``""``
            when the status carried no ErrorInfo.
        domain: ``ErrorInfo.domain`` (``"planocr.dev"`` for the server's own
            errors); ``""`` when there was none.
        metadata: ``ErrorInfo.metadata`` as a plain dict (e.g. ``page_id``).
        details: every detail of the rich status, unpacked when it is a known
            ``google.rpc`` type (ErrorInfo, RetryInfo, BadRequest, ...),
            otherwise left as ``google.protobuf.Any``.
        status: the ``google.rpc.Status`` itself, or ``None``.
        retry_delay: seconds from a ``google.rpc.RetryInfo`` detail, or ``None``.
    """

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN
    _retryable_by_default = False

    def __init__(
        self,
        message: str,
        *,
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        details: Iterable[Any] = (),
        status: status_pb2.Status | None = None,
        retry_delay: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata: dict[str, str] = dict(metadata or {})
        self.details: list[Any] = list(details)
        self.status = status
        self.retry_delay = retry_delay

    @property
    def retryable(self) -> bool:
        """Whether sending the same request again later may succeed.

        True for UNAVAILABLE and ABORTED, for RESOURCE_EXHAUSTED when the
        server is busy (not when the request itself is too large), and for
        any error whose status carries a RetryInfo.
        """
        return self._retryable_by_default or self.retry_delay is not None

    def __str__(self) -> str:
        label = self.code.name if self.reason in ("", self.code.name) else f"{self.code.name} {self.reason}"
        return f"{label}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(message={self.message!r}, reason={self.reason!r})"


class Cancelled(PlanocrError):
    """The call was cancelled, usually by the caller."""

    code = grpc.StatusCode.CANCELLED


class Unknown(PlanocrError):
    """The server failed in a way it did not describe (e.g. an unhandled exception)."""

    code = grpc.StatusCode.UNKNOWN


class InvalidArgument(PlanocrError):
    """The request was malformed: a bad id, option, page token or upload."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(PlanocrError):
    """The call's deadline passed before the server answered."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFound(PlanocrError):
    """The page, document or storage object does not exist."""

    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(PlanocrError):
    """The resource the call tried to create exists already."""

    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(PlanocrError):
    """The caller is known but not allowed to make this call."""

    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(PlanocrError):
    """The server is out of capacity (queue full) or the request is too large."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED

    @property
    def retryable(self) -> bool:
        return self.reason in _TRANSIENT_EXHAUSTION_REASONS or self.retry_delay is not None


class FailedPrecondition(PlanocrError):
    """The system is not in a state where the call can work (e.g. page image missing)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(PlanocrError):
    """The call lost a race (e.g. a page lease); it can be tried again."""

    code = grpc.StatusCode.ABORTED
    _retryable_by_default = True


class OutOfRange(PlanocrError):
    """The request asked for something past the valid range."""

    code = grpc.StatusCode.OUT_OF_RANGE


class Unimplemented(PlanocrError):
    """The server does not implement this method."""

    code = grpc.StatusCode.UNIMPLEMENTED


class Internal(PlanocrError):
    """A bug on the server side."""

    code = grpc.StatusCode.INTERNAL


class Unavailable(PlanocrError):
    """The server or one of its dependencies could not be reached; retrying may help."""

    code = grpc.StatusCode.UNAVAILABLE
    _retryable_by_default = True


class DataLoss(PlanocrError):
    """Data was lost or corrupted."""

    code = grpc.StatusCode.DATA_LOSS


class Unauthenticated(PlanocrError):
    """The call carried no valid credentials."""

    code = grpc.StatusCode.UNAUTHENTICATED


_CLASS_BY_CODE: dict[grpc.StatusCode, type[PlanocrError]] = {
    cls.code: cls
    for cls in (
        Cancelled,
        Unknown,
        InvalidArgument,
        DeadlineExceeded,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        ResourceExhausted,
        FailedPrecondition,
        Aborted,
        OutOfRange,
        Unimplemented,
        Internal,
        Unavailable,
        DataLoss,
        Unauthenticated,
    )
}

_STATUS_CODE_BY_NUMBER: dict[int, grpc.StatusCode] = {code.value[0]: code for code in grpc.StatusCode}


def exception_class_for(code: grpc.StatusCode | int) -> type[PlanocrError]:
    """Return the exception class for a status code (a ``grpc.StatusCode`` or its number).

    Unknown numbers and ``OK`` map to :class:`Unknown`.
    """
    if isinstance(code, int):
        code = _STATUS_CODE_BY_NUMBER.get(code, grpc.StatusCode.UNKNOWN)
    return _CLASS_BY_CODE.get(code, Unknown)


def from_status(status: status_pb2.Status) -> PlanocrError:
    """Build the exception for a ``google.rpc.Status``.

    Used for RPC failures and also for the ``error`` field of a failed
    ``Page`` or ``PageProcessed`` event, which carries the same kind of status.
    """
    return _build(exception_class_for(status.code), status.message, status)


def from_grpc_error(rpc_error: grpc.RpcError) -> PlanocrError:
    """Convert a ``grpc.RpcError`` (sync or ``grpc.aio``) into a :class:`PlanocrError`.

    Reads the code, the message and the rich status from the error's trailing
    metadata. A rich status whose code disagrees with the transport's (a
    proxy rewrote the status) is ignored: the transport code wins.
    """
    code = _call_attribute(rpc_error, "code")
    if not isinstance(code, grpc.StatusCode):
        code = grpc.StatusCode.UNKNOWN
    message = _call_attribute(rpc_error, "details")
    if not isinstance(message, str):
        message = str(rpc_error)
    status = _rich_status(_call_attribute(rpc_error, "trailing_metadata"))
    if status is not None and status.code != code.value[0]:
        status = None
    return _build(exception_class_for(code), message, status)


def _call_attribute(rpc_error: grpc.RpcError, name: str) -> Any:
    # Both grpc.Call errors (sync) and AioRpcError expose these as plain
    # methods; an RpcError that is not a call has none of them.
    method = getattr(rpc_error, name, None)
    return method() if callable(method) else None


def _rich_status(trailing_metadata: Iterable[tuple[str, Any]] | None) -> status_pb2.Status | None:
    if not trailing_metadata:
        return None
    for key, value in trailing_metadata:
        if key != _DETAILS_METADATA_KEY:
            continue
        try:
            return status_pb2.Status.FromString(bytes(value))
        except (message.DecodeError, TypeError):
            return None
    return None


def _build(cls: type[PlanocrError], message_text: str, status: status_pb2.Status | None) -> PlanocrError:
    details = [_unpack(detail) for detail in status.details] if status is not None else []
    error_infos = [d for d in details if isinstance(d, error_details_pb2.ErrorInfo)]
    info = next((i for i in error_infos if i.domain == DOMAIN), error_infos[0] if error_infos else None)
    retry_info = next((d for d in details if isinstance(d, error_details_pb2.RetryInfo)), None)
    return cls(
        message_text,
        reason=info.reason if info is not None else "",
        domain=info.domain if info is not None else "",
        metadata=dict(info.metadata) if info is not None else None,
        details=details,
        status=status,
        retry_delay=retry_info.retry_delay.ToTimedelta().total_seconds() if retry_info is not None else None,
    )


def _unpack(detail: any_pb2.Any) -> Any:
    for detail_type in _KNOWN_DETAIL_TYPES:
        if detail.Is(detail_type.DESCRIPTOR):
            unpacked = detail_type()
            detail.Unpack(unpacked)
            return unpacked
    return detail
