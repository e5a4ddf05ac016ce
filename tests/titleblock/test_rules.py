"""Rules, ruled cells and number bubbles found on page images the tests draw themselves.

Generated sheets (``testkit.sheets``) are vector PDFs: the cell
rectangles the generator drew are read back from the PDF's own path
objects and compared with the cells found on the rendered page.
"""

from __future__ import annotations

import ctypes
import io
import math
import random
import time
from dataclasses import replace

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont
from reportlab.pdfgen import canvas as rl_canvas

from planocr.core.page import Box
from planocr.media.pdf import PDFIUM_LOCK
from planocr.titleblock.rules import (
    Bubble,
    CellIndex,
    Rule,
    find_bubbles,
    find_rules,
    rules_from_json,
    rules_to_json,
)
from testkit import sheets

# --- helpers ------------------------------------------------------------------------------------


def _drawn_rects(pdf: bytes, dpi: float, stroke_pt: float) -> list[tuple[float, float, float, float]]:
    """Rectangles (left, top, right, bottom in page pixels) drawn with ``stroke_pt`` lines in the PDF."""
    scale = dpi / 72.0
    rects = []
    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            page = document[0]
            height = page.get_height()
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH]):
                width = ctypes.c_float()
                pdfium_c.FPDFPageObj_GetStrokeWidth(obj.raw, width)
                matrix = obj.get_matrix()
                if abs(width.value * math.hypot(matrix.a, matrix.b) - stroke_pt) > 0.01:
                    continue
                points = []
                for i in range(pdfium_c.FPDFPath_CountSegments(obj.raw)):
                    segment = pdfium_c.FPDFPath_GetPathSegment(obj.raw, i)
                    if pdfium_c.FPDFPathSegment_GetType(segment) == pdfium_c.FPDF_SEGMENT_BEZIERTO:
                        break
                    x, y = ctypes.c_float(), ctypes.c_float()
                    pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
                    px, py = matrix.on_point(x.value, y.value)
                    points.append((px * scale, (height - py) * scale))
                else:
                    xs, ys = [p[0] for p in points], [p[1] for p in points]
                    if len(points) >= 4 and max(xs) - min(xs) > 2 and max(ys) - min(ys) > 2:
                        rects.append((min(xs), min(ys), max(xs), max(ys)))
        finally:
            document.close()
    return rects


def _drawn_circles(pdf: bytes, dpi: float) -> list[tuple[float, float, float]]:
    """Circles (centre x, y and radius in page pixels) drawn in the PDF, from their paths' bounds."""
    scale = dpi / 72.0
    circles = []
    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            page = document[0]
            height = page.get_height()
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH]):
                segments = [pdfium_c.FPDFPath_GetPathSegment(obj.raw, i) for i in range(pdfium_c.FPDFPath_CountSegments(obj.raw))]
                if not any(pdfium_c.FPDFPathSegment_GetType(s) == pdfium_c.FPDF_SEGMENT_BEZIERTO for s in segments):
                    continue
                left, bottom, right, top = obj.get_bounds()
                if abs((right - left) - (top - bottom)) < 0.5:
                    circles.append(((left + right) / 2 * scale, (height - (top + bottom) / 2) * scale, (right - left) / 2 * scale))
        finally:
            document.close()
    return circles


def _turn(point: tuple[float, float], angle: float, size: tuple[int, int]) -> tuple[float, float]:
    """Where ``point`` goes when the page is turned by ``angle`` degrees as PIL's rotate does."""
    t = math.radians(angle)
    cx, cy = size[0] / 2, size[1] / 2
    x, y = point[0] - cx, point[1] - cy
    return cx + x * math.cos(t) + y * math.sin(t), cy - x * math.sin(t) + y * math.cos(t)


def _turned_box(rect: tuple[float, float, float, float], angle: float, size: tuple[int, int]) -> tuple:
    corners = [_turn((x, y), angle, size) for x in (rect[0], rect[2]) for y in (rect[1], rect[3])]
    return (min(c[0] for c in corners), min(c[1] for c in corners), max(c[0] for c in corners), max(c[1] for c in corners))


def _scanned(image: Image.Image, angle: float, seed: int) -> Image.Image:
    """The page as an office scan: turned by ``angle`` degrees, blurred, noisy."""
    random.seed(seed)
    out = image.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255)
    out = out.filter(ImageFilter.GaussianBlur(0.7))
    return ImageChops.add(out, Image.effect_noise(out.size, 18), scale=1.0, offset=-128)


def _matches(found: Box, rect: tuple[float, float, float, float], tolerance: float) -> bool:
    return (
        abs(found.left - rect[0]) <= tolerance
        and abs(found.top - rect[1]) <= tolerance
        and abs(found.right - rect[2]) <= tolerance
        and abs(found.bottom - rect[3]) <= tolerance
    )


def _timed(label: str, fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    print(f"{label}: {1000 * (time.perf_counter() - start):.0f} ms")
    return result


def _sheet(seed: int, layout: str) -> sheets.SheetSpec:
    return sheets.random_spec(random.Random(seed), seed, layout=layout, language="en")


def _blank(size: tuple[int, int] = (1700, 1100), mode: str = "L") -> Image.Image:
    return Image.new(mode, size, 255 if mode == "L" else 1)


# --- cells of generated title blocks ------------------------------------------------------------

CELL_STROKE = 0.8  # points: the generator draws every title-block cell with this line width


@pytest.mark.parametrize(("seed", "layout"), [(1, "corner"), (2, "corner"), (3, "bottom"), (4, "right"), (5, "right-rotated")])
def test_cells_of_a_generated_title_block_are_found(seed, layout):
    spec = _sheet(seed, layout)
    pdf = sheets.draw_pdf(spec)
    image = sheets.render(pdf, 150)
    drawn = _drawn_rects(pdf, 150, CELL_STROKE)
    assert len(drawn) >= 8
    rules = _timed(f"find_rules {image.size} {layout}", find_rules, image, 150)
    index = CellIndex(rules, *image.size)
    cells = index.cells()
    for rect in drawn:
        assert any(_matches(cell, rect, 3) for cell in cells), f"no cell found for the drawn cell {rect}"
        inner = Box.from_corners(rect[0] + 6, rect[1] + 6, rect[0] + 30, rect[1] + 12)
        assert _matches(index.cell_of(inner), rect, 3)


@pytest.mark.parametrize(("seed", "layout", "angle", "dpi"), [(6, "corner", 1.0, 150), (7, "bottom", -1.2, 200), (8, "right", 0.8, 200)])
def test_cells_survive_a_noisy_blurred_turned_scan(seed, layout, angle, dpi):
    spec = _sheet(seed, layout)
    pdf = sheets.draw_pdf(spec)
    clean = sheets.render(pdf, dpi)
    image = _scanned(clean, angle, seed)
    rules = _timed(f"find_rules scanned {image.size} {layout}", find_rules, image, dpi)
    index = CellIndex(rules, *image.size)
    assert index.angle == pytest.approx(math.radians(-angle), abs=math.radians(0.15))
    cells = index.cells()
    for rect in _drawn_rects(pdf, dpi, CELL_STROKE):
        expected = _turned_box(rect, angle, image.size)
        assert any(_matches(cell, expected, 5) for cell in cells), f"no cell found for the drawn cell {expected}"


def test_cells_survive_a_bilevel_scan_of_an_old_print():
    """The generator's 1-bit scan: blotchy toner, broken thin lines, specks, turned up to 0.8 degree."""
    spec = _sheet(12, "corner")
    pdf = sheets.draw_pdf(spec)
    image = sheets.bilevel_scan(sheets.render(pdf, 200), random.Random(12))
    angle = random.Random(12).uniform(-0.8, 0.8)  # the scan's first draw is its turn
    assert image.mode == "1"
    rules = _timed(f"find_rules bilevel scan {image.size}", find_rules, image, 200)
    cells = CellIndex(rules, *image.size).cells()
    for rect in _drawn_rects(pdf, 200, CELL_STROKE):
        expected = _turned_box(rect, angle, image.size)
        assert any(_matches(cell, expected, 5) for cell in cells), f"no cell found for the drawn cell {expected}"


def test_rules_of_a_generated_sheet_are_its_long_lines():
    """Every rule found lies on a line the generator drew; every drawn cell side is found."""
    spec = _sheet(9, "corner")
    pdf = sheets.draw_pdf(spec)
    image = sheets.render(pdf, 200)
    rules = find_rules(image, 200)
    sides = []
    for left, top, right, bottom in _drawn_rects(pdf, 200, CELL_STROKE) + _drawn_rects(pdf, 200, 1.2):
        sides += [(left, top, right, top), (left, bottom, right, bottom), (left, top, left, bottom), (right, top, right, bottom)]
    for x0, y0, x1, y1 in sides:
        if math.hypot(x1 - x0, y1 - y0) < 0.45 * 200:
            continue
        assert any(_on_rule(rule, (x0, y0), 4) and _on_rule(rule, (x1, y1), 4) for rule in rules), (x0, y0, x1, y1)
    for rule in rules:
        assert rule.thickness <= 6
        assert rule.x0 <= rule.x1 if rule.horizontal else rule.y0 <= rule.y1


def _on_rule(rule: Rule, point: tuple[float, float], tolerance: float) -> bool:
    """Whether ``point`` lies on the rule (within ``tolerance`` across it and along it)."""
    length = rule.length
    ux, uy = (rule.x1 - rule.x0) / length, (rule.y1 - rule.y0) / length
    dx, dy = point[0] - rule.x0, point[1] - rule.y0
    along = dx * ux + dy * uy
    return abs(dx * uy - dy * ux) <= tolerance and -tolerance <= along <= length + tolerance


# --- what is no rule ----------------------------------------------------------------------------


def _text_and_dashes_pdf() -> tuple[bytes, tuple[float, float, float]]:
    """A page of text in several fonts and sizes, dashed and centre lines, hatching, and one solid
    line (its y and x span in points from the top) to show that rules are still found."""
    out = io.BytesIO()
    c = rl_canvas.Canvas(out, pagesize=(17 * 72, 11 * 72), invariant=1)
    height = 11 * 72
    y = 60
    for font in ("Helvetica", "Helvetica-Bold", "Courier", "Courier-Bold", "Times-Roman", "Times-Bold"):
        for size in (6, 8, 11, 16, 24):
            c.setFont(font, size)
            c.drawString(40, height - y, "ELEVATIONS TITLE BLOCK HEEL LEDGE 1111 EEEE TTTT HHHH MILL 2023-014 SETTING")
            y += size * 1.5
    c.setLineWidth(1.0)
    c.setDash(11, 6)  # 0.15 inch dashes, 0.08 inch gaps
    c.line(700, height - 80, 1180, height - 80)
    c.line(1150, height - 120, 1150, height - 500)
    c.setDash([22, 5, 2, 5])  # a centre line: 0.3 inch dashes and dots
    c.line(700, height - 140, 1180, height - 140)
    c.setDash()
    c.setLineWidth(0.5)
    for i in range(30):  # hatching at 45 degrees
        c.line(700 + 8 * i, height - 560, 760 + 8 * i, height - 620)
    c.setLineWidth(1.2)
    c.line(700, height - 700, 1100, height - 700)
    c.showPage()
    c.save()
    return out.getvalue(), (700.0, 700.0, 1100.0)


@pytest.mark.parametrize("dpi", [150, 200, 300])
def test_text_dashed_lines_and_hatching_are_not_rules(dpi):
    pdf, (y, x0, x1) = _text_and_dashes_pdf()
    image = sheets.render(pdf, dpi)
    rules = find_rules(image, dpi)
    s = dpi / 72
    assert len(rules) == 1, rules
    (rule,) = rules
    assert rule.horizontal
    assert abs(rule.y0 - y * s) <= 2 and abs(rule.x0 - x0 * s) <= 3 and abs(rule.x1 - x1 * s) <= 3


def test_text_is_no_rule_on_a_scan_either():
    pdf, _ = _text_and_dashes_pdf()
    image = _scanned(sheets.render(pdf, 200), 0.7, 3)
    rules = find_rules(image, 200)
    assert len(rules) == 1, rules


def test_large_lettering_is_no_rule():
    image = _blank((2400, 1600))
    draw = ImageDraw.Draw(image)
    for i, size in enumerate((40, 60, 90)):
        draw.text((60, 60 + i * 160), "HEEL LEDGE 1111 TITLE", font=ImageFont.load_default(size=size), fill=0)
    assert find_rules(image, 200) == []


def test_an_empty_page_has_nothing():
    for image in (_blank(), _blank(mode="1"), _scanned(_blank(), 0.0, 1)):
        assert find_rules(image, 150) == []
        assert find_bubbles(image, 150) == []
        index = CellIndex([], *image.size)
        assert index.cells() == []
        assert index.cell_of(Box(100, 100, 50, 20)) is None


# --- rules: measurement, breaks, skew, bilevel pages ------------------------------------------


def test_thickness_and_position_are_measured_on_the_page():
    """At 300 dpi the page is read in blocks of 4 x 4 pixels; positions and widths still come out
    to the pixel. A frame border 0.07 inch thick is a rule too."""
    image = _blank((3000, 2000))
    draw = ImageDraw.Draw(image)
    drawn = ((400, 1), (801, 3), (1202, 8), (1500, 21))
    for y, width in drawn:
        draw.rectangle((300, y, 2500, y + width - 1), fill=0)
    draw.rectangle((2800, 300, 2801, 1700), fill=0)
    rules = find_rules(image, 300)
    horizontal = [r for r in rules if r.horizontal]
    assert len(horizontal) == len(drawn), rules
    for rule, (y, width) in zip(horizontal, drawn, strict=False):
        assert abs(rule.y0 - (y + (width - 1) / 2)) <= 1 and rule.y0 == rule.y1
        assert abs(rule.thickness - width) <= 1
        assert abs(rule.x0 - 300) <= 2 and abs(rule.x1 - 2500) <= 2
    (vertical,) = [r for r in rules if not r.horizontal]
    assert abs(vertical.x0 - 2800.5) <= 1 and abs(vertical.y0 - 300) <= 2 and abs(vertical.y1 - 1700) <= 2
    assert vertical.thickness == 2


def test_broken_and_crossed_lines_are_one_rule():
    """Short dropouts are bridged; text written across a line and lines crossing it do not cut it."""
    image = _blank((2000, 1200))
    draw = ImageDraw.Draw(image)
    draw.line((100, 300, 1900, 300), fill=0, width=3)
    for x in range(200, 1800, 150):  # scan dropouts of 3 pixels (0.015 inch at 200 dpi)
        draw.rectangle((x, 295, x + 2, 305), fill=255)
    draw.line((100, 700, 1900, 700), fill=0, width=3)
    draw.text((400, 680), "SECTION A-A", font=ImageFont.load_default(size=40), fill=0)
    for x in (500, 900, 1300):
        draw.line((x, 600, x, 800), fill=0, width=2)
    rules = [r for r in find_rules(image, 200) if r.horizontal]
    assert len(rules) == 2, rules
    for rule, y in zip(rules, (300, 700), strict=False):
        assert abs(rule.y0 - y) <= 2 and abs(rule.x0 - 100) <= 3 and abs(rule.x1 - 1900) <= 3


def test_a_gap_is_a_gap():
    """A line broken by 0.2 inch is two rules; a line shorter than 0.4 inch is none."""
    image = _blank((2000, 800))
    draw = ImageDraw.Draw(image)
    draw.line((100, 300, 900, 300), fill=0, width=2)
    draw.line((940, 300, 1800, 300), fill=0, width=2)
    draw.line((100, 600, 170, 600), fill=0, width=2)  # 0.35 inch
    rules = find_rules(image, 200)
    assert [(r.x0 // 10, r.x1 // 10) for r in rules] == [(10, 90), (94, 180)]


def test_skewed_scan_lines_are_followed_end_to_end():
    image = _blank((3000, 2000))
    draw = ImageDraw.Draw(image)
    draw.rectangle((400, 400, 2600, 1600), outline=0, width=3)
    draw.line((400, 1000, 2600, 1000), fill=0, width=2)
    turned = image.rotate(1.5, resample=Image.Resampling.BILINEAR, fillcolor=255)
    rules = find_rules(turned, 200)
    horizontal = [r for r in rules if r.horizontal]
    vertical = [r for r in rules if not r.horizontal]
    assert len(horizontal) == 3 and len(vertical) == 2, rules
    for rule, y in zip(horizontal, (401, 1000, 1599), strict=False):
        start, end = _turn((400, y), 1.5, image.size), _turn((2600, y), 1.5, image.size)
        assert math.hypot(rule.x0 - start[0], rule.y0 - start[1]) <= 4
        assert math.hypot(rule.x1 - end[0], rule.y1 - end[1]) <= 4
        assert rule.lean == pytest.approx(math.radians(-1.5), abs=math.radians(0.05))
    for rule in vertical:
        assert rule.lean == pytest.approx(math.radians(-1.5), abs=math.radians(0.1))


def test_bilevel_page_with_specks():
    """A fax-style scan in mode "1": specks all over, thin lines still found, specks not."""
    rng = random.Random(4)
    image = _blank((2400, 1600))
    draw = ImageDraw.Draw(image)
    draw.rectangle((200, 200, 2200, 1400), outline=0, width=2)
    draw.line((200, 800, 2200, 800), fill=0, width=1)
    for _ in range(60000):
        image.putpixel((rng.randrange(2400), rng.randrange(1600)), 0)
    rules = find_rules(image.convert("1", dither=Image.Dither.NONE), 200)
    assert sorted((r.horizontal, round(r.y0 if r.horizontal else r.x0, -1)) for r in rules) == [
        (False, 200), (False, 2200), (True, 200), (True, 800), (True, 1400)]


def test_bad_input_is_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="dpi"):
        find_rules(_blank(), 0)
    with pytest.raises(ValueError, match="dpi"):
        find_bubbles(_blank(), float("nan"))
    with pytest.raises(TypeError, match="PIL image"):
        find_rules(b"not an image", 150)
    with pytest.raises(ValueError, match="no pixels"):
        CellIndex([], 0, 100)
    with pytest.raises(ValueError, match="tolerance"):
        CellIndex([], 100, 100, tolerance=-1)


# --- the cell index on rules given directly -----------------------------------------------------


def _grid(xs: list[int], ys: list[int]) -> list[Rule]:
    return [Rule(xs[0], y, xs[-1], y, 2) for y in ys] + [Rule(x, ys[0], x, ys[-1], 2) for x in xs]


def test_cell_of_is_the_smallest_ruled_rectangle_around_the_centre():
    index = CellIndex(_grid([1000, 1400, 1900], [600, 800, 1000]), 2000, 1200)
    assert index.cell_of(Box(1100, 650, 100, 20)) == Box(1000, 600, 400, 200)
    assert index.cell_of(Box(1500, 900, 300, 40)) == Box(1400, 800, 500, 200)
    assert index.cell_of(Box(100, 100, 50, 20)) is None  # outside every ruled rectangle
    assert len(index.cells()) == 4


def test_a_rule_stopping_short_within_the_tolerance_still_closes_the_cell():
    rules = _grid([1000, 1900], [600, 1000]) + [Rule(1400, 600, 1400, 995, 2), Rule(1000, 800, 1395, 800, 2)]
    index = CellIndex(rules, 2000, 1200, tolerance=8)
    assert index.cell_of(Box(1100, 650, 20, 20)) == Box(1000, 600, 400, 200)
    # A rule that stops well short bounds nothing: the cell is the larger rectangle around it.
    rules = _grid([1000, 1900], [600, 1000]) + [Rule(1400, 600, 1400, 950, 2)]
    index = CellIndex(rules, 2000, 1200, tolerance=8)
    assert index.cell_of(Box(1100, 650, 20, 20)) == Box(1000, 600, 900, 400)


def test_an_l_shaped_region_belongs_to_the_rectangle_around_it():
    """A block whose middle rule stops at a shorter cross rule: the L around the closed cell has no
    rectangle of its own, so its cell is the whole block."""
    rules = _grid([1000, 1900], [600, 1000]) + [Rule(1400, 600, 1400, 800, 2), Rule(1400, 800, 1900, 800, 2)]
    index = CellIndex(rules, 2000, 1200)
    assert index.cell_of(Box(1500, 650, 20, 20)) == Box(1400, 600, 500, 200)
    assert index.cell_of(Box(1100, 650, 20, 20)) == Box(1000, 600, 900, 400)
    assert index.cell_of(Box(1700, 900, 20, 20)) == Box(1000, 600, 900, 400)


def test_the_page_border_closes_a_cell_only_along_a_ruled_border():
    # A block in the bottom-right corner drawn without its right and bottom sides.
    block = [Rule(1400, 800, 2000, 800, 2), Rule(1400, 800, 1400, 1200, 2), Rule(1400, 1000, 2000, 1000, 2)]
    open_index = CellIndex(block, 2000, 1200)
    assert open_index.cell_of(Box(1500, 850, 20, 20)) is None
    # With a frame rule running along the right and bottom borders (but not past the block), they close it.
    frame = [Rule(20, 1185, 1300, 1185, 3), Rule(1985, 20, 1985, 700, 3)]
    index = CellIndex(block + frame, 2000, 1200)
    assert index.cell_of(Box(1500, 850, 20, 20)) == Box(1400, 800, 600, 200)
    assert index.cell_of(Box(1500, 1100, 20, 20)) == Box(1400, 1000, 600, 200)


def test_a_box_with_rounded_corners_is_a_cell():
    """The sides of a rounded box stop short of each other by the corners' radius."""
    rules = [Rule(1520, 800, 1880, 800, 2), Rule(1520, 1100, 1880, 1100, 2),
             Rule(1500, 820, 1500, 1080, 2), Rule(1900, 820, 1900, 1080, 2)]
    index = CellIndex(rules, 2000, 1200, tolerance=8)
    assert index.cell_of(Box(1600, 900, 100, 40)) == Box(1500, 800, 400, 300)
    # Sides that end far from any corner close nothing.
    index = CellIndex([Rule(1600, 800, 1880, 800, 2)] + rules[1:], 2000, 1200, tolerance=8)
    assert index.cell_of(Box(1600, 900, 100, 40)) is None


def test_cells_of_a_skewed_grid_are_upright_boxes_around_them():
    angle = math.radians(1.0)
    size = (3000, 2000)

    def turned(x: float, y: float) -> tuple[int, int]:
        dx, dy = x - size[0] / 2, y - size[1] / 2
        return (round(size[0] / 2 + dx * math.cos(angle) - dy * math.sin(angle)),
                round(size[1] / 2 + dx * math.sin(angle) + dy * math.cos(angle)))

    rules = []
    for rule in _grid([1800, 2300, 2900], [1400, 1600, 1900]):
        (x0, y0), (x1, y1) = turned(rule.x0, rule.y0), turned(rule.x1, rule.y1)
        rules.append(Rule(x0, y0, x1, y1, 2))
    index = CellIndex(rules, *size)
    assert index.angle == pytest.approx(angle, abs=0.002)
    centre = turned(2050, 1500)
    cell = index.cell_of(Box(centre[0] - 5, centre[1] - 5, 10, 10))
    corners = [turned(x, y) for x in (1800, 2300) for y in (1400, 1600)]
    expected = Box.from_corners(min(c[0] for c in corners), min(c[1] for c in corners),
                                max(c[0] for c in corners), max(c[1] for c in corners))
    assert all(abs(a - b) <= 2 for a, b in zip(cell.to_list(), expected.to_list(), strict=False)), (cell, expected)
    assert len(index.cells()) == 4


# --- bubbles ------------------------------------------------------------------------------------


def _bubble_page(dpi: int = 200) -> tuple[Image.Image, dict]:
    """A letter-size page with a sheet-number bubble (5 over 24) at the top-right corner, a plain
    circle at the bottom-left, and lettering with round letters near the other corners."""
    size = (int(11 * dpi), int(8.5 * dpi))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    r = int(0.3 * dpi)
    cx, cy = size[0] - int(0.9 * dpi), int(0.8 * dpi)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=0, width=3)
    draw.line((cx - r, cy, cx + r, cy), fill=0, width=3)
    font = ImageFont.load_default(size=int(0.22 * dpi))
    draw.text((cx, cy - 0.12 * r), "5", font=font, fill=0, anchor="mb")
    draw.text((cx, cy + 0.12 * r), "24", font=font, fill=0, anchor="mt")
    plain = (int(1.0 * dpi), size[1] - int(1.0 * dpi), int(0.2 * dpi))
    draw.ellipse((plain[0] - plain[2], plain[1] - plain[2], plain[0] + plain[2], plain[1] + plain[2]), outline=0, width=2)
    lettering = ImageFont.load_default(size=int(0.3 * dpi))
    draw.text((int(0.5 * dpi), int(0.5 * dpi)), "DOOR 0600 GOOD", font=lettering, fill=0)
    draw.text((size[0] - int(4 * dpi), size[1] - int(1 * dpi)), "COOL OCEAN", font=lettering, fill=0)
    return image, {"numbered": (cx, cy, r), "plain": plain, "font": font}


@pytest.mark.parametrize("mode", ["L", "1"])
def test_a_sheet_number_bubble_is_found_with_its_bar(mode):
    image, drawn = _bubble_page()
    if mode == "1":
        image = image.convert("1", dither=Image.Dither.NONE)
    bubbles = _timed(f"find_bubbles {image.size} {mode}", find_bubbles, image, 200)
    assert len(bubbles) == 2, bubbles
    numbered = next(b for b in bubbles if b.divided)
    cx, cy, r = drawn["numbered"]
    assert _matches(numbered.box, (cx - r, cy - r, cx + r, cy + r), 3)
    assert abs(numbered.upper.bottom - cy) <= 3 and abs(numbered.lower.top - cy) <= 3
    assert numbered.upper.top == numbered.box.top and numbered.lower.bottom == numbered.box.bottom
    five = ImageDraw.Draw(image).textbbox((cx, cy - 0.12 * r), "5", font=drawn["font"], anchor="mb")
    total = ImageDraw.Draw(image).textbbox((cx, cy + 0.12 * r), "24", font=drawn["font"], anchor="mt")
    assert numbered.upper.top <= five[1] and five[3] <= numbered.upper.bottom
    assert numbered.lower.top <= total[1] and total[3] <= numbered.lower.bottom
    plain = next(b for b in bubbles if not b.divided)
    px, py, pr = drawn["plain"]
    assert _matches(plain.box, (px - pr, py - pr, px + pr, py + pr), 3)
    assert plain == Bubble(plain.box, False, None, None)


def test_a_bubble_on_a_noisy_scan():
    image, drawn = _bubble_page(150)
    bubbles = find_bubbles(_scanned(image, 0.0, 5), 150)
    cx, cy, r = drawn["numbered"]
    assert any(b.divided and _matches(b.box, (cx - r, cy - r, cx + r, cy + r), 4) for b in bubbles), bubbles


@pytest.mark.parametrize("scanned", [False, True])
def test_the_bubble_of_a_generated_civil_sheet(scanned):
    """Civil sheets from the generator carry a double ring with the number over the total at the
    top-right corner; the outer ring is the bubble, divided by its bar."""
    spec = sheets.random_spec(random.Random(21), 21, kind="civil")
    pdf = sheets.draw_pdf(spec)
    image = sheets.render(pdf, 200)
    cx, cy, r = max(_drawn_circles(pdf, 200), key=lambda c: c[2])
    tolerance = 4
    if scanned:
        image = sheets.bilevel_scan(image, random.Random(4))
        cx, cy = _turn((cx, cy), random.Random(4).uniform(-0.8, 0.8), image.size)  # the scan's first draw
        tolerance = 6
    bubbles = _timed(f"find_bubbles civil {'scan' if scanned else 'clean'} {image.size}", find_bubbles, image, 200)
    matched = [b for b in bubbles if _matches(b.box, (cx - r, cy - r, cx + r, cy + r), tolerance)]
    assert len(matched) == 1, (bubbles, (cx, cy, r))
    bubble = matched[0]
    assert bubble.divided
    assert abs(bubble.upper.bottom - cy) <= tolerance and abs(bubble.lower.top - cy) <= tolerance


def test_circles_too_small_or_too_large_are_no_bubbles():
    image = _blank((2200, 1700))
    draw = ImageDraw.Draw(image)
    draw.ellipse((100, 100, 140, 140), outline=0, width=2)  # 0.2 inch at 200 dpi
    draw.ellipse((1700, 1200, 2100, 1600), outline=0, width=3)  # 2 inches
    assert find_bubbles(image, 200) == []


# --- storage ------------------------------------------------------------------------------------


def test_rules_round_trip_through_json():
    import json

    rules = [Rule(10, 20, 800, 22, 3), Rule(400, 10, 402, 900, 1)]
    data = json.loads(json.dumps(rules_to_json(rules)))
    assert data == [[10, 20, 800, 22, 3], [400, 10, 402, 900, 1]]
    assert rules_from_json(data) == rules
    assert rules_from_json([]) == []


@pytest.mark.parametrize("data", [{"rules": []}, [[1, 2, 3, 4]], [[1, 2, 3, 4, 0]], [[1, 2, 3, 4.5, 1]], [[1, 2, 3, 4, True]], ["x"]])
def test_malformed_stored_rules_are_refused(data):
    with pytest.raises(ValueError):
        rules_from_json(data)


# --- a large sheet ------------------------------------------------------------------------------


@pytest.mark.slow
def test_timings_on_an_arch_e1_sheet_at_300_dpi():
    """30 x 42 inch at 300 dpi (12600 x 9000 pixels, 113 MP): the title block's cells are found.
    Prints the time each step takes; nothing is asserted on it."""
    spec = replace(_sheet(11, "corner"), page_size=(42 * 72, 30 * 72))
    pdf = sheets.draw_pdf(spec)
    image = sheets.render(pdf, 300)
    assert image.size == (12600, 9000)
    for _ in range(2):  # the second run is the one that counts
        rules = _timed("find_rules 12600 x 9000", find_rules, image, 300)
    index = _timed("CellIndex", CellIndex, rules, *image.size)
    cells = _timed("cells", index.cells)
    _timed("find_bubbles 12600 x 9000", find_bubbles, image, 300)
    for rect in _drawn_rects(pdf, 300, CELL_STROKE):
        assert any(_matches(cell, rect, 4) for cell in cells), rect
