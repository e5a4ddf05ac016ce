import datetime

from google.longrunning import operations_pb2 as _operations_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from planocr.v1 import document_pb2 as _document_pb2
from planocr.v1 import page_pb2 as _page_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProcessOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROCESS_OUTCOME_UNSPECIFIED: _ClassVar[ProcessOutcome]
    PROCESS_OUTCOME_PROCESSED: _ClassVar[ProcessOutcome]
    PROCESS_OUTCOME_ALREADY_COMPLETED: _ClassVar[ProcessOutcome]
    PROCESS_OUTCOME_PROCESSED_ELSEWHERE: _ClassVar[ProcessOutcome]
PROCESS_OUTCOME_UNSPECIFIED: ProcessOutcome
PROCESS_OUTCOME_PROCESSED: ProcessOutcome
PROCESS_OUTCOME_ALREADY_COMPLETED: ProcessOutcome
PROCESS_OUTCOME_PROCESSED_ELSEWHERE: ProcessOutcome

class DocumentUpload(_message.Message):
    __slots__ = ("filename", "content_type", "request_id", "source_key", "render_dpi")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_KEY_FIELD_NUMBER: _ClassVar[int]
    RENDER_DPI_FIELD_NUMBER: _ClassVar[int]
    filename: str
    content_type: str
    request_id: str
    source_key: str
    render_dpi: int
    def __init__(self, filename: _Optional[str] = ..., content_type: _Optional[str] = ..., request_id: _Optional[str] = ..., source_key: _Optional[str] = ..., render_dpi: _Optional[int] = ...) -> None: ...

class CreateDocumentRequest(_message.Message):
    __slots__ = ("metadata", "chunk")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    metadata: DocumentUpload
    chunk: bytes
    def __init__(self, metadata: _Optional[_Union[DocumentUpload, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class CreateDocumentResponse(_message.Message):
    __slots__ = ("document", "created")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    created: bool
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetDocumentRequest(_message.Message):
    __slots__ = ("document_id",)
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    def __init__(self, document_id: _Optional[str] = ...) -> None: ...

class GetDocumentResponse(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ...) -> None: ...

class ListPagesRequest(_message.Message):
    __slots__ = ("document_id", "page_size", "page_token", "view")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    page_size: int
    page_token: str
    view: _page_pb2.PageView
    def __init__(self, document_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., view: _Optional[_Union[_page_pb2.PageView, str]] = ...) -> None: ...

class ListPagesResponse(_message.Message):
    __slots__ = ("pages", "next_page_token", "total_size")
    PAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    pages: _containers.RepeatedCompositeFieldContainer[_page_pb2.Page]
    next_page_token: str
    total_size: int
    def __init__(self, pages: _Optional[_Iterable[_Union[_page_pb2.Page, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetPageRequest(_message.Message):
    __slots__ = ("page_id", "view")
    PAGE_ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    page_id: str
    view: _page_pb2.PageView
    def __init__(self, page_id: _Optional[str] = ..., view: _Optional[_Union[_page_pb2.PageView, str]] = ...) -> None: ...

class GetPageResponse(_message.Message):
    __slots__ = ("page",)
    PAGE_FIELD_NUMBER: _ClassVar[int]
    page: _page_pb2.Page
    def __init__(self, page: _Optional[_Union[_page_pb2.Page, _Mapping]] = ...) -> None: ...

class ProcessOptions(_message.Message):
    __slots__ = ("force", "engine", "text_source_mode")
    FORCE_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    TEXT_SOURCE_MODE_FIELD_NUMBER: _ClassVar[int]
    force: bool
    engine: str
    text_source_mode: _page_pb2.TextSourceMode
    def __init__(self, force: _Optional[bool] = ..., engine: _Optional[str] = ..., text_source_mode: _Optional[_Union[_page_pb2.TextSourceMode, str]] = ...) -> None: ...

class ProcessPageRequest(_message.Message):
    __slots__ = ("page_id", "options", "view")
    PAGE_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    page_id: str
    options: ProcessOptions
    view: _page_pb2.PageView
    def __init__(self, page_id: _Optional[str] = ..., options: _Optional[_Union[ProcessOptions, _Mapping]] = ..., view: _Optional[_Union[_page_pb2.PageView, str]] = ...) -> None: ...

class ProcessPageResponse(_message.Message):
    __slots__ = ("page", "outcome")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    page: _page_pb2.Page
    outcome: ProcessOutcome
    def __init__(self, page: _Optional[_Union[_page_pb2.Page, _Mapping]] = ..., outcome: _Optional[_Union[ProcessOutcome, str]] = ...) -> None: ...

class ProcessDocumentRequest(_message.Message):
    __slots__ = ("document_id", "options")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    options: ProcessOptions
    def __init__(self, document_id: _Optional[str] = ..., options: _Optional[_Union[ProcessOptions, _Mapping]] = ...) -> None: ...

class DocumentStarted(_message.Message):
    __slots__ = ("document_id", "total_pages", "to_process", "skipped")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PAGES_FIELD_NUMBER: _ClassVar[int]
    TO_PROCESS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    total_pages: int
    to_process: int
    skipped: int
    def __init__(self, document_id: _Optional[str] = ..., total_pages: _Optional[int] = ..., to_process: _Optional[int] = ..., skipped: _Optional[int] = ...) -> None: ...

class PageProcessed(_message.Message):
    __slots__ = ("page_id", "page_number", "state", "sheet_number", "title", "scale_text", "error", "outcome", "processing_time", "done", "total", "finish_time")
    PAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SHEET_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SCALE_TEXT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_TIME_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    page_id: str
    page_number: int
    state: _page_pb2.PageState
    sheet_number: str
    title: str
    scale_text: str
    error: _status_pb2.Status
    outcome: ProcessOutcome
    processing_time: _duration_pb2.Duration
    done: int
    total: int
    finish_time: _timestamp_pb2.Timestamp
    def __init__(self, page_id: _Optional[str] = ..., page_number: _Optional[int] = ..., state: _Optional[_Union[_page_pb2.PageState, str]] = ..., sheet_number: _Optional[str] = ..., title: _Optional[str] = ..., scale_text: _Optional[str] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., outcome: _Optional[_Union[ProcessOutcome, str]] = ..., processing_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., done: _Optional[int] = ..., total: _Optional[int] = ..., finish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DocumentSummary(_message.Message):
    __slots__ = ("document_id", "total_pages", "completed", "failed", "skipped", "elapsed", "duplicate_sheet_numbers")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PAGES_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_SHEET_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    total_pages: int
    completed: int
    failed: int
    skipped: int
    elapsed: _duration_pb2.Duration
    duplicate_sheet_numbers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, document_id: _Optional[str] = ..., total_pages: _Optional[int] = ..., completed: _Optional[int] = ..., failed: _Optional[int] = ..., skipped: _Optional[int] = ..., elapsed: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., duplicate_sheet_numbers: _Optional[_Iterable[str]] = ...) -> None: ...

class ProcessDocumentResponse(_message.Message):
    __slots__ = ("started", "page", "summary")
    STARTED_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    started: DocumentStarted
    page: PageProcessed
    summary: DocumentSummary
    def __init__(self, started: _Optional[_Union[DocumentStarted, _Mapping]] = ..., page: _Optional[_Union[PageProcessed, _Mapping]] = ..., summary: _Optional[_Union[DocumentSummary, _Mapping]] = ...) -> None: ...

class StartDocumentRequest(_message.Message):
    __slots__ = ("document_id", "options", "request_id", "priority")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    options: ProcessOptions
    request_id: str
    priority: int
    def __init__(self, document_id: _Optional[str] = ..., options: _Optional[_Union[ProcessOptions, _Mapping]] = ..., request_id: _Optional[str] = ..., priority: _Optional[int] = ...) -> None: ...

class DocumentProgress(_message.Message):
    __slots__ = ("document_id", "total_pages", "to_process", "done", "completed", "failed", "skipped", "priority", "create_time", "end_time", "cancel_requested")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PAGES_FIELD_NUMBER: _ClassVar[int]
    TO_PROCESS_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    total_pages: int
    to_process: int
    done: int
    completed: int
    failed: int
    skipped: int
    priority: int
    create_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    cancel_requested: bool
    def __init__(self, document_id: _Optional[str] = ..., total_pages: _Optional[int] = ..., to_process: _Optional[int] = ..., done: _Optional[int] = ..., completed: _Optional[int] = ..., failed: _Optional[int] = ..., skipped: _Optional[int] = ..., priority: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_requested: _Optional[bool] = ...) -> None: ...

class WatchDocumentRequest(_message.Message):
    __slots__ = ("document_id", "since")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    since: _timestamp_pb2.Timestamp
    def __init__(self, document_id: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DocumentSnapshot(_message.Message):
    __slots__ = ("document", "operation")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    operation: str
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., operation: _Optional[str] = ...) -> None: ...

class WatchDocumentResponse(_message.Message):
    __slots__ = ("snapshot", "page", "summary")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    snapshot: DocumentSnapshot
    page: PageProcessed
    summary: DocumentSummary
    def __init__(self, snapshot: _Optional[_Union[DocumentSnapshot, _Mapping]] = ..., page: _Optional[_Union[PageProcessed, _Mapping]] = ..., summary: _Optional[_Union[DocumentSummary, _Mapping]] = ...) -> None: ...
