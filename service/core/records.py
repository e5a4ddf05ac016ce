"""The states and text sources a page record carries, with their names in planocr.v1.

The values are what the ``pages`` table stores (``status``, ``text_source``)
and what settings and the command line accept (``TextSourceMode``); each
enum maps to the names of its planocr.v1 enum (``proto_name``), which the
rpc layer looks up in the generated module, so this module needs no
protobuf.
"""

from __future__ import annotations

import enum


class PageState(enum.StrEnum):
    """``pages.status``."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    ERROR = "error"

    @property
    def proto_name(self) -> str:
        return _PAGE_STATE_NAMES[self]


_PAGE_STATE_NAMES = {
    PageState.PENDING: "PAGE_STATE_PENDING",
    PageState.PROCESSING: "PAGE_STATE_PROCESSING",
    PageState.COMPLETED: "PAGE_STATE_COMPLETED",
    PageState.ERROR: "PAGE_STATE_FAILED",
}

PENDING = PageState.PENDING
PROCESSING = PageState.PROCESSING
COMPLETED = PageState.COMPLETED
ERROR = PageState.ERROR


class TextSource(enum.StrEnum):
    """Where a page's text came from (``pages.text_source``, ``OcrResult.text_source``)."""

    OCR = "ocr"
    TEXT_LAYER = "text-layer"
    #: The text layer completed by OCR where it has no text.
    TEXT_LAYER_AND_OCR = "text-layer+ocr"

    @property
    def proto_name(self) -> str:
        return f"TEXT_SOURCE_{self.name}"

    @classmethod
    def from_proto_name(cls, name: str) -> TextSource | None:
        """The source a ``planocr.v1.TextSource`` name stands for; None for ``TEXT_SOURCE_UNSPECIFIED``."""
        return cls.__members__.get(name.removeprefix("TEXT_SOURCE_"))


class TextSourceMode(enum.StrEnum):
    """Where page text is to come from (``PLANOCR_TEXT_SOURCE``, ``ProcessOptions.text_source``)."""

    AUTO = "auto"
    OCR = "ocr"
    TEXT_LAYER = "text-layer"

    @property
    def proto_name(self) -> str:
        return f"TEXT_SOURCE_MODE_{self.name}"

    @classmethod
    def from_proto_name(cls, name: str) -> TextSourceMode | None:
        """The mode a ``planocr.v1.TextSourceMode`` name stands for; None for ``TEXT_SOURCE_MODE_UNSPECIFIED``."""
        return cls.__members__.get(name.removeprefix("TEXT_SOURCE_MODE_"))


__all__ = ["COMPLETED", "ERROR", "PENDING", "PROCESSING", "PageState", "TextSource", "TextSourceMode"]
