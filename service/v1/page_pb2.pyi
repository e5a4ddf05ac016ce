import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PageState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAGE_STATE_UNSPECIFIED: _ClassVar[PageState]
    PAGE_STATE_PENDING: _ClassVar[PageState]
    PAGE_STATE_PROCESSING: _ClassVar[PageState]
    PAGE_STATE_COMPLETED: _ClassVar[PageState]
    PAGE_STATE_FAILED: _ClassVar[PageState]

class TextSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TEXT_SOURCE_UNSPECIFIED: _ClassVar[TextSource]
    TEXT_SOURCE_OCR: _ClassVar[TextSource]
    TEXT_SOURCE_TEXT_LAYER: _ClassVar[TextSource]
    TEXT_SOURCE_TEXT_LAYER_AND_OCR: _ClassVar[TextSource]

class TextSourceMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TEXT_SOURCE_MODE_UNSPECIFIED: _ClassVar[TextSourceMode]
    TEXT_SOURCE_MODE_AUTO: _ClassVar[TextSourceMode]
    TEXT_SOURCE_MODE_OCR: _ClassVar[TextSourceMode]
    TEXT_SOURCE_MODE_TEXT_LAYER: _ClassVar[TextSourceMode]

class PageView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAGE_VIEW_UNSPECIFIED: _ClassVar[PageView]
    PAGE_VIEW_BASIC: _ClassVar[PageView]
    PAGE_VIEW_FULL: _ClassVar[PageView]
PAGE_STATE_UNSPECIFIED: PageState
PAGE_STATE_PENDING: PageState
PAGE_STATE_PROCESSING: PageState
PAGE_STATE_COMPLETED: PageState
PAGE_STATE_FAILED: PageState
TEXT_SOURCE_UNSPECIFIED: TextSource
TEXT_SOURCE_OCR: TextSource
TEXT_SOURCE_TEXT_LAYER: TextSource
TEXT_SOURCE_TEXT_LAYER_AND_OCR: TextSource
TEXT_SOURCE_MODE_UNSPECIFIED: TextSourceMode
TEXT_SOURCE_MODE_AUTO: TextSourceMode
TEXT_SOURCE_MODE_OCR: TextSourceMode
TEXT_SOURCE_MODE_TEXT_LAYER: TextSourceMode
PAGE_VIEW_UNSPECIFIED: PageView
PAGE_VIEW_BASIC: PageView
PAGE_VIEW_FULL: PageView

class BoundingBox(_message.Message):
    __slots__ = ("left", "top", "width", "height")
    LEFT_FIELD_NUMBER: _ClassVar[int]
    TOP_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    left: int
    top: int
    width: int
    height: int
    def __init__(self, left: _Optional[int] = ..., top: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class TextBlock(_message.Message):
    __slots__ = ("text", "bounding_box", "confidence", "angle")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    BOUNDING_BOX_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    ANGLE_FIELD_NUMBER: _ClassVar[int]
    text: str
    bounding_box: BoundingBox
    confidence: float
    angle: int
    def __init__(self, text: _Optional[str] = ..., bounding_box: _Optional[_Union[BoundingBox, _Mapping]] = ..., confidence: _Optional[float] = ..., angle: _Optional[int] = ...) -> None: ...

class TitleBlockField(_message.Message):
    __slots__ = ("value", "confidence", "bounding_box")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    BOUNDING_BOX_FIELD_NUMBER: _ClassVar[int]
    value: str
    confidence: float
    bounding_box: BoundingBox
    def __init__(self, value: _Optional[str] = ..., confidence: _Optional[float] = ..., bounding_box: _Optional[_Union[BoundingBox, _Mapping]] = ...) -> None: ...

class TitleBlock(_message.Message):
    __slots__ = ("sheet_number", "sheet_title", "scale", "project_name", "project_number", "date", "revision", "drawn_by", "checked_by", "region")
    SHEET_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SHEET_TITLE_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    DRAWN_BY_FIELD_NUMBER: _ClassVar[int]
    CHECKED_BY_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    sheet_number: TitleBlockField
    sheet_title: TitleBlockField
    scale: TitleBlockField
    project_name: TitleBlockField
    project_number: TitleBlockField
    date: TitleBlockField
    revision: TitleBlockField
    drawn_by: TitleBlockField
    checked_by: TitleBlockField
    region: BoundingBox
    def __init__(self, sheet_number: _Optional[_Union[TitleBlockField, _Mapping]] = ..., sheet_title: _Optional[_Union[TitleBlockField, _Mapping]] = ..., scale: _Optional[_Union[TitleBlockField, _Mapping]] = ..., project_name: _Optional[_Union[TitleBlockField, _Mapping]] = ..., project_number: _Optional[_Union[TitleBlockField, _Mapping]] = ..., date: _Optional[_Union[TitleBlockField, _Mapping]] = ..., revision: _Optional[_Union[TitleBlockField, _Mapping]] = ..., drawn_by: _Optional[_Union[TitleBlockField, _Mapping]] = ..., checked_by: _Optional[_Union[TitleBlockField, _Mapping]] = ..., region: _Optional[_Union[BoundingBox, _Mapping]] = ...) -> None: ...

class Page(_message.Message):
    __slots__ = ("page_id", "document_id", "page_number", "width", "height", "state", "sheet_number", "title", "scale_text", "text", "blocks", "title_block", "detected_sheet_numbers", "detected_titles", "detected_scales", "engine", "text_source", "processing_time", "process_time", "rotation", "error")
    PAGE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SHEET_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SCALE_TEXT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    TITLE_BLOCK_FIELD_NUMBER: _ClassVar[int]
    DETECTED_SHEET_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    DETECTED_TITLES_FIELD_NUMBER: _ClassVar[int]
    DETECTED_SCALES_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    TEXT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_TIME_FIELD_NUMBER: _ClassVar[int]
    PROCESS_TIME_FIELD_NUMBER: _ClassVar[int]
    ROTATION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    page_id: str
    document_id: str
    page_number: int
    width: int
    height: int
    state: PageState
    sheet_number: str
    title: str
    scale_text: str
    text: str
    blocks: _containers.RepeatedCompositeFieldContainer[TextBlock]
    title_block: TitleBlock
    detected_sheet_numbers: _containers.RepeatedScalarFieldContainer[str]
    detected_titles: _containers.RepeatedScalarFieldContainer[str]
    detected_scales: _containers.RepeatedScalarFieldContainer[str]
    engine: str
    text_source: TextSource
    processing_time: _duration_pb2.Duration
    process_time: _timestamp_pb2.Timestamp
    rotation: int
    error: _status_pb2.Status
    def __init__(self, page_id: _Optional[str] = ..., document_id: _Optional[str] = ..., page_number: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., state: _Optional[_Union[PageState, str]] = ..., sheet_number: _Optional[str] = ..., title: _Optional[str] = ..., scale_text: _Optional[str] = ..., text: _Optional[str] = ..., blocks: _Optional[_Iterable[_Union[TextBlock, _Mapping]]] = ..., title_block: _Optional[_Union[TitleBlock, _Mapping]] = ..., detected_sheet_numbers: _Optional[_Iterable[str]] = ..., detected_titles: _Optional[_Iterable[str]] = ..., detected_scales: _Optional[_Iterable[str]] = ..., engine: _Optional[str] = ..., text_source: _Optional[_Union[TextSource, str]] = ..., processing_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., process_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rotation: _Optional[int] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...
