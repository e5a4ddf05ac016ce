"""Server interceptors: error mapping and the per-call log line.

The per-call line carries the method, the status code, the duration and the
page or document id of the request: never the request's other fields, the
page text or metadata (where the bearer token travels).

:class:`ErrorInterceptor` is the one place that turns exceptions into
statuses: a domain error becomes its canonical code with an ErrorInfo
detail; anything else is a bug, logged with its traceback (never with the
request's data) and answered INTERNAL. Anything raised after the caller went
away (a request stream gRPC ends with a bare RpcError, in any service,
reflection and health included) is not a bug: the call is counted and logged
as CANCELLED, or DEADLINE_EXCEEDED when its deadline passed.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
from google.protobuf.message import Message

from planocr.errors import Internal, PlanocrError
from planocr.rpc.grpc_errors import grpc_status

log = logging.getLogger("planocr.rpc")

#: Called once per finished call with (full method name, status code name, seconds).
CallObserver = Callable[[str, str, float], None]

#: Request fields copied into the per-call log line.
ID_FIELDS = ("page_id", "document_id")
#: Methods logged at DEBUG instead of INFO.
QUIET_PREFIXES = ("/grpc.health.v1.Health/",)


def request_ids(message: Any) -> dict[str, str]:
    """The page and document ids a request (or response) names, for the log line; never text."""
    ids: dict[str, str] = {}
    if not isinstance(message, Message):
        return ids  # a request stream: its ids are not known up front
    fields = message.DESCRIPTOR.fields_by_name
    for name in ID_FIELDS:
        if name in fields and getattr(message, name):
            ids[name] = getattr(message, name)[:64]
    if "document" in fields and message.HasField("document") and message.document.document_id:
        ids["document_id"] = message.document.document_id  # CreateDocument's answer
    return ids


class _Call:
    """What one call's log line and metrics need: its code and the ids it named."""

    __slots__ = ("code", "ids")

    def __init__(self, request: Any):
        self.code = "OK"
        self.ids = request_ids(request)


@contextmanager
def _call_scope(request: Any, context: grpc.ServicerContext, method: str, observe: CallObserver | None) -> Iterator[_Call]:
    """Turn what the handler raises into a status, then log and count the call once."""
    started = time.monotonic()
    call = _Call(request)
    try:
        yield call
    except PlanocrError as error:
        call.code = error.code.name
        call.ids["reason"] = str(error.reason)
        _abort(context, error)
    except GeneratorExit:
        call.code = "CANCELLED"  # the caller went away mid-stream
        raise
    except Exception as exc:
        if _already_aborted(context):
            call.code = context.code().name
            raise
        if not context.is_active():
            call.code = _ended_code(context)
            _end_quietly(context, exc)
        call.code = "INTERNAL"
        call.ids["incident"] = _abort_internal(context, method)
    finally:
        _finish(context, method, call.code, started, observe, call.ids)


def _wrap_unary(behavior, method: str, observe: CallObserver | None):
    def handler(request_or_iterator, context):
        with _call_scope(request_or_iterator, context, method, observe) as call:
            response = behavior(request_or_iterator, context)
            call.ids.update(request_ids(response))
            return response

    return handler


def _wrap_stream(behavior, method: str, observe: CallObserver | None):
    def handler(request_or_iterator, context) -> Iterator:
        with _call_scope(request_or_iterator, context, method, observe):
            yield from behavior(request_or_iterator, context)

    return handler


#: gRPC's timer may end a call a little before the wall clock says its deadline passed.
DEADLINE_SLACK = 0.1


def deadline_passed(context: grpc.ServicerContext) -> bool:
    """True when the call's deadline has passed (give or take :data:`DEADLINE_SLACK`)."""
    remaining = context.time_remaining()
    return remaining is not None and remaining <= DEADLINE_SLACK


def _ended_code(context: grpc.ServicerContext) -> str:
    """Why a call that is no longer active ended: its deadline passed, or the caller cancelled or went away."""
    return "DEADLINE_EXCEEDED" if deadline_passed(context) else "CANCELLED"


def _end_quietly(context: grpc.ServicerContext, exc: Exception) -> None:
    """End a call the caller already left, without gRPC logging a traceback for it.

    gRPC logs "Exception calling application" for anything a handler raises
    except the RpcError it raised itself for the dead call, and a call
    ended with ``abort``.
    """
    if isinstance(exc, grpc.RpcError):
        raise exc
    log.debug("a call raised after its caller went away", exc_info=True)
    context.abort(grpc.StatusCode.CANCELLED, "the caller went away")


def _already_aborted(context: grpc.ServicerContext) -> bool:
    """True when the handler itself called ``context.abort`` (grpc raises a bare Exception for it)."""
    code = context.code()
    return code is not None and code != grpc.StatusCode.OK


def _abort(context: grpc.ServicerContext, error: PlanocrError) -> None:
    # Not logged here: the call's one line (``_finish``) carries the code and reason.
    _abort_with(context, grpc_status(error))


def _abort_with(context: grpc.ServicerContext, status: grpc.Status) -> None:
    # Same effect as context.abort_with_status, spelled out so that test
    # contexts (grpcio-testing) that lack it behave like the real server.
    context.set_trailing_metadata(status.trailing_metadata)
    context.abort(status.code, status.details)


def _abort_internal(context: grpc.ServicerContext, method: str) -> str:
    """Log the bug with its traceback and answer INTERNAL; returns the incident id the caller sees."""
    incident = uuid.uuid4().hex[:12]
    log.error("%s crashed (incident %s)", method, incident, exc_info=True)
    _abort_with(context, grpc_status(Internal(f"internal error (incident {incident})")))
    return incident


def _finish(
    context: grpc.ServicerContext, method: str, code: str, started: float, observe: CallObserver | None, ids: dict[str, str]
) -> None:
    elapsed = time.monotonic() - started
    if code == "OK" and not context.is_active():
        code = "CANCELLED"
    duration_ms = round(elapsed * 1000, 2)
    # Probes call Check every few seconds; at INFO they would drown the log.
    level = logging.DEBUG if method.startswith(QUIET_PREFIXES) else logging.INFO
    log.log(
        level,
        "%s %s %.1f ms",
        method,
        code,
        duration_ms,
        extra={"rpc_method": method, "rpc_code": code, "duration_ms": duration_ms, **ids},
    )
    if observe is not None:
        observe(method, code, elapsed)


class ErrorInterceptor(grpc.ServerInterceptor):
    """Maps exceptions to statuses and logs one line per call."""

    def __init__(self, observe: CallObserver | None = None):
        self._observe = observe

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if handler.unary_unary:
            return handler._replace(unary_unary=_wrap_unary(handler.unary_unary, method, self._observe))
        if handler.stream_unary:
            return handler._replace(stream_unary=_wrap_unary(handler.stream_unary, method, self._observe))
        if handler.unary_stream:
            return handler._replace(unary_stream=_wrap_stream(handler.unary_stream, method, self._observe))
        return handler._replace(stream_stream=_wrap_stream(handler.stream_stream, method, self._observe))
