"""Where a low-resolution page is read again closely: its title block, not the drawing."""

from __future__ import annotations

from planocr.engines.base import OcrResult
from planocr.titleblock.focus import MARGIN, focus_region
from tests.titleblock.builders import Page, corner_block


def result_of(page: Page) -> OcrResult:
    return OcrResult(width=page.width, height=page.height, lines=page.lines, rotation=0, engine="test")


def test_focus_is_the_title_block_with_a_margin():
    page = corner_block("A-101")
    region = focus_region(result_of(page))
    assert region is not None
    words: dict = {}
    for word in (w for line in page.lines for w in line.words):
        words.setdefault(word.text, word.box)  # the drawing area's words come first
    pad = MARGIN * page.width
    # the block's cells are inside, with the margin around them
    for text in ("A-101", "RIVERSIDE", "NORTHWIND", "CHECKED", "05/22/2024"):
        box = words[text]
        assert region.left <= box.left - pad + 1 and box.right + pad - 1 <= region.right, text
        assert region.top <= box.top and box.bottom <= region.bottom, text
    # the drawing area is not: a small share of the sheet is read again
    for text in ("OFFICE", "104", "FLOOR", "A-502"):
        assert not (region.left <= words[text].left and words[text].right <= region.right
                    and region.top <= words[text].top and words[text].bottom <= region.bottom), text
    assert region.width * region.height < 0.15 * page.width * page.height


def test_focus_stays_on_the_page():
    page = corner_block("A-101")
    region = focus_region(result_of(page))
    assert region is not None
    assert region.left >= 0 and region.top >= 0
    assert region.right <= page.width and region.bottom <= page.height


def test_without_a_sheet_number_the_whole_page_is_read_again():
    page = Page(2550, 3300)
    for i in range(30):
        page.text(200, 200 + i * 40, "The quick brown fox jumps over the lazy dog.", 18)
    assert focus_region(result_of(page)) is None
    assert focus_region(result_of(Page())) is None
