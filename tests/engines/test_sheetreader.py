"""The sheet reader: one reading of the whole page, then closer looks within the budget."""

from __future__ import annotations

import pytest
from PIL import Image

from planocr.core.page import Box, Line, OcrResult, Word
from planocr.engines.base import CELL, SPARSE, OcrEngine
from planocr.engines.tesseract import TesseractEngine
from planocr.reading.sheetreader import EXTRA_READS, ReadingOptions, SheetReader
from testkit import pages

DPI = 150
SHEET = pages.drawing_sheet(17, 11)


class Counting(OcrEngine):
    """A real engine, with every call and the pixels it read recorded."""

    name = "counting"

    def __init__(self, inner: OcrEngine):
        self.inner = inner
        self.reads_regions = inner.reads_regions
        self.extra_langs = getattr(inner, "extra_langs", ())
        self.lang = getattr(inner, "lang", "eng")
        self.calls: list[tuple[str, int, Box | None, int | None]] = []

    def recognize(self, image, *, dpi=None):
        self.calls.append(("page", image.width * image.height, None, dpi))
        return self.inner.recognize(image, dpi=dpi)

    def read_region(self, image, box, *, dpi, angle=0, target_dpi=None, layout=SPARSE, lang=None):
        factor = (target_dpi / dpi) if target_dpi else 1.0
        self.calls.append(("region", round(box.width * box.height * factor * factor), box, target_dpi))
        return self.inner.read_region(image, box, dpi=dpi, angle=angle, target_dpi=target_dpi, layout=layout, lang=lang)


@pytest.fixture(scope="module")
def tesseract():
    engine = TesseractEngine()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def sheet_read(tesseract):
    engine = Counting(tesseract)
    image = pages.render_image(SHEET, DPI)
    read = SheetReader().read_image(engine, image, DPI)
    return read, engine.calls, image


def test_a_page_costs_one_reading_and_at_most_the_budget_more(sheet_read):
    read, calls, image = sheet_read
    page_pixels = image.width * image.height
    assert [c for c in calls if c[0] == "page"] == [("page", page_pixels, None, DPI)]
    extra = sum(pixels for kind, pixels, _, _ in calls if kind == "region")
    assert 0 < extra <= ReadingOptions().budget * page_pixels
    for kind, _pixels, box, _ in calls:
        if kind == "region":  # only parts of the page are read again, never all of it enlarged
            assert box.width * box.height < 0.5 * page_pixels
    # what the reader reports is what the engine was asked
    assert [(s.kind == "page", s.box) for s in read.steps] == [(kind == "page", box) for kind, _, box, _ in calls]
    assert read.engine_seconds > 0


def test_vertical_text_along_the_right_edge_is_read_with_its_angle(tesseract):
    # Turned edges are looked at only while the number or title is unsure: this sheet has no title.
    image = pages.render_image(pages.drawing_sheet(17, 11, title=""), DPI)
    read = SheetReader().read_image(tesseract, image, DPI)
    assert "vertical" in [s.kind for s in read.steps]
    vertical = [w for w in read.ocr.words if w.angle == 90 and len(w.text) > 1]
    assert " ".join(w.text for w in vertical) == "PROJECT NO 2024-118"
    for word in vertical:
        assert word.box.height > word.box.width
        assert word.box.left > 0.95 * image.width
    assert any(line.text == "PROJECT NO 2024-118" for line in read.ocr.lines if line.angle == 90)


def test_a_sheet_whose_number_and_title_read_surely_skips_the_turned_edges(sheet_read):
    read, _, _ = sheet_read
    assert read.title_block.value("sheet_number") == "A-101"
    assert read.title_block.value("sheet_title") == "FIRST FLOOR PLAN"
    assert "vertical" not in [s.kind for s in read.steps]


def test_without_budget_a_page_is_read_once(tesseract):
    engine = Counting(tesseract)
    image = pages.render_image(SHEET, DPI)
    read = SheetReader(ReadingOptions(budget=0)).read_image(engine, image, DPI)
    assert [c[0] for c in engine.calls] == ["page"]
    assert read.title_block.value("sheet_number") == "A-101"


def test_a_title_block_turned_along_the_right_edge_is_read(tesseract):
    from testkit.sheets import PAGE_SIZES, SheetSpec, sheet_image

    spec = SheetSpec(layout="right-rotated", sheet_number="P2.01", title=["THIRD FLOOR MECHANICAL PLAN"],
                     page_size=PAGE_SIZES["ANSI B"], number_size=20, title_size=10)
    read = SheetReader().read_image(tesseract, sheet_image(spec, DPI), DPI)
    assert read.ocr.rotation == 0
    number = next(w for w in read.ocr.words if w.text == "P2.01")
    assert number.angle == 90
    assert read.title_block.value("sheet_number") == "P2.01"
    assert read.title_block.value("sheet_title") == "THIRD FLOOR MECHANICAL PLAN"


# --- the reader's choices, with a scripted engine ------------------------------------------------


class Scripted(OcrEngine):
    """Returns a fixed first reading; region reads return the words placed in them."""

    name = "scripted"
    reads_regions = True

    def __init__(self, first: list[Word], regions: list[Word] = (), *, reads_regions: bool = True):
        self.first = first
        self.regions = list(regions)
        self.reads_regions = reads_regions
        self.calls: list[tuple] = []

    def recognize(self, image, *, dpi=None):
        self.calls.append(("page",))
        return OcrResult(image.width, image.height, [Line((w,)) for w in self.first], engine=self.name)

    def read_region(self, image, box, *, dpi, angle=0, target_dpi=None, layout=SPARSE, lang=None):
        self.calls.append(("region", box, angle, target_dpi, layout, lang))
        return [w for w in self.regions if w.angle == angle and _inside(w.box, box)]


def _inside(inner: Box, outer: Box) -> bool:
    cx, cy = inner.center
    return outer.left <= cx <= outer.right and outer.top <= cy <= outer.bottom


def W(text: str, x: int, y: int, w: int, h: int = 20, conf: float = 0.95, angle: int = 0) -> Word:
    return Word(text, Box(x, y, w, h), conf, angle)


BLOCK = [
    W("PROJECT", 1850, 1300, 90, 12), W("RIVERSIDE", 1850, 1320, 120),
    W("SHEET", 2000, 1300, 60, 12), W("TITLE", 2065, 1300, 60, 12), W("FIRST", 2000, 1320, 70), W("FLOOR", 2075, 1320, 70),
    W("PLAN", 2150, 1320, 60),
    W("SCALE", 2000, 1400, 60, 12),
    W("SHEET", 2300, 1300, 60, 12), W("NO.", 2365, 1300, 40, 12), W("A-101", 2310, 1330, 160, 60),
]


def test_a_scale_cell_that_did_not_read_is_read_again_as_a_cell_closer():
    scale = [W('1/4"', 2003, 1420, 50, 14), W("=", 2058, 1424, 10, 6), W("1'-0\"", 2072, 1420, 60, 14)]
    engine = Scripted(BLOCK, scale)
    read = SheetReader(ReadingOptions(extra_reads=frozenset({"cells"}))).read_image(engine, Image.new("L", (2550, 1650), 255), 300)
    cells = [c for c in engine.calls if c[0] == "region"]
    assert len(cells) == 1
    _, box, angle, target_dpi, layout, _ = cells[0]
    assert (angle, target_dpi, layout) == (0, 450, CELL)
    assert box.left <= 2000 and box.top <= 1400 and box.width * box.height < 0.02 * 2550 * 1650
    assert read.title_block.value("scale") == '1/4" = 1\'-0"'
    assert [s.kind for s in read.steps] == ["page", "cells"]


def test_a_low_resolution_scan_gets_its_title_block_read_again_enlarged():
    engine = Scripted(BLOCK, [W("A-101", 2310, 1330, 160, 60, 0.99)])
    image = Image.new("L", (2550, 1650), 255)
    read = SheetReader(ReadingOptions(extra_reads=frozenset({"block"}))).read_image(engine, image, 150)
    regions = [c for c in engine.calls if c[0] == "region"]
    assert len(regions) == 1
    _, box, _, target_dpi, _, _ = regions[0]
    assert target_dpi == 300
    assert box.left > 1500 and box.top > 1100  # the block's corner, not the sheet
    assert read.title_block.value("sheet_number") == "A-101"
    # at 300 DPI the block is not read again
    engine = Scripted(BLOCK)
    SheetReader(ReadingOptions(extra_reads=frozenset({"block"}))).read_image(engine, image, 300)
    assert [c[0] for c in engine.calls] == ["page"]


def test_an_engine_without_region_reads_and_a_page_of_prose_are_read_once():
    engine = Scripted(BLOCK, reads_regions=False)
    SheetReader().read_image(engine, Image.new("L", (2550, 1650), 255), 150)
    assert engine.calls == [("page",)]
    prose = [W(f"word{i}", 40 + (i % 12) * 200, 40 + (i // 12) * 40, 180, 30) for i in range(400)]
    engine = Scripted(prose)
    SheetReader().read_image(engine, Image.new("L", (2550, 1650), 255), 150)
    assert engine.calls == [("page",)]


def test_every_extra_read_is_known():
    assert set(ReadingOptions().extra_reads) == set(EXTRA_READS)


@pytest.mark.parametrize("seed", [4, 5])
def test_a_civil_sheet_numbered_in_its_corner_bubble_gets_that_number(tesseract, seed):
    import random

    from testkit import sheets

    spec = sheets.replace(sheets.random_spec(random.Random(seed), seed, kind="civil"), distractors=False)
    assert spec.number_style == "bubble"
    image = sheets.sheet_image(spec, dpi=DPI)
    read = SheetReader().read_image(tesseract, image, DPI)
    # The bubble the reader found is where the parser looked for the number: at the top right corner.
    assert read.structure is not None and len(read.structure.bubbles) == 1
    place = read.structure.bubbles[0]
    assert place.left > 0.9 * image.width and place.bottom < 0.1 * image.height
    assert read.title_block.value("sheet_number") == spec.sheet_number


def _notes_sheet_with_bubble(number: str, total: str) -> Image.Image:
    """A civil set's notes sheet: two columns of numbered notes over the page, and its number over the
    sheet count in a divided bubble at the top right corner."""
    from PIL import ImageDraw

    image = Image.new("L", (17 * DPI, 11 * DPI), 255)
    draw = ImageDraw.Draw(image)
    font = pages._font(False, 20)
    note = "ALL REINFORCING STEEL SHALL CONFORM TO THE SPECIFICATIONS AND BE PLACED AS SHOWN"
    for column in range(2):
        for row in range(38):
            draw.text((120 + column * 1200, 260 + row * 34), f"{row + 1}. {note}"[:58], font=font, fill=0)
    cx, cy, r = image.width - 150, 130, 60
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=0, width=3)
    draw.ellipse((cx - r + 9, cy - r + 9, cx + r - 9, cy + r - 9), outline=0, width=2)
    draw.line((cx - r + 9, cy, cx + r - 9, cy), fill=0, width=2)
    big = pages._font(False, 34)
    for text, y in ((number, cy - 22), (total, cy + 22)):
        left, top, right, bottom = big.getbbox(text)
        draw.text((cx - (right - left) / 2 - left, y - (bottom - top) / 2 - top), text, font=big, fill=0)
    return image


@pytest.mark.parametrize(("number", "total"), [("14", "24"), ("7", "12")])
def test_a_notes_sheet_of_running_text_gets_the_number_in_its_corner_bubble(tesseract, number, total):
    from planocr.core.lines import is_running_text

    image = _notes_sheet_with_bubble(number, total)
    read = SheetReader().read_image(tesseract, image, DPI)
    assert is_running_text(read.ocr.lines, image.width, image.height)
    # Read once, then only the bubble's two halves: no other closer look on a page of notes.
    assert [step.kind for step in read.steps] == ["page", "bubble"]
    assert read.title_block.value("sheet_number") == number
