"""google.longrunning.Operations for StartDocument's operations (AIP-151).

Operation names are ``operations/<uuid>``. ListOperations takes an AIP-160
filter of at most two comparisons joined by ``AND``: ``document_id =
"<uuid>"`` and ``done = true|false``; any other filter is INVALID_ARGUMENT.
WaitOperation returns when the operation ends or ``timeout`` passes
(default and ceiling ``MAX_WAIT_SECONDS``, and never past the call's own
deadline), with the operation as it then stands.
"""

from __future__ import annotations

import base64
import re
import time
import uuid

import grpc
from google.longrunning import operations_pb2, operations_pb2_grpc
from google.protobuf import empty_pb2

from planocr.db.repository import parse_id
from planocr.errors import InvalidArgument, NotFound, Reason, quote
from planocr.jobs.cancel import CancelToken
from planocr.jobs.operations import Operations
from planocr.rpc import convert
from planocr.rpc.calls import cancel_token, deadline

SERVICE_NAME = operations_pb2.DESCRIPTOR.services_by_name["Operations"].full_name
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
#: The longest a WaitOperation call waits; a caller that wants longer calls again.
MAX_WAIT_SECONDS = 60.0

_TERM = re.compile(r'^\s*(document_id|done)\s*=\s*("(?P<quoted>[^"]*)"|(?P<bare>\S+))\s*$')


def operation_id(name: str) -> uuid.UUID:
    """The operation's id from its name; NOT_FOUND for a name this service never gives."""
    if not name.startswith(convert.OPERATION_PREFIX):
        raise NotFound(f"operation {quote(name)} not found; names look like operations/<id>", reason=Reason.OPERATION_NOT_FOUND)
    return parse_id(name[len(convert.OPERATION_PREFIX):], "operation name")


def parse_filter(text: str) -> tuple[uuid.UUID | None, bool | None]:
    """(document_id, done) from a ListOperations filter."""
    document_id: uuid.UUID | None = None
    done: bool | None = None
    if not text.strip():
        return None, None
    for term in re.split(r"\s+AND\s+", text.strip()):
        match = _TERM.match(term)
        if match is None:
            raise InvalidArgument(
                f"filter {quote(text)} is not supported; use document_id = \"<id>\" and/or done = true|false"
            )
        field, value = match.group(1), match.group("quoted") if match.group("quoted") is not None else match.group("bare")
        if field == "document_id":
            document_id = parse_id(value, "document_id in the filter")
        elif value in ("true", "false"):
            done = value == "true"
        else:
            raise InvalidArgument(f"done must be true or false in the filter, not {quote(value)}")
    return document_id, done


def _page_token(offset: int, filter_text: str) -> str:
    return base64.urlsafe_b64encode(f"ops1:{offset}:{filter_text}".encode()).decode()


def _offset(token: str, filter_text: str) -> int:
    try:
        version, offset, rest = base64.urlsafe_b64decode(token.encode()).decode().split(":", 2)
        value = int(offset)
    except (ValueError, UnicodeError):
        raise InvalidArgument("page_token is not valid", reason=Reason.INVALID_PAGE_TOKEN) from None
    if version != "ops1" or rest != filter_text or value < 0:
        raise InvalidArgument("page_token does not belong to this request", reason=Reason.INVALID_PAGE_TOKEN)
    return value


class OperationsServicer(operations_pb2_grpc.OperationsServicer):
    def __init__(self, operations: Operations, stopping: CancelToken):
        self.operations = operations
        self.stopping = stopping

    def GetOperation(self, request, context):  # noqa: N802 - gRPC method name
        return convert.operation_message(self.operations.get(operation_id(request.name)))

    def ListOperations(self, request, context):  # noqa: N802
        document_id, done = parse_filter(request.filter)
        if request.page_size < 0:
            raise InvalidArgument("page_size must not be negative")
        size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        offset = _offset(request.page_token, request.filter) if request.page_token else 0
        running = None if done is None else not done
        found = self.operations.list_operations(document_id=document_id, running=running, offset=offset, limit=size + 1)
        return operations_pb2.ListOperationsResponse(
            operations=[convert.operation_message(o) for o in found[:size]],
            next_page_token=_page_token(offset + size, request.filter) if len(found) > size else "",
        )

    def DeleteOperation(self, request, context):  # noqa: N802
        self.operations.delete(operation_id(request.name))
        return empty_pb2.Empty()

    def CancelOperation(self, request, context):  # noqa: N802
        self.operations.cancel(operation_id(request.name))
        return empty_pb2.Empty()

    def WaitOperation(self, request, context):  # noqa: N802
        wanted = operation_id(request.name)
        seconds = MAX_WAIT_SECONDS
        if request.HasField("timeout"):
            asked = request.timeout.ToTimedelta().total_seconds()
            if asked < 0:
                raise InvalidArgument("timeout must not be negative")
            seconds = min(asked, MAX_WAIT_SECONDS)
        until = time.monotonic() + seconds
        call_deadline = deadline(context)
        if call_deadline is not None:
            until = min(until, call_deadline - 0.05)  # answer before the caller gives up
        operation = self.operations.wait(wanted, until, cancel_token(context, self.stopping))
        return convert.operation_message(operation)


def add_to_server(servicer: OperationsServicer, server: grpc.Server) -> None:
    operations_pb2_grpc.add_OperationsServicer_to_server(servicer, server)
