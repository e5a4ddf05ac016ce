"""A first title-block parser.

This version looks only at the bottom-right quarter of the sheet (where most
title blocks sit), takes the lowest, rightmost token shaped like a sheet
number, the line after a TITLE label (or the tallest upper-case line) as the
title, and the first scale expression anywhere on the sheet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from planocr.engines.base import Line
from planocr.titleblock.model import Field, TitleBlockResult

SHEET_NUMBER = re.compile(r"^[A-Z]{1,3}-?\d{1,3}(?:\.\d{1,3})?[A-Z]?$")
SCALE = re.compile(
    r"""(\d+(?:\s+\d+)?(?:/\d+)?\s*["”]\s*=\s*\d+'\s*-?\s*\d*"?|1\s*:\s*\d+|\bN\.?T\.?S\.?\b|NOT\s+TO\s+SCALE)""",
    re.IGNORECASE,
)
TITLE_LABEL = re.compile(r"^(SHEET|DRAWING)\s+TITLE:?$", re.IGNORECASE)


def parse_title_block(lines: Sequence[Line], width: int, height: int) -> TitleBlockResult:
    result = TitleBlockResult()
    corner = [ln for ln in lines if ln.box.left >= width * 0.5 and ln.box.top >= height * 0.5]
    numbers = []
    for line in corner:
        for word in line.words:
            token = word.text.strip(".,;:")
            if SHEET_NUMBER.match(token) and any(ch.isdigit() for ch in token):
                numbers.append((word.box.bottom + word.box.right, token, word))
    numbers.sort(key=lambda item: item[0], reverse=True)
    result.detected_sheet_numbers = list(dict.fromkeys(token for _, token, _ in numbers))
    if numbers:
        _, token, word = numbers[0]
        result.fields["sheet_number"] = Field(token, 0.5, word.box)
    for index, line in enumerate(corner):
        if TITLE_LABEL.match(line.text.strip()) and index + 1 < len(corner):
            title = corner[index + 1]
            result.fields["sheet_title"] = Field(title.text, 0.5, title.box)
            result.detected_titles.append(title.text)
            break
    for line in lines:
        for match in SCALE.finditer(line.text):
            result.detected_scales.append(match.group(0).strip())
    if result.detected_scales:
        result.fields["scale"] = Field(result.detected_scales[0], 0.5)
    return result
