"""CreateDocument: store a drawing set and create its pages, all or nothing.

The file is read to the end (refused as soon as it passes the size limit),
checked, split into page images (PDF pages rendered, TIFF frames decoded),
and every object is stored under ``documents/<id>/``. Only then are the
document and its pages inserted, in one transaction. If anything fails on
the way, the objects written so far are deleted: no document, no pages, no
orphaned objects.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pypdfium2 import PdfiumError
from sqlalchemy import exc as sa_exc

from planocr import imaging, pdf
from planocr.config import Settings
from planocr.db.repository import DocumentRecord, NewPage, Repository
from planocr.engines import textlayer
from planocr.errors import InvalidArgument, NotFound, PlanocrError, Reason, ResourceExhausted
from planocr.storage import Storage, clean_key

log = logging.getLogger(__name__)

_EXTENSIONS = {imaging.PDF: ".pdf", imaging.PNG: ".png", imaging.JPEG: ".jpg", imaging.TIFF: ".tif"}


def _rendered_pages(data: bytes, dpi: int, max_pixels: int) -> Iterator[pdf.RenderedPage]:
    """``pdf.render_pages``, with PDFium refusing to load a page counted as bad input, not a crash."""
    try:
        yield from pdf.render_pages(data, dpi, max_pixels)
    except PdfiumError as exc:
        # e.g. a page-tree entry whose object is not a page: PDFium opens the file, then fails on the page.
        raise InvalidArgument("a page of the PDF cannot be read (damaged file)", reason=Reason.PDF_UNREADABLE) from exc


@dataclass(frozen=True, slots=True)
class UploadRequest:
    filename: str
    content_type: str = ""
    request_id: str = ""
    source_key: str = ""
    render_dpi: int = 0


class Uploads:
    def __init__(self, settings: Settings, repository: Repository, storage: Storage):
        self.settings = settings
        self.repo = repository
        self.storage = storage

    def create(self, request: UploadRequest, chunks: Iterable[bytes]) -> tuple[DocumentRecord, bool]:
        """Create the document; returns it and False when ``request_id`` matched an earlier upload."""
        self._check_request(request)
        if request.request_id:
            earlier = self.repo.find_document_by_request_id(request.request_id)
            if earlier is not None:
                return earlier, False
        if request.source_key:
            data = self._read_source(request.source_key)
        else:
            data = self._read_chunks(chunks)
        media_type = self._media_type(request, data)
        document_id = uuid.uuid4()
        prefix = f"documents/{document_id}/"
        try:
            source_key = request.source_key or f"{prefix}source{_EXTENSIONS[media_type]}"
            if not request.source_key:
                self.storage.put(source_key, bytes(data), media_type)
            pages = list(self._store_pages(prefix, media_type, data, request.render_dpi or self.settings.render_dpi))
            record = self.repo.create_document(
                document_id=document_id,
                filename=request.filename,
                content_type=media_type,
                source_key=source_key,
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                request_id=request.request_id or None,
                pages=pages,
            )
        except sa_exc.IntegrityError:
            self._undo(prefix)
            earlier = self.repo.find_document_by_request_id(request.request_id) if request.request_id else None
            if earlier is None:
                raise
            return earlier, False
        except BaseException:
            self._undo(prefix)
            raise
        return record, True

    def _undo(self, prefix: str) -> None:
        try:
            self.storage.delete_prefix(prefix)
        except PlanocrError:
            log.warning("could not remove the objects of a failed upload under %s", prefix)

    def _check_request(self, request: UploadRequest) -> None:
        if not request.filename or len(request.filename) > 512 or "\x00" in request.filename:
            raise InvalidArgument("metadata.filename is required (at most 512 characters)")
        if request.content_type and request.content_type not in imaging.SUPPORTED_TYPES:
            raise InvalidArgument(
                f"content type {request.content_type!r} is not supported; use one of {', '.join(imaging.SUPPORTED_TYPES)}",
                reason=Reason.UNSUPPORTED_MEDIA_TYPE,
            )
        if len(request.request_id) > 256:
            raise InvalidArgument("metadata.request_id is longer than 256 characters")
        if "\x00" in request.request_id:
            # PostgreSQL text cannot hold NUL; the driver would fail the lookup with a bare ValueError.
            raise InvalidArgument("metadata.request_id must not contain NUL characters")
        if request.render_dpi and not 36 <= request.render_dpi <= 1200:
            raise InvalidArgument("metadata.render_dpi must be between 36 and 1200")
        if request.source_key:
            clean_key(request.source_key)

    def _read_source(self, key: str) -> bytes:
        try:
            data = self.storage.get(key)
        except NotFound:
            raise NotFound(f"no object {key!r} in storage", reason=Reason.OBJECT_NOT_FOUND) from None
        self._check_size(len(data))
        return data

    def _read_chunks(self, chunks: Iterable[bytes]) -> bytes:
        buffer = bytearray()
        for chunk in chunks:
            buffer += chunk
            self._check_size(len(buffer))
        if not buffer:
            raise InvalidArgument("the upload has no file bytes", reason=Reason.UPLOAD_INCOMPLETE)
        return bytes(buffer)

    def _check_size(self, size: int) -> None:
        if size > self.settings.max_upload_bytes:
            raise ResourceExhausted(
                f"the upload is larger than the limit of {self.settings.max_upload_bytes:,} bytes",
                reason=Reason.UPLOAD_TOO_LARGE,
                metadata={"max_upload_bytes": str(self.settings.max_upload_bytes)},
            )

    def _media_type(self, request: UploadRequest, data: bytes) -> str:
        sniffed = imaging.sniff_media_type(data[:1024])
        declared = request.content_type or mimetypes.guess_type(request.filename)[0] or ""
        if declared == imaging.PDF and sniffed != imaging.PDF:
            raise InvalidArgument("the file is labelled as a PDF but is not one", reason=Reason.PDF_UNREADABLE)
        if sniffed is None:
            raise InvalidArgument(
                "the file is not a PDF, PNG, JPEG or TIFF", reason=Reason.UNSUPPORTED_MEDIA_TYPE
            )
        return sniffed

    def _store_pages(self, prefix: str, media_type: str, data: bytes, dpi: int) -> Iterator[NewPage]:
        if media_type == imaging.PDF:
            for rendered in _rendered_pages(data, dpi, self.settings.max_page_pixels):
                number = rendered.index + 1
                image_key = f"{prefix}pages/{number:04d}.png"
                self.storage.put(image_key, imaging.encode_png(rendered.image, rendered.dpi), imaging.PNG)
                words_key = None
                if rendered.words:
                    words_key = f"{prefix}pages/{number:04d}.words.json"
                    layer = textlayer.layer_to_json(rendered.words, rendered.rules())
                    self.storage.put(words_key, layer, "application/json")
                yield NewPage(number, image_key, rendered.image.width, rendered.image.height, rendered.dpi, words_key)
            return
        count = 0
        for index, (image, image_dpi) in enumerate(imaging.decode_frames(data, self.settings.max_image_pixels)):
            number = index + 1
            image_key = f"{prefix}pages/{number:04d}.png"
            self.storage.put(image_key, imaging.encode_png(image, image_dpi), imaging.PNG)
            count += 1
            yield NewPage(number, image_key, image.width, image.height, image_dpi)
        if count == 0:
            raise InvalidArgument("the image has no pages", reason=Reason.DOCUMENT_EMPTY)
