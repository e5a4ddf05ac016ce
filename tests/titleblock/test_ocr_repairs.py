"""OCR slips in title-block values that the parser mends, and ones it must leave alone."""

from __future__ import annotations

import pytest

from planocr.titleblock.labels import match_label
from planocr.titleblock.patterns import clean_token, sheet_number_shape
from planocr.titleblock.scales import find_scales, implausible_fraction, partial_scale, repair_fraction


def test_dollar_for_s_is_read_as_a_structural_sheet_number():
    assert clean_token("$2.01") == "S2.01"
    assert sheet_number_shape(clean_token("$2.01")) == 1.0
    assert clean_token("$ave") == "$ave"  # only before a digit


@pytest.mark.parametrize("text", ['1/4" = 1\'-0"', '3/16" = 1\'-0"', '3/4" = 1\'-0"', '1 1/2" = 1\'-0"', '1" = 20\''])
def test_standard_scales_are_plausible(text):
    assert implausible_fraction(text) is None
    assert repair_fraction(text, []) == (text, False)


def test_a_misread_fraction_takes_the_sheets_own_scale_with_that_denominator():
    found = ['4/4" = 1\'-0"', '3/8" = 1\'-0"', '1/4" = 1\'-0"']
    assert repair_fraction(found[0], found) == ('1/4" = 1\'-0"', True)


def test_a_misread_fraction_without_a_twin_falls_back_to_one_over_the_denominator():
    assert repair_fraction('7/8" = 1\'-0"', []) == ('1/8" = 1\'-0"', True)
    assert repair_fraction('4/8" = 1\'-0"', []) == ('1/8" = 1\'-0"', True)  # 1/2" is never written 4/8"
    assert repair_fraction('5/3" = 1\'-0"', []) == ('5/3" = 1\'-0"', False)  # no standard scale to fall back on


def test_a_lost_space_in_one_and_a_half_inches_is_put_back():
    # 1 1/2" is the scale; OCR dropped the space and the other views say 1/2"
    assert repair_fraction('11/2" = 1\'-0"', ['1/2" = 1\'-0"']) == ('1 1/2" = 1\'-0"', True)
    assert repair_fraction('13/16" = 1\'-0"', []) == ('1/16" = 1\'-0"', True)  # 1 3/16" is no scale


def test_a_mark_read_twice_over_one_glyph_leaves_the_scale_whole():
    from planocr.core.page import Box, Line, Word
    from planocr.titleblock.layout import build_frames

    # a blurred 150 DPI scale cell as tesseract delivered it: each word a line, a ghost "<" just above the "="
    words = [("1'-0\u201d", (1489, 1649, 51, 12), 0.23), ('3/32"', (1401, 1650, 49, 12), 0.93),
             ("<", (1467, 1654, 7, 2), 0.0), ("=", (1467, 1657, 7, 2), 0.96)]
    lines = [Line((Word(text, Box(*box), confidence),)) for text, box, confidence in words]
    phrases = [p.text for frame in build_frames(lines, 2482, 1755) for p in frame.phrases]
    assert phrases == ['3/32" = 1\'-0\u201d']
    assert [m.text for m in find_scales(phrases[0])] == ['3/32" = 1\'-0"']


@pytest.mark.parametrize(("read", "scale"), [
    ('1" = 10°', '1" = 10\''),  # a small foot mark read as a degree sign
    ('3° = 1\'-0"', '3" = 1\'-0"'),  # ... and an inch mark before "="
    ('V2" = 1\'-0"', '1/2" = 1\'-0"'),  # "1/" squeezed into a V
])
def test_degree_signs_for_inch_and_foot_marks(read, scale):
    assert [m.text for m in find_scales(read)] == [scale]


def test_an_angle_in_a_note_is_no_scale():
    assert find_scales("ROTATE 45° AT CORNER") == []
    assert find_scales("TYPE V2 WALL") == []


def test_an_engineering_scale_is_one_inch_to_so_many_feet():
    assert repair_fraction('4" = 50\'', []) == ('1" = 50\'', True)
    assert repair_fraction('1" = 50\'', []) == ('1" = 50\'', False)
    assert repair_fraction('3" = 1\'-0"', []) == ('3" = 1\'-0"', False)  # architectural: 3 inches to the foot


@pytest.mark.parametrize(("cell", "scale"), [
    ('3/32"', '3/32" = 1\'-0"'),
    ('3/4" = 0"', '3/4" = 1\'-0"'),
    ('3" =1', '3" = 1\'-0"'),
    ('11/2"', '1 1/2" = 1\'-0"'),
    ('1 1/2" =', '1 1/2" = 1\'-0"'),
    ('3/32* 2.1108', '3/32" = 1\'-0"'),  # an asterisk for the inch mark, then noise
    ('1/4* = 1', '1/4" = 1\'-0"'),
    ('V2" = 1', '1/2" = 1\'-0"'),
])
def test_the_start_of_a_scale_cell_states_inches_per_foot(cell, scale):
    assert partial_scale(cell) == scale


@pytest.mark.parametrize("cell", ['1"', '5/7"', '3/4', "12 ROOMS", "DETAIL 3", '3/4"PLY'])
def test_no_scale_is_made_up_from_other_cells(cell):
    assert partial_scale(cell) is None


@pytest.mark.parametrize("label", ["Maßstab", "MASSSTAB", "Mabstab", "Mafstab", "Madstab"])
def test_maßstab_as_ocr_without_a_german_model_reads_it(label):
    assert match_label([label]) == ("scale", 1, False)


@pytest.mark.parametrize(("read", "number"), [("TSDEO1", "TSDE01"), ("A-1O1", "A-101"), ("AO1", "AO1"), ("FOO", "FOO")])
def test_an_o_where_a_zero_belongs(read, number):
    from planocr.titleblock.patterns import repair_ocr_number

    assert repair_ocr_number(read) == number


@pytest.mark.parametrize(
    ("words", "field"),
    [
        (["DRAWNG", "NAME", "2ND", "FLOOR"], "sheet_title"),  # a letter lost
        (["ORAWING", "NUMBER"], "sheet_number"),  # a letter misread
        (["DRAWINGG", "TITLE"], "sheet_title"),  # a letter too many
    ],
)
def test_a_scanned_label_with_one_letter_wrong_is_still_a_label(words, field):
    found = match_label(words)
    assert found is not None and found[0] == field and found[1] == 2


@pytest.mark.parametrize(
    "words",
    [
        ["CHECKD"],  # one word alone is never mended: too many drawing words are a letter from a label
        ["FOUNDATON", "PLAN"],  # no label word is a letter away
        ["DRAWNG", "PLAN"],  # mended, the phrase is still no label
    ],
)
def test_words_a_letter_from_a_label_are_not_taken_for_one_alone(words):
    assert match_label(words) is None
