"""Drawing-like test pages, generated: raster images, vector PDFs, outline-text PDFs, scans.

A :class:`Sheet` is a list of text items placed in inches from the top-left
corner of the sheet. The same sheet can be rendered as

* a greyscale image (:func:`render_image`), optionally rotated or degraded
  like a scan (:func:`rotate_scan`, :func:`degrade`);
* a vector PDF with a real text layer (:func:`vector_pdf`), optionally with a
  ``/Rotate`` entry or a media box whose origin is not (0, 0);
* a vector PDF whose text is drawn as glyph outlines, so it has no text layer
  (:func:`outline_pdf`);
* a raster-only PDF that wraps an image (:func:`raster_pdf`).

The font is Bitstream Vera, which ships inside reportlab (a test dependency),
so pages look the same on every machine.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import reportlab
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path(reportlab.__file__).parent / "fonts"
FONT_REGULAR = FONT_DIR / "Vera.ttf"
FONT_BOLD = FONT_DIR / "VeraBd.ttf"

# Vera's vertical metrics, as fractions of the font size.
_ASCENT = 0.928
_DESCENT = 0.236


@dataclass(frozen=True)
class Text:
    """A text item: top-left corner of its box in inches, size in points.

    ``angle`` is the direction the text runs, counter-clockwise: 0, 90
    (reads bottom to top) or 270 (reads top to bottom).
    """

    text: str
    x: float
    y: float
    size: float
    angle: int = 0
    bold: bool = False


@dataclass(frozen=True)
class Rule:
    """A straight line from (x0, y0) to (x1, y1) in inches, ``weight`` in points."""

    x0: float
    y0: float
    x1: float
    y1: float
    weight: float = 1.0


@dataclass(frozen=True)
class Sheet:
    width: float
    height: float
    texts: tuple[Text, ...]
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    @property
    def strings(self) -> list[str]:
        return [t.text for t in self.texts]


def drawing_sheet(
    width: float = 17.0,
    height: float = 11.0,
    *,
    sheet_number: str = "A-101",
    title: str = "FIRST FLOOR PLAN",
    scale: str = "1/4\" = 1'-0\"",
    project: str = "RIVERSIDE CLINIC",
    vertical: str | None = "PROJECT NO 2024-118",
    number_size: float = 40.0,
) -> Sheet:
    """A sparse architectural sheet: plan notes, room labels, a title block at the bottom right.

    The sheet number is large (``number_size`` points; 40 pt is 167 px at
    300 DPI); ``vertical``, when given, runs up the right edge.
    """
    number_width = text_width(sheet_number, number_size, True)
    number_height = (_ASCENT + _DESCENT) * number_size / 72
    # The title block grows with the sheet number so that nothing overlaps or touches a rule.
    tb_left = width - 4.8 - number_width
    tb_top = height - 3.0
    texts = [
        Text("GENERAL NOTES", 0.9, 0.9, 14, bold=True),
        Text("1. VERIFY ALL DIMENSIONS IN FIELD", 0.9, 1.25, 9),
        Text("2. SEE STRUCTURAL FOR FOOTINGS", 0.9, 1.45, 9),
        Text("OFFICE 101", width * 0.35, height * 0.35, 11),
        Text("CORRIDOR", width * 0.43, height * 0.55, 11),
        Text("STORAGE 104", width * 0.26, height * 0.6, 11),
        Text("12'-6\"", width * 0.45, height * 0.25, 8),
        Text("ACME ARCHITECTS", tb_left + 0.2, tb_top + 0.2, 12, bold=True),
        Text(project, tb_left + 0.2, tb_top + 0.55, 11),
        Text("SHEET TITLE", tb_left + 0.2, tb_top + 0.9, 7),
        Text(title, tb_left + 0.2, tb_top + 1.05, 16, bold=True),
        Text(f"SCALE: {scale}", tb_left + 0.2, tb_top + 1.5, 9),
        Text("DATE: 2024-03-15", tb_left + 0.2, tb_top + 1.75, 9),
        Text(sheet_number, width - 0.7 - number_width, height - 0.62 - number_height, number_size, bold=True),
    ]
    if vertical:
        texts.append(Text(vertical, width - 0.42, height * 0.2, 10, angle=90, bold=True))
    rules = [
        Rule(0.5, 0.5, width - 0.5, 0.5, 2),
        Rule(0.5, height - 0.5, width - 0.5, height - 0.5, 2),
        Rule(0.5, 0.5, 0.5, height - 0.5, 2),
        Rule(width - 0.5, 0.5, width - 0.5, height - 0.5, 2),
        Rule(tb_left, tb_top, width - 0.5, tb_top, 1.5),
        Rule(tb_left, tb_top, tb_left, height - 0.5, 1.5),
        Rule(tb_left, tb_top + 1.35, width - 0.5, tb_top + 1.35, 1),
        # Walls of a plan: long thick lines that OCR must not read as text.
        Rule(width * 0.2, height * 0.2, width * 0.58, height * 0.2, 4),
        Rule(width * 0.2, height * 0.2, width * 0.2, height * 0.7, 4),
        Rule(width * 0.58, height * 0.2, width * 0.58, height * 0.7, 4),
        Rule(width * 0.2, height * 0.45, width * 0.4, height * 0.45, 3),
    ]
    return Sheet(width, height, tuple(texts), tuple(rules))


def text_sizes_sheet(width: float = 11.0, height: float = 8.5) -> Sheet:
    """One line per size from 6 to 72 points: checks which sizes an engine reads."""
    texts = []
    y = 0.5
    for i, size in enumerate((6, 8, 10, 14, 20, 28, 40, 56, 72)):
        texts.append(Text(f"SIZE{size} K{i}7", 0.6, y, size, bold=size >= 28))
        y += size / 72 * 1.5 + 0.1
    return Sheet(width, height, tuple(texts))


def text_width(text: str, size: float, bold: bool = False) -> float:
    """How wide ``text`` is at ``size`` points, in inches."""
    return _font(bold, 720).getlength(text) / 720 * size / 72


@cache
def _font(bold: bool, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), px)


def render_image(sheet: Sheet, dpi: int = 150) -> Image.Image:
    """The sheet as a greyscale image, black on white, ``dpi`` pixels per inch."""
    image = Image.new("L", (round(sheet.width * dpi), round(sheet.height * dpi)), 255)
    draw = ImageDraw.Draw(image)
    for rule in sheet.rules:
        width = max(1, round(rule.weight * dpi / 72))
        draw.line([(rule.x0 * dpi, rule.y0 * dpi), (rule.x1 * dpi, rule.y1 * dpi)], fill=0, width=width)
    for item in sheet.texts:
        font = _font(item.bold, max(4, round(item.size * dpi / 72)))
        left, top, right, bottom = font.getbbox(item.text, anchor="ls")
        ascent = round(_ASCENT * item.size * dpi / 72)
        descent = round(_DESCENT * item.size * dpi / 72)
        mask = Image.new("L", (right + 2, ascent + descent), 0)
        ImageDraw.Draw(mask).text((0, ascent), item.text, font=font, fill=255, anchor="ls")
        if item.angle:
            mask = mask.rotate(item.angle, expand=True)
        image.paste(0, (round(item.x * dpi), round(item.y * dpi)), mask)
    image.info["dpi"] = (dpi, dpi)
    return image


def rotate_scan(image: Image.Image, degrees: int) -> Image.Image:
    """The page as scanned turned by ``degrees`` clockwise (90, 180, 270)."""
    turned = image.rotate(-degrees, expand=True)
    turned.info.update(image.info)
    return turned


def degrade(
    image: Image.Image,
    *,
    noise: float = 40.0,
    blur: float = 0.8,
    skew: float = 0.6,
    jpeg_quality: int = 45,
    seed: int = 7,
) -> Image.Image:
    """A scanned look: slight skew (degrees), blur, noise (+-``noise`` grey levels), JPEG artefacts.

    Deterministic for a given ``seed``.
    """
    out = image.rotate(skew, resample=Image.Resampling.BILINEAR, fillcolor=255) if skew else image
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        raw = Image.frombytes("L", out.size, random.Random(seed).randbytes(out.width * out.height))
        centred = raw.point(lambda v: round(128 + (v - 128) * noise / 128))
        out = ImageChops.add(out, centred, 1.0, -128)
    if jpeg_quality:
        buf = io.BytesIO()
        out.save(buf, format="JPEG", quality=jpeg_quality)
        out = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    out.info["dpi"] = image.info.get("dpi", (150, 150))
    return out


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, dpi=image.info.get("dpi", (150, 150)))
    return buf.getvalue()


# --- PDFs -----------------------------------------------------------------


def _canvas(sheet: Sheet, buf: io.BytesIO):
    from reportlab.pdfgen import canvas

    return canvas.Canvas(buf, pagesize=(sheet.width * 72, sheet.height * 72), pageCompression=1)


def _draw_rules(c, sheet: Sheet) -> None:
    h = sheet.height * 72
    for rule in sheet.rules:
        c.setLineWidth(rule.weight)
        c.line(rule.x0 * 72, h - rule.y0 * 72, rule.x1 * 72, h - rule.y1 * 72)


def _place(c, item: Text, sheet_height: float, length: float) -> None:
    """Move the canvas origin to the text's baseline start and turn it to the text's angle."""
    x, y, size = item.x * 72, sheet_height * 72 - item.y * 72, item.size
    if item.angle == 0:
        c.translate(x, y - _ASCENT * size)
    elif item.angle == 90:
        c.translate(x + _ASCENT * size, y - length)
        c.rotate(90)
    elif item.angle == 270:
        c.translate(x + _DESCENT * size, y)
        c.rotate(-90)
    else:
        raise ValueError(f"unsupported angle {item.angle}")


@cache
def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont("Vera", str(FONT_REGULAR)))
    pdfmetrics.registerFont(TTFont("VeraBd", str(FONT_BOLD)))


def vector_pdf(sheets: Sheet | list[Sheet], *, rotate: int = 0, origin: tuple[float, float] = (0.0, 0.0)) -> bytes:
    """A vector PDF with a real text layer, one page per sheet.

    ``rotate`` sets the pages' /Rotate entry (the viewer turns the page
    clockwise); ``origin`` moves the media box's lower-left corner to that
    point (in points), with the drawing moved along so the page looks the same.
    """
    from reportlab.pdfbase import pdfmetrics

    _register_fonts()
    buf = io.BytesIO()
    sheets = [sheets] if isinstance(sheets, Sheet) else sheets
    c = _canvas(sheets[0], buf)
    for sheet in sheets:
        c.setPageSize((sheet.width * 72, sheet.height * 72))
        c.translate(*origin)
        _draw_rules(c, sheet)
        for item in sheet.texts:
            font = "VeraBd" if item.bold else "Vera"
            length = pdfmetrics.stringWidth(item.text, font, item.size)
            c.saveState()
            _place(c, item, sheet.height, length)
            c.setFont(font, item.size)
            c.drawString(0, 0, item.text)
            c.restoreState()
        c.showPage()
    c.save()
    data = buf.getvalue()
    if rotate or origin != (0.0, 0.0):
        data = _edit_pages(data, rotate, origin)
    return data


def _edit_pages(data: bytes, rotate: int, origin: tuple[float, float]) -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        for page in document:
            left, bottom, right, top = page.get_mediabox()
            page.set_mediabox(left + origin[0], bottom + origin[1], right + origin[0], top + origin[1])
            page.set_rotation(rotate)
            page.close()
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()
    finally:
        document.close()


class _CanvasPen:
    """A fontTools pen that draws glyph outlines into a reportlab path."""

    def __new__(cls, glyph_set, path):
        from fontTools.pens.basePen import BasePen

        class Pen(BasePen):
            def _moveTo(self, pt):
                path.moveTo(*pt)

            def _lineTo(self, pt):
                path.lineTo(*pt)

            def _curveToOne(self, p1, p2, p3):
                path.curveTo(*p1, *p2, *p3)

            def _closePath(self):
                path.close()

        return Pen(glyph_set)


@cache
def _tt_font(bold: bool):
    from fontTools.ttLib import TTFont

    return TTFont(str(FONT_BOLD if bold else FONT_REGULAR))


def outline_pdf(sheet: Sheet) -> bytes:
    """A vector PDF whose text is drawn as filled glyph outlines: it looks right but has no text layer."""
    buf = io.BytesIO()
    c = _canvas(sheet, buf)
    _draw_rules(c, sheet)
    for item in sheet.texts:
        font = _tt_font(item.bold)
        glyphs = font.getGlyphSet()
        cmap = font.getBestCmap()
        units = font["head"].unitsPerEm
        names = [cmap.get(ord(ch), ".notdef") for ch in item.text]
        length = sum(glyphs[n].width for n in names) * item.size / units
        c.saveState()
        _place(c, item, sheet.height, length)
        c.scale(item.size / units, item.size / units)
        path = c.beginPath()
        advance = 0.0
        for name in names:
            from fontTools.pens.transformPen import TransformPen

            glyphs[name].draw(TransformPen(_CanvasPen(glyphs, path), (1, 0, 0, 1, advance, 0)))
            advance += glyphs[name].width
        c.drawPath(path, stroke=0, fill=1)
        c.restoreState()
    c.showPage()
    c.save()
    return buf.getvalue()


def raster_pdf(image: Image.Image, dpi: int | None = None) -> bytes:
    """A PDF page that is only an image (a scan), sized from ``dpi``."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    dpi = dpi or int(image.info.get("dpi", (150, 150))[0])
    w, h = image.width * 72 / dpi, image.height * 72 / dpi
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(w, h))
    c.drawImage(ImageReader(image.convert("L")), 0, 0, width=w, height=h)
    c.showPage()
    c.save()
    return buf.getvalue()


def with_vertical(sheet: Sheet, text: str, angle: int = 90) -> Sheet:
    """The sheet with one more text running along its right edge."""
    item = Text(text, sheet.width - 0.42, sheet.height * 0.2, 10, angle=angle, bold=True)
    return replace(sheet, texts=(*sheet.texts, item))
