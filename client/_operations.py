"""Background operations (StartDocument) as the clients return them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from google.longrunning import operations_pb2
from google.protobuf import duration_pb2, timestamp_pb2

from planocr.client import _requests
from planocr.client.errors import PlanocrError, from_status
from planocr.v1 import ocr_service_pb2

#: The longest one WaitOperation call waits on the server; longer waits are several calls.
SERVER_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class DocumentOperation:
    """A StartDocument operation: its ``name`` (``operations/<id>``), progress and, once ``done``, its outcome.

    ``summary`` is set when it finished (pages that failed are counted in
    it, they do not fail the operation); ``error`` is set when it was
    cancelled. ``operation`` is the google.longrunning.Operation itself.
    """

    name: str
    done: bool
    progress: ocr_service_pb2.DocumentProgress
    summary: ocr_service_pb2.DocumentSummary | None
    error: PlanocrError | None
    operation: operations_pb2.Operation

    @property
    def document_id(self) -> str:
        return self.progress.document_id

    @classmethod
    def from_proto(cls, operation: operations_pb2.Operation) -> DocumentOperation:
        progress = ocr_service_pb2.DocumentProgress()
        operation.metadata.Unpack(progress)
        summary = None
        error = None
        if operation.HasField("response"):
            summary = ocr_service_pb2.DocumentSummary()
            operation.response.Unpack(summary)
        elif operation.HasField("error"):
            error = from_status(operation.error)
        return cls(operation.name, operation.done, progress, summary, error, operation)


def start_request(
    document_id: str, force: bool, engine: str, text_source: int | str | None, priority: int, request_id: str
) -> ocr_service_pb2.StartDocumentRequest:
    return ocr_service_pb2.StartDocumentRequest(
        document_id=document_id,
        options=_requests.process_options(force, engine, text_source),
        priority=priority,
        request_id=request_id,
    )


def watch_request(document_id: str, since: dt.datetime | timestamp_pb2.Timestamp | None) -> ocr_service_pb2.WatchDocumentRequest:
    request = ocr_service_pb2.WatchDocumentRequest(document_id=document_id)
    if isinstance(since, timestamp_pb2.Timestamp):
        request.since.CopyFrom(since)
    elif since is not None:
        request.since.FromDatetime(since if since.tzinfo else since.replace(tzinfo=dt.UTC))
    return request


def list_filter(document_id: str | None, done: bool | None) -> str:
    terms = []
    if document_id:
        terms.append(f'document_id = "{document_id}"')
    if done is not None:
        terms.append(f"done = {'true' if done else 'false'}")
    return " AND ".join(terms)


def wait_request(name: str, seconds: float | None) -> operations_pb2.WaitOperationRequest:
    """One WaitOperation call of at most :data:`SERVER_WAIT_SECONDS`, or ``seconds`` if less."""
    wait = SERVER_WAIT_SECONDS if seconds is None else max(0.0, min(seconds, SERVER_WAIT_SECONDS))
    timeout = duration_pb2.Duration()
    timeout.FromMilliseconds(round(wait * 1000))
    return operations_pb2.WaitOperationRequest(name=name, timeout=timeout)
