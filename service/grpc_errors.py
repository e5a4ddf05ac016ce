"""The one place where domain errors become gRPC statuses (AIP-193).

Every error status carries a google.rpc.Status in the trailers with a
google.rpc.ErrorInfo detail: domain ``planocr.dev``, a stable ``reason`` and
string metadata. Clients read it with grpcio-status's ``rpc_status.from_call``.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from planocr.errors import DOMAIN, PlanocrError


def status_proto(error: PlanocrError) -> status_pb2.Status:
    """The google.rpc.Status for a domain error (also stored in Page.error)."""
    info = error_details_pb2.ErrorInfo(reason=str(error.reason), domain=DOMAIN, metadata=error.metadata)
    detail = any_pb2.Any()
    detail.Pack(info)
    return status_pb2.Status(code=int(error.code), message=error.message, details=[detail])


def grpc_status(error: PlanocrError) -> grpc.Status:
    return rpc_status.to_status(status_proto(error))


def grpc_code(error: PlanocrError) -> grpc.StatusCode:
    return getattr(grpc.StatusCode, error.code.name)
