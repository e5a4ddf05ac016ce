"""A spec drawn as a PDF page: border, title block, drawing area, or a page without a block."""

from __future__ import annotations

import io
import random

from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas as rl_canvas

from testkit.sheets import areas, blocks
from testkit.sheets.pen import Pen
from testkit.sheets.raster import POINTS_PER_INCH, render
from testkit.sheets.spec import SheetSpec
from testkit.sheets.text import text_mode

_WHOLE_PAGES = {
    "drawing-list": areas.draw_drawing_list_page,
    "spec-page": areas.draw_spec_page,
    "map": areas.draw_map_page,
}


def _draw_sheet(c: rl_canvas.Canvas, spec: SheetSpec) -> None:
    rng = random.Random(spec.seed * 7919 + 17)
    W, H = spec.page_size
    c.setPageSize((W, H))
    pen = Pen(c, H, text_mode(spec.text_mode))
    if spec.content in _WHOLE_PAGES:
        _WHOLE_PAGES[spec.content](pen, spec, rng)
        return
    block_pen = Pen(c, H, text_mode(spec.block_text_mode or spec.text_mode))
    m = 0.015 * W
    pen.rect(m, m, W - 2 * m, H - 2 * m, 1.5)
    if spec.kind == "labelled":
        area = blocks.draw_classic_block(c, block_pen, spec, rng, m)
    elif spec.layout == "none":
        area = (m, m, W - m, H - m)
    elif spec.block_style == "civil":
        area = blocks.draw_civil_block(c, block_pen, spec, rng, m)
    else:
        area = blocks.draw_modern_block(c, block_pen, spec, rng, m)
    if spec.number_style == "bubble" and spec.layout != "none":
        blocks.draw_number_bubble(block_pen, spec, rng, m)
    if not spec.distractors:
        return
    if spec.kind != "labelled" and rng.random() < 0.45:
        _zone_marks(pen, spec, rng, m)
    if spec.content == "cover":
        areas.draw_cover_area(pen, spec, rng, area)
    elif spec.block_style == "civil":
        areas.draw_civil_area(pen, spec, rng, area, blocks.civil_box(spec))
    else:
        areas.draw_distractors(pen, spec, rng, area)


def _zone_marks(pen: Pen, spec: SheetSpec, rng: random.Random, m: float) -> None:
    """The sheet's zone references in the margin outside its frame: 1, 2, 3 ... along the top and bottom,
    A, B, C ... along the sides (large sets print them; they are no sheet number)."""
    W, H = spec.page_size
    regular = spec.fonts[0]
    size = min(0.6 * m, rng.uniform(6, 9))
    columns = rng.randint(6, 10)
    rows = max(4, round(columns * H / W))
    backwards = rng.random() < 0.5
    for i in range(columns):
        x = m + (i + 0.5) * (W - 2 * m) / columns
        label = str(columns - i if backwards else i + 1)
        pen.text(x, 0.5 * m + 0.35 * size, label, regular, size, "center")
        pen.text(x, H - 0.5 * m + 0.35 * size, label, regular, size, "center")
        if i:
            tick = m + i * (W - 2 * m) / columns
            pen.line(tick, 0, tick, m, 0.4)
            pen.line(tick, H - m, tick, H, 0.4)
    for j in range(rows):
        y = m + (j + 0.5) * (H - 2 * m) / rows
        label = "ABCDEFGHJKLMN"[j]
        pen.text(0.5 * m, y + 0.35 * size, label, regular, size, "center")
        pen.text(W - 0.5 * m, y + 0.35 * size, label, regular, size, "center")


def draw_pdf(specs: list[SheetSpec] | SheetSpec) -> bytes:
    """A vector PDF with one page per spec; its text is a text layer or outlines as each spec's mode says."""
    specs = [specs] if isinstance(specs, SheetSpec) else specs
    out = io.BytesIO()
    c = rl_canvas.Canvas(out, pagesize=specs[0].page_size, invariant=1)
    for spec in specs:
        _draw_sheet(c, spec)
        c.showPage()
    c.save()
    return out.getvalue()


def sheet_image(spec: SheetSpec, dpi: int = 150):
    """The sheet as a clean raster."""
    return render(draw_pdf(spec), dpi)


def mixed_pdf(spec: SheetSpec, dpi: int = 150) -> bytes:
    """A CAD export as it often comes: notes in the text layer, the corner title block only as an image.

    The whole sheet is drawn, the title block cut out of its raster and
    pasted over a page that holds the notes as real text.
    """
    assert spec.layout == "corner" and spec.kind == "labelled", "the pasted block is the classic corner block"
    W, H = spec.page_size
    m = 0.015 * W
    bw, bh = blocks.corner_box(spec)
    image = render(draw_pdf(spec), dpi)
    scale = dpi / POINTS_PER_INCH
    x0, y0 = W - m - bw - 2, H - m - bh - 2
    block = image.crop((round(x0 * scale), round(y0 * scale), round((W - m + 2) * scale), round((H - m + 2) * scale)))
    out = io.BytesIO()
    c = rl_canvas.Canvas(out, pagesize=(W, H), invariant=1)
    c.setFont("Helvetica-Bold", 9)
    c.drawString(0.55 * W, H - 60, "GENERAL NOTES")
    c.setFont("Helvetica", 7)
    notes = ["1. ALL DIMENSIONS ARE TO FACE OF STUD UNLESS NOTED OTHERWISE.",
             "2. VERIFY ALL CONDITIONS IN FIELD BEFORE STARTING WORK.",
             "3. REFER TO STRUCTURAL DRAWINGS FOR FRAMING AND FOUNDATIONS."]
    for i, note in enumerate(notes):
        c.drawString(0.55 * W, H - 75 - 10 * i, note)
    png = io.BytesIO()
    block.save(png, format="PNG")
    c.drawImage(ImageReader(io.BytesIO(png.getvalue())), x0, m - 2, width=bw + 4, height=bh + 4)
    c.showPage()
    c.save()
    return out.getvalue()
