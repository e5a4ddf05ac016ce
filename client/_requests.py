"""Request building shared by the sync and asyncio clients."""

from __future__ import annotations

import os
from typing import BinaryIO, Protocol, cast

from planocr.v1 import ocr_service_pb2, page_pb2

MiB = 1024 * 1024
DEFAULT_CHUNK_SIZE = 1 * MiB
#: The contract's limit for one upload chunk.
MAX_CHUNK_SIZE = 3 * MiB

#: What ``upload`` accepts: a file path, the file's bytes, or a binary file object.
UploadSource = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO

_TEXT_SOURCE_MODES = {
    "auto": page_pb2.TEXT_SOURCE_MODE_AUTO,
    "ocr": page_pb2.TEXT_SOURCE_MODE_OCR,
    "text_layer": page_pb2.TEXT_SOURCE_MODE_TEXT_LAYER,
}


def page_view(full: bool) -> page_pb2.PageView:
    """FULL or BASIC."""
    return page_pb2.PAGE_VIEW_FULL if full else page_pb2.PAGE_VIEW_BASIC


def text_source_mode(value: int | str | None) -> page_pb2.TextSourceMode:
    """Accept a ``TextSourceMode`` value or name, or ``"auto"``, ``"ocr"``, ``"text-layer"`` (or ``"text_layer"``).

    None means the server's default.
    """
    if value is None:
        return page_pb2.TEXT_SOURCE_MODE_UNSPECIFIED
    if isinstance(value, str):
        key = value.lower().replace("-", "_").removeprefix("text_source_mode_")
        if key not in _TEXT_SOURCE_MODES:
            raise ValueError(f"unknown text_source {value!r}; expected one of {sorted(_TEXT_SOURCE_MODES)}")
        return _TEXT_SOURCE_MODES[key]
    page_pb2.TextSourceMode.Name(value)  # raises ValueError for a number the contract does not define
    return cast(page_pb2.TextSourceMode, value)


def process_options(
    force: bool, engine: str, text_source: int | str | None
) -> ocr_service_pb2.ProcessOptions:
    """The ProcessOptions message for ProcessPage and ProcessDocument."""
    return ocr_service_pb2.ProcessOptions(
        force=force, engine=engine, text_source_mode=text_source_mode(text_source)
    )


def process_page_request(
    page_id: str, force: bool, engine: str, text_source: int | str | None, full: bool
) -> ocr_service_pb2.ProcessPageRequest:
    """The ProcessPage request of the sync and asyncio clients."""
    return ocr_service_pb2.ProcessPageRequest(
        page_id=page_id, options=process_options(force, engine, text_source), view=page_view(full)
    )


def upload_metadata(
    *,
    filename: str,
    content_type: str | None,
    request_id: str | None,
    render_dpi: int,
    source_key: str = "",
) -> ocr_service_pb2.CreateDocumentRequest:
    """The first message of a CreateDocument stream."""
    if not filename:
        raise ValueError("filename is required")
    if render_dpi < 0:
        raise ValueError("render_dpi must be 0 (server default) or positive")
    return ocr_service_pb2.CreateDocumentRequest(
        metadata=ocr_service_pb2.DocumentUpload(
            filename=filename,
            content_type=content_type or "",
            request_id=request_id or "",
            source_key=source_key,
            render_dpi=render_dpi,
        )
    )


def check_chunk_size(chunk_size: int) -> None:
    """Refuse chunk sizes the server would reject."""
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be between 1 and {MAX_CHUNK_SIZE} bytes, got {chunk_size}")


class Reader(Protocol):
    """A source of upload bytes opened for one attempt."""

    def read(self, size: int) -> bytes: ...

    def close(self) -> None: ...


class UploadBody:
    """The bytes of one upload, which can be read from the start once per attempt.

    Paths are opened afresh for each attempt; bytes are sliced without a copy
    of the whole buffer; a file object is rewound to where it stood when the
    upload began, which is only possible when it is seekable.
    """

    def __init__(self, source: UploadSource) -> None:
        self._path: str | os.PathLike[str] | None = None
        self._data: memoryview | None = None
        self._file: BinaryIO | None = None
        self._start = 0
        if isinstance(source, (str, os.PathLike)):
            self._path = source
        elif isinstance(source, (bytes, bytearray, memoryview)):
            self._data = memoryview(source).cast("B")
        elif hasattr(source, "read"):
            self._file = source
            if self._file.seekable():
                self._start = self._file.tell()
        else:
            raise TypeError(f"cannot upload a {type(source).__name__}; pass a path, bytes or a binary file")

    @property
    def rewindable(self) -> bool:
        """Whether the body can be read again for a retry."""
        return self._file is None or self._file.seekable()

    @property
    def blocking(self) -> bool:
        """Whether opening and reading touch a file (and belong off the event loop)."""
        return self._data is None

    def default_filename(self) -> str | None:
        """The file's base name, when the source has one."""
        name = self._path if self._path is not None else getattr(self._file, "name", None)
        if isinstance(name, (str, os.PathLike)):
            return os.path.basename(os.fspath(name)) or None
        return None

    def open(self) -> Reader:
        """Open the body for one attempt, positioned at its start."""
        if self._path is not None:
            return open(self._path, "rb")
        if self._data is not None:
            return _MemoryReader(self._data)
        assert self._file is not None
        if self._file.seekable():
            self._file.seek(self._start)
        return _BorrowedReader(self._file)


def chunk_request(chunk: bytes) -> ocr_service_pb2.CreateDocumentRequest:
    """One data message of a CreateDocument stream."""
    return ocr_service_pb2.CreateDocumentRequest(chunk=chunk)


class _MemoryReader:
    def __init__(self, data: memoryview) -> None:
        self._data = data
        self._position = 0

    def read(self, size: int) -> bytes:
        chunk = bytes(self._data[self._position : self._position + size])
        self._position += len(chunk)
        return chunk

    def close(self) -> None:
        pass


class _BorrowedReader:
    """Reads the caller's file object without closing it: it is theirs."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def read(self, size: int) -> bytes:
        return self._file.read(size)

    def close(self) -> None:
        pass
