"""PDF pages through PDFium (pypdfium2): validation, rendering and the text layer.

PDFium is not thread-safe, not even across separate documents, so every call
into it holds :data:`PDFIUM_LOCK`. Work done on the results (PNG encoding,
OCR) happens after the lock is released.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from planocr.core.page import Box, Word
from planocr.errors import InvalidArgument, Reason
from planocr.media import pdffonts

PDFIUM_LOCK = threading.RLock()

_EMPTY_PAGE_TREE = re.compile(rb"/Count\s+0(?![0-9])")
_PAGES_COUNTED = re.compile(rb"/Count\s+[1-9]")


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
        # PDFium's error code is per thread and not reset by a successful call,
        # so it can be stale; the file's own structure tells the cases apart.
        if b"/Encrypt" in data:
            raise InvalidArgument("PDF is encrypted with a password", reason=Reason.PDF_ENCRYPTED) from exc
        if _EMPTY_PAGE_TREE.search(data) and not _PAGES_COUNTED.search(data):
            raise InvalidArgument("PDF has no pages", reason=Reason.DOCUMENT_EMPTY) from exc
        raise InvalidArgument("PDF cannot be read (damaged or not a PDF)", reason=Reason.PDF_UNREADABLE) from exc
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


def text_layer_words(page: pdfium.PdfPage, scale: float, size: tuple[int, int] | None = None) -> list[Word]:
    """Words of the page's text layer with boxes in rendered-image pixels (caller holds the lock).

    Boxes are in the frame of ``page.render(scale=scale)``: the page's
    /Rotate applied, origin at the top left of its visible box (the crop
    box, which need not start at 0, 0). A word ends at whitespace, at a line
    break, where the text turns back or jumps to another line, and where the
    gap to the next character is wider than about half the font height
    (drawings place labels next to each other without spaces). Characters
    whose font has no Unicode mapping are read from the embedded font
    program (:func:`planocr.media.pdffonts.recover_unmapped`); those it cannot
    identify become U+FFFD so that :func:`planocr.media.textlayer.assess`
    can see glyph soup.
    ``Word.angle`` is the direction the text runs in the rendered image.
    """
    textpage = page.get_textpage()
    try:
        return _collect_words(textpage.raw, _PageToPixels(page, scale))
    finally:
        textpage.close()


class _PageToPixels:
    """PDF user space (points, y up) to rendered pixels, the same mapping PDFium's renderer uses."""

    def __init__(self, page: pdfium.PdfPage, scale: float):
        self.left, self.bottom, right, self.top = page.get_bbox()
        self.scale = scale
        self.rotation = page.get_rotation() % 360
        self.width0 = (right - self.left) * scale
        self.height0 = (self.top - self.bottom) * scale

    def point(self, x: float, y: float) -> tuple[float, float]:
        u = (x - self.left) * self.scale
        v = (self.top - y) * self.scale
        if self.rotation == 90:
            return self.height0 - v, u
        if self.rotation == 180:
            return self.width0 - u, self.height0 - v
        if self.rotation == 270:
            return v, self.width0 - u
        return u, v

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        x0, y0 = self.point(left, top)
        x1, y1 = self.point(right, bottom)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _char_angle(raw_page, index: int) -> int:
    """The direction the character runs in PDF user space, counter-clockwise, rounded to 90 degrees."""
    radians = pdfium_c.FPDFText_GetCharAngle(raw_page, index)
    if radians < 0:
        return 0
    # PDFium measures the angle clockwise.
    return -round(math.degrees(radians) / 90) % 4 * 90


def _collect_words(raw_page, to_pixels: _PageToPixels) -> list[Word]:
    words: list[Word] = []
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []
    angle = 0
    rect = pdfium_c.FS_RECTF()

    def flush() -> None:
        if chars:
            x0 = min(b[0] for b in boxes)
            y0 = min(b[1] for b in boxes)
            x1 = max(b[2] for b in boxes)
            y1 = max(b[3] for b in boxes)
            shown = (angle - to_pixels.rotation) % 360
            words.append(Word("".join(chars), Box.from_corners(x0, y0, x1, y1), 1.0, shown))
            chars.clear()
            boxes.clear()

    # Read from the font programs once the page shows an unmapped character: PDFium reports its
    # raw code (a CID, a byte) as its Unicode value, which may even look like whitespace.
    recovered: dict[int, str] | None = None
    for index in range(pdfium_c.FPDFText_CountChars(raw_page)):
        if pdfium_c.FPDFText_HasUnicodeMapError(raw_page, index) == 1:
            if recovered is None:
                recovered = pdffonts.recover_unmapped(raw_page)
            char = recovered.get(index, "\ufffd")
        else:
            code = pdfium_c.FPDFText_GetUnicode(raw_page, index)
            char = chr(code) if 0 < code < 0x110000 else ""
        if not char or char.isspace() or not pdfium_c.FPDFText_GetLooseCharBox(raw_page, index, rect):
            flush()
            continue
        box = to_pixels.box(rect.left, rect.bottom, rect.right, rect.top)
        if box[2] - box[0] <= 0 and box[3] - box[1] <= 0:
            flush()
            continue
        char_angle = _char_angle(raw_page, index)
        if chars and (char_angle != angle or _breaks(boxes[-1], box, (angle - to_pixels.rotation) % 360)):
            flush()
        angle = char_angle
        chars.append(char)
        boxes.append(box)
    flush()
    return words


def _breaks(prev: tuple[float, float, float, float], box: tuple[float, float, float, float], angle: int) -> bool:
    """Whether ``box`` starts a new word after ``prev``: a wide gap, a step back, or another line."""
    if angle in (90, 270):
        size = max(prev[2] - prev[0], box[2] - box[0])
        along = (prev[1] - box[3]) if angle == 90 else (box[1] - prev[3])
        across = abs((prev[0] + prev[2]) - (box[0] + box[2])) / 2
    else:
        size = max(prev[3] - prev[1], box[3] - box[1])
        along = (box[0] - prev[2]) if angle == 0 else (prev[0] - box[2])
        across = abs((prev[1] + prev[3]) - (box[1] + box[3])) / 2
    return along > 0.5 * size or along < -0.5 * size or across > 0.5 * size
