"""Turning pages, mapping boxes back, merging passes and grouping words into lines."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from planocr.core.lines import group_words
from planocr.core.page import Box, Line, Word
from planocr.engines import geometry


@pytest.mark.parametrize("clockwise", [0, 90, 180, 270])
def test_a_box_survives_the_turn_both_ways(clockwise):
    size = (300, 200)
    image = Image.new("L", size, 255)
    box = Box(40, 30, 50, 20)
    ImageDraw.Draw(image).rectangle((box.left, box.top, box.right - 1, box.bottom - 1), fill=0)
    turned = geometry.rotate(image, clockwise)
    found = Image.eval(turned, lambda v: 255 - v).getbbox()
    assert box.to_rotated(clockwise, size) == Box.from_corners(*found)
    assert Box.from_corners(*found).from_rotated(clockwise, size) == box


def test_word_from_a_turned_scaled_crop_lands_on_the_page():
    # a crop at (100, 50) of 200 x 400, turned a quarter clockwise, halved: 200 x 100
    word = Word("UP", Box(20, 10, 40, 10), 0.9)
    page_word = geometry.word_from_frame(word, scale=0.5, offset=(100, 50), clockwise=90, size=(200, 400))
    assert page_word.angle == 90
    # in the 400 x 200 turned crop: (40..120, 20..40); back in the crop: x 20..40, y 280..360
    assert page_word.box == Box(120, 330, 20, 80)


def words(*specs):
    return [Word(text, Box(*box), conf) for text, box, conf in specs]


def test_merge_adds_new_words_and_keeps_better_base_words():
    base = words(("PLAN", (0, 0, 40, 10), 0.95), ("NOISE", (100, 0, 40, 10), 0.3))
    extra = words(
        ("NEW", (200, 0, 30, 10), 0.9),  # nowhere in base: added
        ("PIAN", (0, 0, 40, 10), 0.8),  # base is better: dropped
        ("A-101", (100, 0, 40, 10), 0.9),  # far more confident than the noise: replaces it
        ("LOW", (300, 0, 30, 10), 0.4),  # under the floor: dropped
    )
    added, replaced = geometry.merge_words(base, extra, min_confidence=0.6)
    assert [w.text for w in added] == ["NEW", "A-101"]
    assert replaced == {1}


def test_merge_prefers_fuller_readings():
    base = words(("-101", (30, 0, 70, 30), 0.91), ("AF", (200, 0, 40, 30), 0.85), ("101", (250, 0, 60, 30), 0.85))
    extra = words(("A-101", (0, 0, 100, 30), 0.9), ("AF101", (200, 0, 110, 30), 0.92))
    added, replaced = geometry.merge_words(base, extra, min_confidence=0.6)
    assert [w.text for w in added] == ["A-101", "AF101"]
    assert replaced == {0, 1, 2}
    # plain words run together are not taken for a code
    base = words(("FIRST", (0, 0, 50, 10), 0.9), ("FLOOR", (60, 0, 50, 10), 0.9))
    added, replaced = geometry.merge_words(base, words(("FIRSTFLOOR", (0, 0, 110, 10), 0.9)), min_confidence=0.6)
    assert (added, replaced) == ([], set())


def test_of_two_extra_words_in_one_place_the_more_confident_stays():
    base = words(("NOISE", (0, 100, 40, 10), 0.3))
    coarse_guess = Word("AA", Box(4624, 900, 72, 36), 0.63)
    turned = Word("THIRD", Box(4668, 904, 26, 104), 0.95, 90)
    weaker_later = Word("QUIHL", Box(4668, 904, 26, 104), 0.89, 270)
    replacing = Word("A-101", Box(0, 100, 40, 10), 0.9)
    added, replaced = geometry.merge_words(base, [replacing, coarse_guess, turned, weaker_later], min_confidence=0.6)
    assert [w.text for w in added] == ["A-101", "THIRD"]
    assert replaced == {0}


def test_short_turned_words_are_kept_inside_their_vertical_line():
    from planocr.engines.vertical import vertical_words as _vertical_words

    line = [Word("Grundriss", Box(2272, 430, 18, 104), 0.92, 90), Word("1.", Box(2272, 400, 18, 14), 0.9, 90),
            Word("Obergeschoss", Box(2272, 236, 24, 158), 0.91, 90)]
    stray = [Word("2.", Box(1500, 400, 18, 14), 0.9, 90), Word("AB", Box(2272, 700, 30, 20), 0.9, 0)]
    assert [w.text for w in _vertical_words(line + stray)] == ["Grundriss", "Obergeschoss", "1."]


def test_text_read_both_up_and_down_keeps_the_direction_that_reads_better_there():
    from planocr.engines.vertical import one_direction

    up = [Word("PLAN", Box(6168, 424, 24, 78), 0.96, 90), Word("REF", Box(6168, 350, 24, 62), 0.96, 90),
          Word("S-007", Box(6250, 150, 94, 322), 0.9, 90)]
    down = [Word("200-S", Box(6250, 150, 94, 322), 0.91, 270), Word("J3U", Box(6168, 350, 24, 62), 0.72, 270),
            Word("NOTES", Box(6400, 900, 24, 90), 0.95, 270)]  # alone in its place: kept
    kept = one_direction(up + down)
    assert [w.text for w in kept] == ["PLAN", "REF", "S-007", "NOTES"]
    assert one_direction(up) == up


def test_vertical_text_bands_span_its_columns_with_a_margin():
    from planocr.engines.vertical import vertical_bands

    strip = [Word("SHEET", Box(3000, 100, 10, 60), 0.9, 90), Word("A-101", Box(3030, 100, 20, 80), 0.9, 90)]
    label = [Word("NOTE", Box(1000, 500, 10, 40), 0.9, 90)]
    down = [Word("PLAN", Box(3100, 900, 10, 40), 0.9, 270)]
    assert vertical_bands(strip + label + down) == [(960, 1050, 90), (2950, 3130, 90), (3060, 3150, 270)]


def test_group_words_builds_lines_in_reading_order():
    found = [
        Word("PLAN", Box(120, 12, 40, 10)),
        Word("FLOOR", Box(60, 10, 50, 12)),
        Word("FIRST", Box(0, 11, 50, 11)),
        Word("FAR", Box(500, 10, 30, 12)),  # same band, far away: its own line
        Word("NOTES", Box(0, 40, 50, 10)),
        Word("2024-118", Box(700, 10, 12, 80), angle=90),
        Word("PROJECT", Box(700, 100, 12, 70), angle=90),
    ]
    lines = group_words(found)
    assert [line.text for line in lines] == ["FIRST FLOOR PLAN", "FAR", "PROJECT 2024-118", "NOTES"]


def test_a_label_over_a_value_in_one_band_is_two_lines():
    """OCR boxes drawn too tall (a small label above a large value) share a band; words covering each other do not share a line."""
    found = [
        Word("DRAWING", Box(1519, 911, 90, 62)),
        Word("FOUNDATION", Box(1526, 908, 516, 134)),  # its box reaches up over the label
        Word("NAME", Box(1625, 914, 57, 59)),
        Word("N", Box(1634, 915, 2, 2)),  # a speck read as a letter
    ]
    texts = sorted(line.text for line in group_words(found))
    assert texts == ["DRAWING NAME", "FOUNDATION", "N"]


def test_words_side_by_side_stay_one_line_even_when_their_boxes_touch():
    found = [Word("STEEL", Box(0, 10, 100, 20)), Word("STUD", Box(95, 10, 80, 20)), Word("DETAILS", Box(170, 9, 140, 22))]
    assert [line.text for line in group_words(found)] == ["STEEL STUD DETAILS"]


def _line(text: str, x: int, y: int, width: int, height: int = 20) -> Line:
    return Line((Word(text, Box(x, y, width, height), 0.9),))


def _order(lines: list[Line]) -> list[str]:
    return [line.words[0].text for line in geometry.reading_order(lines)]


def test_reading_order_reads_columns_one_after_the_other():
    # Rows of the two columns sit at the same heights, the right one listed first.
    lines = [line for i in range(4) for line in (_line(f"r{i}", 500, 30 * i, 400), _line(f"l{i}", 0, 30 * i, 450))]
    assert _order(lines) == ["l0", "l1", "l2", "l3", "r0", "r1", "r2", "r3"]


def test_a_heading_across_the_columns_starts_a_band_of_its_own():
    lines = [_line("HEAD", 0, 0, 900)]
    lines += [line for i in range(3) for line in (_line(f"r{i}", 500, 40 + 30 * i, 400), _line(f"l{i}", 0, 40 + 30 * i, 450))]
    lines += [_line("NEXT", 0, 140, 900)]
    lines += [line for i in range(2) for line in (_line(f"R{i}", 500, 180 + 30 * i, 400), _line(f"L{i}", 0, 180 + 30 * i, 450))]
    assert _order(lines) == ["HEAD", "l0", "l1", "l2", "r0", "r1", "r2", "NEXT", "L0", "L1", "R0", "R1"]


def test_a_single_column_reads_top_to_bottom_and_words_of_a_row_left_to_right():
    lines = [_line("c", 0, 60, 300), _line("a", 0, 0, 300), _line("b2", 200, 30, 100), _line("b1", 0, 30, 190)]
    # b1 and b2 are 10 px apart, under half a line height: no gutter, one row read left to right
    assert _order(lines) == ["a", "b1", "b2", "c"]
    assert geometry.reading_order([]) == []
