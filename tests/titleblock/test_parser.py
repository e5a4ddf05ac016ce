"""Title-block parser on synthetic OCR lines: each sheet-number form, titles, scales, layouts, negatives."""

from __future__ import annotations

import pytest

from planocr.core.page import Box, Line, Word
from planocr.titleblock import parse_title_block
from tests.titleblock.builders import Page, corner_block, drawing_noise


def parse(page: Page):
    return parse_title_block(page.lines, page.width, page.height)


NUMBER_FORMS = ["A-101", "A101", "A1.01", "AF600", "S2.01", "M-001", "FP-2", "C3.1", "3.2.10", "12-B-04a-201",
                "7810_A_GR_OG_102", "TR14", "A001.01", "TSDE01"]


@pytest.mark.parametrize("number", NUMBER_FORMS)
def test_sheet_number_forms_under_a_label(number):
    result = parse(corner_block(number))
    assert result.value("sheet_number") == number
    assert result.fields["sheet_number"].confidence >= 0.8


@pytest.mark.parametrize("number", ["A-101", "AF600", "S2.01", "7810_A_GR_OG_102"])
def test_unlabelled_sheet_number_is_the_largest_text_in_the_block(number):
    result = parse(corner_block(number, number_label=None))
    assert result.value("sheet_number") == number


def test_number_split_over_two_lines_in_a_narrow_box():
    page = corner_block("TR14", number_label="DWG NO.")
    page.text(3220, 1950 + 30 + 48 + 6, "-07C", 48)
    assert parse(page).value("sheet_number") == "TR14-07C"


def test_number_split_over_two_widely_spaced_lines_is_read_whole():
    page = corner_block("TR27", number_label=None, number_h=34)
    page.text(3220, 1950 + 30 + 34 + 30, "-14A", 36)  # a gap of almost a line height
    assert parse(page).value("sheet_number") == "TR27-14A"


def test_bare_number_next_to_a_plan_nr_label():
    page = drawing_noise(Page())
    page.text(2400, 2100, "Planinhalt", 9).text(2400, 2118, "Grundriss Obergeschoss", 20)
    page.text(2400, 2170, "Maßstab", 9).text(2400, 2186, "M 1:50", 14)
    page.text(2400, 2230, "Datum: 12.03.2024", 11)
    page.text(3000, 2100, "Plan-Nr.", 9).text(3040, 2125, "2", 50)
    page.text(3000, 2230, "Projekt-Nr.: 12404", 11)
    result = parse(page)
    assert result.value("sheet_number") == "2"
    assert result.value("sheet_title") == "Grundriss Obergeschoss"
    assert result.value("scale") == "1:50"
    assert result.value("project_number") == "12404"


def test_inline_german_label_beats_a_larger_building_code():
    page = drawing_noise(Page())
    page.text(2400, 2050, "Bauobjekt", 9).text(2400, 2066, "Bürogebäude ST30 / Zentralverwaltung", 20)
    page.text(2400, 2110, "Planinhalt", 9).text(2400, 2126, "Grundriss Erdgeschoss", 22).text(3200, 2126, "M 1:50", 18)
    page.text(2400, 2170, "Dat.: 18.10.2011", 9).text(2700, 2170, "Projekt-Nr.: 12404", 9)
    page.text(3000, 2185, "Plan-Nr.: 6075_A_GR_EG_901", 9)
    page.text(3300, 2230, "ST30", 18)
    result = parse(page)
    assert result.value("sheet_number") == "6075_A_GR_EG_901"
    assert result.value("sheet_title") == "Grundriss Erdgeschoss"
    assert result.value("date") == "18.10.2011"


def test_title_is_joined_across_lines_without_its_label():
    result = parse(corner_block("A-201", ["SECOND FLOOR", "REFLECTED CEILING PLAN"]))
    assert result.value("sheet_title") == "SECOND FLOOR REFLECTED CEILING PLAN"


def test_project_number_and_date_are_not_the_sheet_number():
    result = parse(corner_block("A-101"))
    assert result.value("project_number") == "2023-014"
    assert result.value("date") == "05/22/2024"
    assert "2023-014" not in result.detected_sheet_numbers[:1]


def test_without_a_sheet_number_the_project_number_is_not_taken():
    page = corner_block("X", number_label=None)
    page.lines = [ln for ln in page.lines if ln.text != "X"]
    result = parse(page)
    assert result.value("sheet_number") == ""
    assert result.value("sheet_title") == "FIRST FLOOR PLAN"


def test_detail_callouts_grid_bubbles_and_revision_marks_are_never_the_number():
    page = drawing_noise(Page())
    result = parse(page)
    # no number and no title; the one view's scale may stand for the sheet's (it has no other)
    assert set(result.fields) <= {"scale"}
    assert result.value("scale") in ("", '1/8" = 1\'-0"')
    assert "A-501" not in result.detected_sheet_numbers
    assert "A-502" not in result.detected_sheet_numbers[:1] or result.value("sheet_number") == ""


def test_sheet_n_of_m_is_not_a_sheet_number():
    page = corner_block("A-301")
    page.text(2800, 2330, "SHEET 3 OF 12", 14)
    result = parse(page)
    assert result.value("sheet_number") == "A-301"
    assert "3" not in result.detected_sheet_numbers and "12" not in result.detected_sheet_numbers


def test_sheet_n_of_m_split_by_a_wide_space_is_not_a_sheet_number():
    """Monospaced type leaves spaces wider than a phrase gap: "SHEET 7" and "OF 30" come apart."""
    page = corner_block("1.1.16", number_label=None)
    page.text(2600, 2200, "SHEET 7", 21).text(2600 + 83 + 27, 2200, "OF 30", 21)  # "7" ends at 2683
    result = parse(page)
    assert result.value("sheet_number") == "1.1.16"
    assert "7" not in result.detected_sheet_numbers and "30" not in result.detected_sheet_numbers


def test_sheet_n_of_m_with_the_n_lost_is_not_a_sheet_number():
    page = corner_block("G-298", number_label=None)
    page.text(2800, 2150, "SHEET", 9).text(2800, 2166, "OF 28", 14)  # OCR lost the "3"
    result = parse(page)
    assert result.value("sheet_number") == "G-298"
    assert "OF28" not in result.detected_sheet_numbers


def test_sheet_label_with_n_of_m_only_gives_no_number():
    page = drawing_noise(Page())
    page.text(2400, 2100, "DRAWING TITLE", 9).text(2400, 2118, "EXTERIOR ELEVATIONS", 20)
    page.text(2400, 2170, "JOB NO.", 9).text(2400, 2186, "22C529", 14)
    page.text(3000, 2100, "SHEET", 9).text(3000, 2120, "3 OF 12", 30)
    result = parse(page)
    assert result.value("sheet_number") == ""
    assert result.value("sheet_title") == "EXTERIOR ELEVATIONS"


def test_page_without_a_title_block_gives_no_fields():
    page = Page(2550, 3300)
    for i in range(30):
        page.text(200, 200 + i * 40, "The quick brown fox jumps over the lazy dog near sheet A-101 in 2024.", 18)
    result = parse(page)
    assert result.fields == {}


def test_empty_page():
    assert parse_title_block([], 100, 100).fields == {}


@pytest.mark.parametrize("drawn, canonical", [
    ('1/4" = 1\'-0"', '1/4" = 1\'-0"'),
    ("3/4\"=1'-0\"", '3/4" = 1\'-0"'),
    ('1 1/2" = 1\'-0"', '1 1/2" = 1\'-0"'),
    ('1" = 20\'', '1" = 20\''),
    ("1:100", "1:100"),
    ("M 1:50", "1:50"),
    ("NTS", "NTS"),
    ("N.T.S.", "NTS"),
    ("NOT TO SCALE", "NOT TO SCALE"),
    ("AS NOTED", "AS NOTED"),
    ("1/4\u201d = 1\u2019-0\u201d", '1/4" = 1\'-0"'),
])
def test_title_block_scale_forms(drawn, canonical):
    result = parse(corner_block("A-101", scale=drawn))
    assert result.value("scale") == canonical


def test_title_block_scale_wins_and_view_scales_are_all_detected():
    result = parse(corner_block("A-101", scale='1/4" = 1\'-0"'))
    assert result.value("scale") == '1/4" = 1\'-0"'
    assert set(result.detected_scales) == {'1/4" = 1\'-0"', '1/8" = 1\'-0"'}


def test_single_view_scale_stands_for_a_block_without_scale():
    result = parse(corner_block("A-101", scale=""))
    # found, and never surer than a scale in the block's own cell would be
    assert result.detected_scales[:1] == ['1/8" = 1\'-0"']
    from planocr.titleblock.parser import rank_page

    def best_scale(page):
        return rank_page(page.lines, page.width, page.height).scales[0]

    in_view, in_block = best_scale(corner_block("A-101", scale="")), best_scale(corner_block("A-101"))
    assert in_block.text == '1/4" = 1\'-0"'
    assert in_view.score < in_block.score


def _strip_fields(page: Page, x: float, y0: float, angle: int = 0) -> Page:
    """Cells of a vertical strip stacked down from y0 (or, rotated, along the strip's length)."""
    page.text(x, y0, "NORTHWIND ARCHITECTS LLC", 14, angle)
    page.labelled(x, y0 + 200, "PROJECT", "HARBOR VIEW APARTMENTS", 14, angle=angle)
    page.labelled(x, y0 + 260, "PROJECT NO.", "703-16-313", 14, angle=angle)
    page.labelled(x, y0 + 320, "DATE", "MAY 5, 2024", 14, angle=angle)
    page.labelled(x, y0 + 380, "SCALE", '1/2" = 1\'-0"', 14, angle=angle)
    page.labelled(x, y0 + 440, "DRAWING TITLE", "DOOR SCHEDULE", 20, angle=angle)
    page.labelled(x, y0 + 510, "SHEET NUMBER", "A-601", 50, angle=angle)
    return page


@pytest.mark.parametrize("x", [3280, 20], ids=["right", "left"])
def test_vertical_strip_with_upright_text(x):
    page = _strip_fields(Page(), x, 1500)
    result = parse(page)
    assert (result.value("sheet_number"), result.value("sheet_title"), result.value("scale")) == (
        "A-601", "DOOR SCHEDULE", '1/2" = 1\'-0"')


def test_right_strip_with_text_rotated_90_degrees():
    page = Page()
    # Turned so the text reads left to right, the page's right edge is the frame's bottom (frame height 3600).
    _strip_fields(page, 1500, 2980, angle=90)
    page = drawing_noise(page)
    result = parse(page)
    assert (result.value("sheet_number"), result.value("sheet_title"), result.value("scale")) == (
        "A-601", "DOOR SCHEDULE", '1/2" = 1\'-0"')
    assert result.fields["sheet_number"].box.left > 3000  # reported in upright page pixels


def test_bottom_strip():
    page = drawing_noise(Page())
    y = 2250
    page.text(100, y, "STONE & PARTNERS ARCHITECTURE", 14)
    page.labelled(800, y, "PROJECT", "CITY HALL RENOVATION", 14)
    page.labelled(1500, y, "JOB NO.", "2021-118", 12)
    page.labelled(1800, y, "SCALE:", "AS NOTED", 12)
    page.labelled(2300, y, "SHEET TITLE", "BUILDING SECTIONS", 20)
    page.labelled(3200, y, "DWG NO.", "A-301", 40)
    result = parse(page)
    assert (result.value("sheet_number"), result.value("sheet_title"), result.value("scale")) == (
        "A-301", "BUILDING SECTIONS", "AS NOTED")


def test_number_and_title_in_one_cell():
    page = drawing_noise(Page())
    page.text(3100, 2100, "Title:", 12).text(3100, 2125, "SFD RENOVATION AND ADDITION", 10)
    page.text(3100, 2200, "Scale", 10).text(3100, 2230, "1'=1/8\"", 12)
    page.text(3250, 2200, "Drawing Number", 10).text(3250, 2230, "A001.01 - SITE PLAN", 12)
    result = parse(page)
    assert result.value("sheet_number") == "A001.01"
    assert result.value("sheet_title") == "SITE PLAN"
    assert result.value("scale") == '1/8" = 1\'-0"'


def test_ocr_split_prefix_is_joined():
    page = corner_block("AF 101")
    assert parse(page).value("sheet_number") == "AF101"


@pytest.mark.parametrize("read", ["\\W 8", "|W 8", "W8 |"])
def test_a_cell_border_read_beside_a_number_is_not_part_of_it(read):
    """On a scan the rule at the edge of the number cell comes back as a stray \\ or | on the number."""
    page = corner_block(read, number_label="SHEET:")
    assert parse(page).value("sheet_number") == "W8"


def test_stored_title_block_round_trip_keeps_fields():
    from planocr.core import blocks

    result = parse(corner_block("A-101"))
    data = blocks.with_title_block(None, result)
    assert data["title_block"]["sheet_number"] == "A-101"
    back = blocks.decode(data).title_block
    assert back.value("sheet_title") == result.value("sheet_title")
    assert back.detected_sheet_numbers == result.detected_sheet_numbers


def _scale_cell(page: Page, words: list[tuple[float, str, float]], label: str = "SCALE") -> Page:
    """A scale cell whose value OCR delivered as separate words: (x offset, text, height)."""
    x0, y0 = 2800, 1950 + 150
    page.text(x0, y0, label, 9)
    for dx, text, h in words:
        page.lines.append(page.text(x0 + dx, y0 + 16, text, h).lines.pop())
    return page


def test_scale_words_apart_around_the_equals_sign_are_one_scale():
    # Courier leaves about two text heights between 1" and = and 10' at 300 DPI
    page = _scale_cell(corner_block("E-004", scale=""), [(0, '1"', 21), (60, "=", 3), (102, "10'", 22)])
    assert parse(page).value("scale") == '1" = 10\''


def test_a_scale_cell_cut_short_by_ocr_still_gives_the_scale():
    page = _scale_cell(corner_block("A-301", scale=""), [(0, '3/32"', 14), (80, "#-", 14), (120, "Tt", 14)])
    result = parse(page)
    assert result.value("scale") == '3/32" = 1\'-0"'
    assert result.fields["scale"].confidence < 0.9


def test_a_misread_maßstab_label_still_claims_its_value():
    page = drawing_noise(Page())
    page.text(2400, 2100, "Planinhalt", 9).text(2400, 2118, "Grundriss Erdgeschoss", 20)
    page.text(2400, 2170, "Mabstab", 9).text(2400, 2186, "NOT TO SCALE", 14)
    page.text(3000, 2100, "Plan-Nr.", 9).text(3040, 2125, "A-204", 50)
    assert parse(page).value("scale") == "NOT TO SCALE"


def test_a_turned_strip_with_labels_far_apart_is_one_title_block():
    """A large sheet's turned strip puts a label every few inches; its number cell has no label."""
    page = Page(7200, 5400)
    page.text(1000, 800, "GENERAL NOTES", 30).text(1000, 850, "1. Alle Masse sind am Bau zu prüfen.", 20)
    page.text(2000, 3000, "Grundriss", 40).text(2000, 3060, "M 1:50", 20)
    # (x, y) in the turned frame: x runs up the right edge from the bottom, y from the page's left
    page.labelled(3758, 6571, "Planinhalt", "Baubeschreibung", 56, 17, angle=90)
    page.labelled(2790, 6843, "Geprüft", "MK", 28, 21, angle=90)
    page.labelled(2306, 6844, "Datum", "05.11.2025", 28, 18, angle=90)
    page.labelled(1165, 6577, "Bauvorhaben", "Bürogebäude ST12 / Verwaltung", 38, 17, angle=90)
    page.text(4926, 6624, "A-228", 65, angle=90)
    result = parse(page)
    assert result.region is not None and result.region.height == 5400
    assert result.value("sheet_number") == "A-228"
    assert result.value("sheet_title") == "Baubeschreibung"


def test_a_label_run_into_the_text_of_the_cell_before_still_labels_its_cell():
    page = corner_block("ID001.03", title="", number_label=None)
    # a text layer puts the firm's name and the next cell's smaller TITLE label on one line
    page.lines.append(page.text(1557, 1413, "STONE & PARTNERS ARCHITECTURE", 20).lines.pop())
    words = page.lines[-1].words
    label = Word("TITLE", Box(words[-1].box.right + 10, 1413, 40, 14), 0.95, 0)
    page.lines[-1] = Line(words + (label,))
    page.text(label.box.left, 1436, "BUILDING SECTIONS", 19)
    assert parse(page).value("sheet_title") == "BUILDING SECTIONS"


@pytest.mark.parametrize("read", ["4821 A GR_UG 473", "4821 A_GR_UG_473"])
def test_underscores_read_as_spaces_are_put_back(read):
    """OCR reads the low underscores of 4821_A_GR_UG_473 as spaces."""
    page = drawing_noise(Page())
    page.text(2400, 2100, "Planinhalt", 9).text(2400, 2118, "Grundriss Untergeschoss", 20)
    page.text(3000, 2100, "Plan-Nr.", 9).text(3000, 2125, read, 24)
    assert parse(page).value("sheet_number") == "4821_A_GR_UG_473"


def test_an_underscore_read_as_a_wide_gap_is_put_back():
    page = drawing_noise(Page())
    page.text(2400, 2100, "Planinhalt", 9).text(2400, 2118, "Fundamentplan", 20)
    page.text(3000, 2100, "Plan-Nr.", 9).text(3000, 2125, "4821", 24)
    page.text(3000 + 4 * 0.6 * 24 + 58, 2125, "A GR_UG 473", 24)  # the phrase broke at the lost "_"
    assert parse(page).value("sheet_number") == "4821_A_GR_UG_473"


def test_a_lone_figure_is_a_candidate_only_where_a_corner_bubble_holds_the_sheet_number():
    # A civil sheet's corner bubble whose total under the bar was not read: the figure alone is
    # a grid line or a count anywhere else, but in the place above a bubble's bar it is the number.
    from planocr.titleblock.parser import rank_page

    page = Page().text(3420, 60, "7", 60)
    page.text(1200, 1000, "GRADING AND DRAINAGE PLAN", 20)
    place = Box(3390, 40, 120, 90)
    assert [c.text for c in rank_page(page.lines, page.width, page.height).numbers] == []
    ranked = rank_page(page.lines, page.width, page.height, bubbles=[place])
    assert [c.text for c in ranked.numbers] == ["7"]
    assert ranked.numbers[0].features["in_bubble"] == 1.0
    elsewhere = rank_page(page.lines, page.width, page.height, bubbles=[Box(40, 40, 120, 90)])
    assert [c.text for c in elsewhere.numbers] == []
