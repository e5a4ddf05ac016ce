"""The one place where domain errors become gRPC statuses (AIP-193).

Every error status carries a google.rpc.Status in the trailers with a
google.rpc.ErrorInfo detail: domain ``planocr.dev``, a stable ``reason`` and
string metadata. Clients read it with grpcio-status's ``rpc_status.from_call``.

Messages and metadata values are bounded (``planocr.errors.MAX_MESSAGE_BYTES``):
a page's stored error may predate that bound, so it is applied here again.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from planocr.errors import DOMAIN, MAX_METADATA_BYTES, PlanocrError, clip


def status_proto(error: PlanocrError) -> status_pb2.Status:
    """The google.rpc.Status for a domain error (also stored in Page.error)."""
    metadata = {clip(k, MAX_METADATA_BYTES): clip(v, MAX_METADATA_BYTES) for k, v in error.metadata.items()}
    info = error_details_pb2.ErrorInfo(reason=str(error.reason), domain=DOMAIN, metadata=metadata)
    detail = any_pb2.Any()
    detail.Pack(info)
    return status_pb2.Status(code=int(error.code), message=clip(error.message), details=[detail])


def grpc_status(error: PlanocrError) -> grpc.Status:
    return rpc_status.to_status(status_proto(error))


def grpc_code(error: PlanocrError) -> grpc.StatusCode:
    return getattr(grpc.StatusCode, error.code.name)
