"""Where a low-resolution page is read again closely: its title block, not the drawing."""

from __future__ import annotations

from planocr.titleblock import parse_title_block
from planocr.titleblock.focus import MARGIN, Focus, find_focus
from tests.titleblock.builders import Page, corner_block


def focus_of(page: Page) -> Focus:
    found = parse_title_block(page.lines, page.width, page.height)
    return find_focus(page.lines, page.width, page.height, found)


def test_focus_is_the_title_block_with_a_margin():
    page = corner_block("A-101")
    region = focus_of(page).region
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
    region = focus_of(page).region
    assert region is not None
    assert region.left >= 0 and region.top >= 0
    assert region.right <= page.width and region.bottom <= page.height


def test_without_a_sheet_number_the_whole_page_is_read_again():
    page = Page(2550, 3300)
    for i in range(30):
        page.text(200, 200 + i * 40, "The quick brown fox jumps over the lazy dog.", 18)
    assert focus_of(page).region is None
    assert focus_of(Page()).region is None


def test_a_scale_cell_that_did_not_read_is_looked_at_again():
    page = corner_block("A-101", scale="1/4 ir ear")  # what a blurred 6 pt cell reads as
    focus = focus_of(page)
    label = next(w.box for line in page.lines for w in line.words if w.text == "SCALE")
    value = next(w.box for line in page.lines for w in line.words if w.text == "ear")
    assert len(focus.cells) == 1
    cell, angle = focus.cells[0]
    assert angle == 0
    for box in (label, value):  # the label and the line under it
        assert cell.left <= box.left and box.right <= cell.right and cell.top <= box.top and box.bottom <= cell.bottom
    assert cell.width * cell.height < 0.01 * page.width * page.height


def test_a_scale_that_read_needs_no_second_look():
    assert focus_of(corner_block("A-101")).cells == ()


def test_a_turned_scale_cell_is_looked_at_in_its_direction():
    page = Page(2400, 3600)
    page.labelled(1200, 40, "SHEET NO.", "A-101", 48, angle=90)
    page.labelled(900, 40, "DRAWING TITLE", "FIRST FLOOR PLAN", 20, angle=90)
    page.labelled(700, 40, "PROJECT NO.", "2023-014", 14, angle=90)
    page.labelled(500, 40, "SCALE", "1/4 ir ear", 14, angle=90)
    cells = focus_of(page).cells
    assert len(cells) == 1
    cell, angle = cells[0]
    assert angle == 90
    words = [w for line in page.lines for w in line.words if w.text in ("SCALE", "ear")]
    for w in words:
        assert cell.left <= w.box.left and w.box.right <= cell.right and cell.top <= w.box.top and w.box.bottom <= cell.bottom
    assert cell.height > cell.width  # the cell runs up the page with its text
