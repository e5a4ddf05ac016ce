"""Python client for planocr: sync and asyncio.

Blocking code uses :class:`PlanocrClient`; asyncio code (the FastAPI app)
uses :class:`AsyncPlanocrClient`. Both return the ``planocr.v1`` protobuf
messages, re-exported here, and raise the exceptions of
:mod:`planocr.client.errors`, also re-exported::

    from planocr.client import PlanocrClient, NotFound, PAGE_STATE_COMPLETED

    with PlanocrClient("planocr:50051", token=token) as client:
        document = client.upload("A-sheets.pdf", request_id=upload_id)
        for event in client.process_document(document.document_id):
            if event.HasField("page"):
                index[event.page.page_number] = event.page.sheet_number
"""

from planocr.client._operations import DocumentOperation
from planocr.client.aio import AsyncPlanocrClient, AsyncProcessDocumentStream, AsyncWatchDocumentStream
from planocr.client.errors import (
    DOMAIN,
    Aborted,
    AlreadyExists,
    Cancelled,
    DataLoss,
    DeadlineExceeded,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    NotFound,
    OutOfRange,
    PermissionDenied,
    PlanocrError,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    Unknown,
    exception_class_for,
    from_grpc_error,
    from_status,
)
from planocr.client.retry import RetryPolicy
from planocr.client.sync import PendingCall, PlanocrClient, ProcessDocumentStream, WatchDocumentStream
from planocr.v1.document_pb2 import Document, PageCounts
from planocr.v1.ocr_service_pb2 import (
    PROCESS_OUTCOME_ALREADY_COMPLETED,
    PROCESS_OUTCOME_PROCESSED,
    PROCESS_OUTCOME_PROCESSED_ELSEWHERE,
    PROCESS_OUTCOME_UNSPECIFIED,
    CreateDocumentResponse,
    DocumentProgress,
    DocumentSnapshot,
    DocumentStarted,
    DocumentSummary,
    ListPagesResponse,
    PageProcessed,
    ProcessDocumentResponse,
    ProcessOptions,
    ProcessOutcome,
    ProcessPageResponse,
    WatchDocumentResponse,
)
from planocr.v1.page_pb2 import (
    PAGE_STATE_COMPLETED,
    PAGE_STATE_FAILED,
    PAGE_STATE_PENDING,
    PAGE_STATE_PROCESSING,
    PAGE_STATE_UNSPECIFIED,
    PAGE_VIEW_BASIC,
    PAGE_VIEW_FULL,
    PAGE_VIEW_UNSPECIFIED,
    TEXT_SOURCE_MODE_AUTO,
    TEXT_SOURCE_MODE_OCR,
    TEXT_SOURCE_MODE_TEXT_LAYER,
    TEXT_SOURCE_MODE_UNSPECIFIED,
    TEXT_SOURCE_OCR,
    TEXT_SOURCE_TEXT_LAYER,
    TEXT_SOURCE_UNSPECIFIED,
    BoundingBox,
    Page,
    PageState,
    PageView,
    TextBlock,
    TextSource,
    TextSourceMode,
    TitleBlock,
    TitleBlockField,
)

__all__ = [
    # clients
    "PlanocrClient",
    "AsyncPlanocrClient",
    "ProcessDocumentStream",
    "PendingCall",
    "AsyncProcessDocumentStream",
    "WatchDocumentStream",
    "AsyncWatchDocumentStream",
    "DocumentOperation",
    "RetryPolicy",
    # errors
    "DOMAIN",
    "PlanocrError",
    "Aborted",
    "AlreadyExists",
    "Cancelled",
    "DataLoss",
    "DeadlineExceeded",
    "FailedPrecondition",
    "Internal",
    "InvalidArgument",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "exception_class_for",
    "from_grpc_error",
    "from_status",
    # messages
    "Document",
    "PageCounts",
    "Page",
    "TitleBlock",
    "TitleBlockField",
    "TextBlock",
    "BoundingBox",
    "CreateDocumentResponse",
    "ListPagesResponse",
    "ProcessOptions",
    "ProcessPageResponse",
    "ProcessDocumentResponse",
    "DocumentStarted",
    "PageProcessed",
    "DocumentSummary",
    "DocumentProgress",
    "DocumentSnapshot",
    "WatchDocumentResponse",
    # enums
    "PageState",
    "PageView",
    "TextSource",
    "TextSourceMode",
    "ProcessOutcome",
    "PAGE_STATE_UNSPECIFIED",
    "PAGE_STATE_PENDING",
    "PAGE_STATE_PROCESSING",
    "PAGE_STATE_COMPLETED",
    "PAGE_STATE_FAILED",
    "PAGE_VIEW_UNSPECIFIED",
    "PAGE_VIEW_BASIC",
    "PAGE_VIEW_FULL",
    "TEXT_SOURCE_UNSPECIFIED",
    "TEXT_SOURCE_OCR",
    "TEXT_SOURCE_TEXT_LAYER",
    "TEXT_SOURCE_MODE_UNSPECIFIED",
    "TEXT_SOURCE_MODE_AUTO",
    "TEXT_SOURCE_MODE_OCR",
    "TEXT_SOURCE_MODE_TEXT_LAYER",
    "PROCESS_OUTCOME_UNSPECIFIED",
    "PROCESS_OUTCOME_PROCESSED",
    "PROCESS_OUTCOME_ALREADY_COMPLETED",
    "PROCESS_OUTCOME_PROCESSED_ELSEWHERE",
]
