"""OCR slips in title-block values that the parser mends, and ones it must leave alone."""

from __future__ import annotations

import pytest

from planocr.titleblock.patterns import clean_token, sheet_number_shape
from planocr.titleblock.scales import implausible_fraction, repair_fraction


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
    assert repair_fraction('5/3" = 1\'-0"', []) == ('5/3" = 1\'-0"', False)  # no standard scale to fall back on
