"""Document context: uncertain sheets re-read where the confident ones keep their number; duplicates."""

from __future__ import annotations

from planocr.titleblock import Field, TitleBlockResult, parse_title_block
from planocr.titleblock.context import duplicate_sheet_numbers, refine_document
from tests.titleblock.builders import Page, corner_block


def _page(page: Page):
    return parse_title_block(page.lines, page.width, page.height), page.lines, page.width, page.height


def _weak_sheet(number: str) -> Page:
    """The same block, but a short number printed small and without a label: alone it is not convincing."""
    page = corner_block("PLACEHOLDER", number_label=None)
    page.lines = [ln for ln in page.lines if ln.text != "PLACEHOLDER"]
    return page.text(3220, 1980, number, 12)


def test_uncertain_sheet_is_read_where_the_confident_sheets_keep_their_number():
    pages = [_page(corner_block("A-101", number_h=12)), _page(corner_block("A-102", number_h=12)), _page(_weak_sheet("A3"))]
    assert pages[2][0].value("sheet_number") == ""
    refined = refine_document(pages)
    assert refined[0] is None and refined[1] is None
    assert refined[2] is not None
    assert refined[2].value("sheet_number") == "A3"
    assert refined[2].value("sheet_title") == "FIRST FLOOR PLAN"
    assert "A3" in refined[2].detected_sheet_numbers


def test_nothing_changes_without_confident_sheets():
    pages = [_page(_weak_sheet("A3")), _page(_weak_sheet("A4"))]
    assert refine_document(pages) == [None, None]


def test_confident_sheets_are_left_alone():
    pages = [_page(corner_block("A-101")), _page(corner_block("A-102"))]
    assert refine_document(pages) == [None, None]


def test_duplicate_sheet_numbers():
    def result(number: str) -> TitleBlockResult:
        return TitleBlockResult(fields={"sheet_number": Field(number, 0.9)} if number else {})

    results = [result("A-101"), result("A-102"), result("a-101"), None, result(""), result("A-102"), result("S-1")]
    assert duplicate_sheet_numbers(results) == ["A-101", "A-102"]
    assert duplicate_sheet_numbers([result("A-101")]) == []
