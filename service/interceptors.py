"""Server interceptors: error mapping and the per-call log line.

:class:`ErrorInterceptor` is the one place that turns exceptions into
statuses: a domain error becomes its canonical code with an ErrorInfo
detail; anything else is a bug, logged with its traceback (never with the
request's data) and answered INTERNAL.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator

import grpc

from planocr.errors import Internal, PlanocrError
from planocr.grpc_errors import grpc_status

log = logging.getLogger("planocr.rpc")

CallObserver = Callable[[str, str, float], None]


def _wrap_unary(behavior, method: str, observe: CallObserver | None):
    def handler(request_or_iterator, context):
        started = time.monotonic()
        code = "OK"
        try:
            return behavior(request_or_iterator, context)
        except PlanocrError as error:
            code = error.code.name
            _abort(context, error, method)
        except Exception:
            if _already_aborted(context):
                code = context.code().name
                raise
            code = "INTERNAL"
            _abort_internal(context, method)
        finally:
            _finish(context, method, code, started, observe)

    return handler


def _wrap_stream(behavior, method: str, observe: CallObserver | None):
    def handler(request_or_iterator, context) -> Iterator:
        started = time.monotonic()
        code = "OK"
        try:
            yield from behavior(request_or_iterator, context)
        except PlanocrError as error:
            code = error.code.name
            _abort(context, error, method)
        except GeneratorExit:
            code = "CANCELLED"
            raise
        except Exception:
            if _already_aborted(context):
                code = context.code().name
                raise
            code = "INTERNAL"
            _abort_internal(context, method)
        finally:
            _finish(context, method, code, started, observe)

    return handler


def _already_aborted(context: grpc.ServicerContext) -> bool:
    """True when the handler itself called ``context.abort`` (grpc raises a bare Exception for it)."""
    code = context.code()
    return code is not None and code != grpc.StatusCode.OK


def _abort(context: grpc.ServicerContext, error: PlanocrError, method: str) -> None:
    log.info("%s failed: %s %s", method, error.code.name, error.reason)
    _abort_with(context, grpc_status(error))


def _abort_with(context: grpc.ServicerContext, status: grpc.Status) -> None:
    # Same effect as context.abort_with_status, spelled out so that test
    # contexts (grpcio-testing) that lack it behave like the real server.
    context.set_trailing_metadata(status.trailing_metadata)
    context.abort(status.code, status.details)


def _abort_internal(context: grpc.ServicerContext, method: str) -> None:
    incident = uuid.uuid4().hex[:12]
    log.error("%s crashed (incident %s)", method, incident, exc_info=True)
    _abort_with(context, grpc_status(Internal(f"internal error (incident {incident})")))


def _finish(context: grpc.ServicerContext, method: str, code: str, started: float, observe: CallObserver | None) -> None:
    elapsed = time.monotonic() - started
    if code == "OK" and not context.is_active():
        code = "CANCELLED"
    log.info("rpc", extra={"rpc_method": method, "rpc_code": code, "duration_ms": round(elapsed * 1000, 2)})
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
