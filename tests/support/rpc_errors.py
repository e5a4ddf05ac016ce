"""An RpcError built by hand, for error paths a real server cannot produce on demand."""

from __future__ import annotations

import grpc


class FakeRpcError(grpc.RpcError, grpc.Call):
    """Shaped like the errors sync gRPC raises: a status code, details and trailing metadata."""

    def __init__(self, code: grpc.StatusCode, details: str, trailing_metadata=()):
        self._code, self._details, self._trailing = code, details, tuple(trailing_metadata or ())

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailing

    def initial_metadata(self):
        return ()

    def is_active(self):
        return False

    def time_remaining(self):
        return None

    def cancel(self):
        return False

    def add_callback(self, callback):
        return False
