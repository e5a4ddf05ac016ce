"""PDF pages through PDFium (pypdfium2): validation, rendering and the text layer.

PDFium is not thread-safe, not even across separate documents, so every call
into it holds :data:`PDFIUM_LOCK`. Work done on the results (PNG encoding,
OCR) happens after the lock is released.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image

from planocr.engines.base import Box, Word
from planocr.errors import InvalidArgument, Reason

PDFIUM_LOCK = threading.RLock()


@dataclass(slots=True)
class RenderedPage:
    """One PDF page as a greyscale image, plus its text layer in the image's pixels."""

    index: int
    image: Image.Image
    dpi: int
    words: list[Word]


@contextmanager
def open_pdf(data: bytes) -> Iterator[pdfium.PdfDocument]:
    """Open a PDF (caller holds PDFIUM_LOCK), mapping PDFium's errors to domain errors."""
    if not data:
        raise InvalidArgument("PDF is empty (0 bytes)", reason=Reason.PDF_UNREADABLE)
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text or "security" in text:
            raise InvalidArgument("PDF is encrypted with a password", reason=Reason.PDF_ENCRYPTED) from exc
        raise InvalidArgument(f"PDF cannot be read: {exc}", reason=Reason.PDF_UNREADABLE) from exc
    try:
        yield document
    finally:
        document.close()


def count_pages(data: bytes) -> int:
    """The number of pages; refuses unreadable, encrypted and empty PDFs."""
    with PDFIUM_LOCK, open_pdf(data) as document:
        count = len(document)
    if count == 0:
        raise InvalidArgument("PDF has no pages", reason=Reason.DOCUMENT_EMPTY)
    return count


def render_scale(width_pt: float, height_pt: float, dpi: int, max_pixels: int) -> float:
    """Pixels per PDF point for ``dpi``, lowered so the page fits in ``max_pixels``."""
    scale = dpi / 72.0
    if width_pt * height_pt * scale * scale > max_pixels:
        scale = math.sqrt(max_pixels / (width_pt * height_pt))
    return scale


def render_pages(data: bytes, dpi: int, max_pixels: int) -> Iterator[RenderedPage]:
    """Render each page to greyscale at ``dpi`` (capped by ``max_pixels``) with its text layer.

    Pages are produced one at a time so only one page image is in memory.
    """
    for index in range(count_pages(data)):
        with PDFIUM_LOCK, open_pdf(data) as document:
            page = document[index]
            try:
                width_pt, height_pt = page.get_size()
                scale = render_scale(width_pt, height_pt, dpi, max_pixels)
                try:
                    bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=False)
                    image = bitmap.to_pil().convert("L")
                except pdfium.PdfiumError as exc:
                    raise InvalidArgument(f"page {index + 1} cannot be rendered: {exc}", reason=Reason.PDF_UNREADABLE) from exc
                words = text_layer_words(page, scale, image.size)
            finally:
                page.close()
        yield RenderedPage(index=index, image=image, dpi=round(scale * 72), words=words)


def text_layer_words(page: pdfium.PdfPage, scale: float, size: tuple[int, int]) -> list[Word]:
    """Words of the page's text layer with boxes in rendered-image pixels (caller holds the lock)."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count <= 0:
            return []
        text = textpage.get_text_range(0, count)
        _, height_pt = page.get_size()
        rotation = page.get_rotation() % 360
        words: list[Word] = []
        current: list[str] = []
        boxes: list[tuple[float, float, float, float]] = []

        def flush() -> None:
            if current:
                x0 = min(b[0] for b in boxes)
                y0 = min(b[1] for b in boxes)
                x1 = max(b[2] for b in boxes)
                y1 = max(b[3] for b in boxes)
                words.append(Word("".join(current), _to_pixels((x0, y0, x1, y1), page, scale, rotation, size), 1.0))
                current.clear()
                boxes.clear()

        for i, char in enumerate(text[:count]):
            if char.isspace() or char == "\x00":
                flush()
                continue
            left, bottom, right, top = textpage.get_charbox(i)
            current.append(char)
            boxes.append((left, height_pt - top, right, height_pt - bottom))
        flush()
        return words
    finally:
        textpage.close()


def _to_pixels(box: tuple[float, float, float, float], page: pdfium.PdfPage, scale: float, rotation: int, size: tuple[int, int]) -> Box:
    """Map a box in unrotated page points (origin top left) into the rendered image."""
    x0, y0, x1, y1 = (v * scale for v in box)
    width, height = size
    if rotation == 90:
        return Box.from_corners(width - y1, x0, width - y0, x1)
    if rotation == 180:
        return Box.from_corners(width - x1, height - y1, width - x0, height - y0)
    if rotation == 270:
        return Box.from_corners(y0, height - x1, y1, height - x0)
    return Box.from_corners(x0, y0, x1, y1)
