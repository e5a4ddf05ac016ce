"""What every servicer needs of a call: its deadline as a monotonic time, and a token set when the call ends."""

from __future__ import annotations

import time

import grpc

from planocr.jobs.cancel import CancelToken
from planocr.rpc.interceptors import deadline_passed

#: A call without a deadline reports a remaining time of centuries; treat anything past this as none.
NO_DEADLINE_AFTER = 10 * 365 * 24 * 3600.0


def deadline(context: grpc.ServicerContext) -> float | None:
    remaining = context.time_remaining()
    if remaining is None or remaining > NO_DEADLINE_AFTER:
        # grpcurl and other callers without a deadline: waiting that long overflows time_t.
        return None
    return time.monotonic() + remaining


def cancel_token(context: grpc.ServicerContext, parent: CancelToken) -> CancelToken:
    token = CancelToken(parent)
    context.add_callback(lambda: token.cancel(expired=deadline_passed(context)))
    return token


