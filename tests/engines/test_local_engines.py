"""The local engines on generated drawing pages: the drawn strings, rotations, vertical and large text."""

from __future__ import annotations

import importlib.util
import threading

import pytest

from planocr.engines.base import OcrResult
from planocr.engines.tesseract import TesseractEngine
from tests.support import pages

DPI = 150
SHEET = pages.drawing_sheet(17, 11)
KEY_STRINGS = ["A-101", "FIRST FLOOR PLAN", "RIVERSIDE CLINIC", "GENERAL NOTES", "CORRIDOR"]


def normalized(result: OcrResult) -> str:
    return " ".join(result.text.split())


@pytest.fixture(scope="module")
def tesseract():
    engine = TesseractEngine()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def page_image():
    return pages.render_image(SHEET, DPI)


@pytest.fixture(scope="module")
def upright_result(tesseract, page_image) -> OcrResult:
    return tesseract.recognize(page_image, dpi=DPI)


def test_tesseract_reads_the_drawn_strings(upright_result):
    text = normalized(upright_result)
    for s in SHEET.strings:
        if s == "12'-6\"":  # 8 pt at 150 DPI: tesseract reads the digits, not always the primes
            assert "12" in text
            continue
        assert s in text
    assert (upright_result.width, upright_result.height, upright_result.rotation) == (2550, 1650, 0)


def test_boxes_are_where_the_text_was_drawn(upright_result):
    number = next(w for w in upright_result.words if w.text == "A-101")
    drawn = next(t for t in SHEET.texts if t.text == "A-101")
    assert abs(number.box.left - drawn.x * DPI) < 15
    # a 40 pt sheet number: about 0.4 inch of capitals
    assert 0.3 * DPI < number.box.height < 0.7 * DPI


def test_vertical_text_along_the_right_edge_is_read_with_its_angle(upright_result):
    vertical = [w for w in upright_result.words if w.angle == 90]
    assert " ".join(w.text for w in vertical) == "PROJECT NO 2024-118"
    for word in vertical:
        assert word.box.height > word.box.width
        assert word.box.left > 0.95 * upright_result.width
    line = next(line for line in upright_result.lines if line.angle == 90)
    assert line.text == "PROJECT NO 2024-118"


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_rotated_scans_give_the_same_words(tesseract, page_image, upright_result, turned):
    result = tesseract.recognize(pages.rotate_scan(page_image, turned), dpi=DPI)
    assert result.rotation == (360 - turned) % 360
    assert (result.width, result.height) == (upright_result.width, upright_result.height)
    # turning by quarter turns is lossless; the 150 DPI page is enlarged after the turn's
    # resampling differs by a pixel here and there, so the same words come back within 2 px
    assert [(w.text, w.angle) for w in result.words] == [(w.text, w.angle) for w in upright_result.words]
    for got, want in zip(result.words, upright_result.words):
        assert all(abs(a - b) <= 2 for a, b in zip(got.box.to_list(), want.box.to_list())), (got, want)


def test_a_title_block_turned_along_the_right_edge_does_not_turn_the_page(tesseract):
    """OSD follows the strip's large turned text; reading shows the drawing is upright."""
    from planocr.titleblock import parse_title_block
    from tests.support.sheets import PAGE_SIZES, SheetSpec, sheet_image

    spec = SheetSpec(layout="right-rotated", sheet_number="P2.01", title=["THIRD FLOOR MECHANICAL PLAN"],
                     page_size=PAGE_SIZES["ANSI B"], number_size=20, title_size=10)
    image = sheet_image(spec, DPI)
    osd_turn, sure = tesseract._orientation.osd(image, DPI)
    assert osd_turn in (90, 270) and not sure  # what the check is for
    result = tesseract.recognize(image, dpi=DPI)
    assert result.rotation == 0
    assert (result.width, result.height) == image.size
    number = next(w for w in result.words if w.text == "P2.01")
    assert number.angle == 90
    parsed = parse_title_block(result.lines, result.width, result.height)
    assert parsed.value("sheet_number") == "P2.01"
    assert parsed.value("sheet_title") == "THIRD FLOOR MECHANICAL PLAN"


def test_low_resolution_scans_are_read_enlarged_with_boxes_in_their_own_pixels():
    from planocr.engines.tesseract import enlargement

    assert enlargement(2550, 1650, 150) == 2.0
    assert enlargement(3400, 2200, 200) == 1.5
    assert enlargement(5100, 3300, 300) == 1.0
    assert enlargement(2550, 1650, 280) == 1.0
    assert enlargement(20_000, 14_000, 100) == 1.0  # over the pixel cap already
    assert enlargement(2550, 1650, 150, below=0) == 1.0  # switched off


def _inside(box, region) -> bool:
    cx, cy = box.center
    return region.left <= cx <= region.right and region.top <= cy <= region.bottom


def test_only_the_focus_of_a_low_resolution_scan_is_read_again_enlarged(page_image):
    """The page is read as it is; the region ``focus`` names is read again at 300 DPI and replaces that part."""
    from planocr.engines.base import Box, Focus

    region = Box(1500, 1150, 1000, 480)  # the title block's corner of the 150 DPI sheet
    seen: list[OcrResult] = []

    def focus(result: OcrResult) -> Focus:
        seen.append(result)
        return Focus(region)

    native = TesseractEngine(enlarge_below=0)
    focused = TesseractEngine(focus=focus)
    try:
        as_is = native.recognize(page_image, dpi=DPI)
        result = focused.recognize(page_image, dpi=DPI)
    finally:
        native.close()
        focused.close()
    # focus saw the first reading, at the page's own resolution (and the closer one after)
    assert len(seen) == 2 and [w.text for w in seen[0].words] == [w.text for w in as_is.words]
    assert (result.width, result.height, result.rotation) == (as_is.width, as_is.height, 0)
    # outside the focus nothing changed; inside, the closer reading has the title block, in the page's pixels
    outside = [(w.text, w.box) for w in result.words if not _inside(w.box, region)]
    assert outside == [(w.text, w.box) for w in as_is.words if not _inside(w.box, region)]
    closer = [w for w in result.words if _inside(w.box, region)]
    assert {"A-101", "RIVERSIDE", "CLINIC"} <= {w.text for w in closer}
    number = next(w for w in closer if w.text == "A-101")
    drawn = next(t for t in SHEET.texts if t.text == "A-101")
    assert abs(number.box.left - drawn.x * DPI) < 15


def test_without_a_focus_region_the_whole_low_resolution_scan_is_read_enlarged(page_image):
    from planocr.engines.base import Focus

    calls: list[OcrResult] = []

    def focus(result: OcrResult) -> Focus:
        calls.append(result)
        return Focus()

    focused = TesseractEngine(focus=focus)
    whole = TesseractEngine()
    try:
        got, want = focused.recognize(page_image, dpi=DPI), whole.recognize(page_image, dpi=DPI)
    finally:
        focused.close()
        whole.close()
    assert len(calls) == 2
    assert [(w.text, w.box) for w in got.words] == [(w.text, w.box) for w in want.words]


def test_a_cell_focus_names_is_read_again_closer_on_any_page():
    """At 300 DPI nothing is enlarged, but a named cell is still read again, in the page's pixels."""
    from planocr.engines.base import Box, Focus

    dpi = 300
    image = pages.render_image(SHEET, dpi)
    drawn = next(t for t in SHEET.texts if t.text.startswith("SCALE:"))
    cell = Box(round(drawn.x * dpi) - 20, round(drawn.y * dpi) - 20, 900, 80)
    native = TesseractEngine()
    focused = TesseractEngine(focus=lambda result: Focus(cells=((cell, 0),)))
    try:
        as_is, result = native.recognize(image, dpi=dpi), focused.recognize(image, dpi=dpi)
    finally:
        native.close()
        focused.close()
    outside = [(w.text, w.box) for w in result.words if not _inside(w.box, cell)]
    assert outside == [(w.text, w.box) for w in as_is.words if not _inside(w.box, cell)]
    inside = [w for w in result.words if _inside(w.box, cell)]
    assert " ".join(w.text for w in inside) == 'SCALE: 1/4" = 1\'-0"'
    label = inside[0]
    assert abs(label.box.left - drawn.x * dpi) < 15 and label.box.height < 0.2 * dpi


def test_degraded_scan_still_gives_the_title_block(tesseract, page_image):
    scan = pages.degrade(page_image, skew=0.8, noise=50, jpeg_quality=35)
    text = normalized(tesseract.recognize(scan, dpi=DPI))
    for s in ["A-101", "FIRST FLOOR PLAN", "RIVERSIDE CLINIC", "PROJECT NO 2024-118"]:
        assert s in text


def test_degraded_scan_turned_upside_down_is_read(tesseract, page_image):
    scan = pages.degrade(pages.rotate_scan(page_image, 180), seed=11)
    result = tesseract.recognize(scan, dpi=DPI)
    assert result.rotation == 180
    assert "FIRST FLOOR PLAN" in normalized(result)


def test_large_text_at_300_dpi_needs_the_coarse_pass():
    sheet = pages.text_sizes_sheet(8.5, 11)
    image = pages.render_image(sheet, 300)
    big = [s for s in sheet.strings if int(s.split()[0][4:]) >= 20]
    plain = normalized(TesseractEngine(psm=11, orientation=False, coarse=False, vertical=False).recognize(image, dpi=300))
    full = normalized(TesseractEngine().recognize(image, dpi=300))
    assert all(s in full for s in big), full
    assert sum(s in full for s in sheet.strings) > sum(s in plain for s in sheet.strings)


def test_running_text_keeps_its_columns(tesseract):
    """A page of prose in two columns is read column by column (layout analysis), not across."""
    left = [f"alpha{i} left column sentence number {i} goes here" for i in range(14)]
    right = [f"omega{i} right column sentence number {i} goes here" for i in range(14)]
    texts = [pages.Text(t, 0.6, 0.8 + 0.28 * i, 10) for i, t in enumerate(left)]
    texts += [pages.Text(t, 4.5, 0.8 + 0.28 * i, 10) for i, t in enumerate(right)]
    image = pages.render_image(pages.Sheet(8.5, 5.0, tuple(texts)), 200)
    text = normalized(tesseract.recognize(image, dpi=200))
    assert text.count("left column") >= 12 and text.count("right column") >= 12
    assert text.rindex("left column") < text.index("right column")


def test_threads_share_one_engine(tesseract, page_image, upright_result):
    results: list[OcrResult] = []
    small = page_image.reduce(2)
    expected = tesseract.recognize(small, dpi=75).text
    threads = [threading.Thread(target=lambda: results.append(tesseract.recognize(small, dpi=75))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.text for r in results] == [expected] * 3


@pytest.mark.skipif(importlib.util.find_spec("rapidocr") is None, reason="rapidocr is not installed")
def test_rapidocr_reads_the_drawn_strings():
    from planocr.engines.rapid import RapidOcrEngine

    engine = RapidOcrEngine()
    sheet = pages.drawing_sheet(11, 8.5, vertical=None)
    result = engine.recognize(pages.rotate_scan(pages.render_image(sheet, 100), 90), dpi=100)
    assert result.rotation == 270
    assert (result.width, result.height) == (1100, 850)
    text = normalized(result)
    for s in ["A-101", "FIRST FLOOR PLAN", "RIVERSIDE CLINIC", "GENERAL NOTES"]:
        assert s in text
    number = next(w for w in result.words if w.text == "A-101")
    assert number.box.left > 0.6 * result.width and number.box.top > 0.6 * result.height
    engine.close()


LARGE_SHEET = """
import resource, sys, time
from planocr.engines.tesseract import TesseractEngine
from tests.support import pages
sheet = pages.drawing_sheet(42, 30, number_size=72)
image = pages.render_image(sheet, 300)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
result = TesseractEngine().recognize(image, dpi=300)
print(image.width, image.height, time.perf_counter() - started, before // 1024,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "A-101" in result.text)
"""


@pytest.mark.slow
def test_arch_e1_sheet_at_300_dpi_in_bounded_memory():
    """30 x 42 in at 300 DPI (113 megapixels): the whole process stays under 1.5 GB."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", LARGE_SHEET], cwd=root, capture_output=True, text=True, check=True, timeout=280)
    width, height, _seconds, _before_mb, peak_mb, found = done.stdout.split()
    assert (int(width), int(height)) == (12600, 9000)
    assert found == "True"
    assert int(peak_mb) < 1500, done.stdout
