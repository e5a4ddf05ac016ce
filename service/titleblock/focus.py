"""Where on a page the title block's small print is, for an engine to read again more closely.

A low-resolution scan is read once as it is; the part of the page that
holds the title block (the region its labels mark, and the sheet number,
title and scale found there) is then read again enlarged. Enlarging that
part instead of the whole page costs a fraction of the time: a corner
title block is 3 to 10 % of a sheet.
"""

from __future__ import annotations

from planocr.engines.base import Box, OcrResult
from planocr.titleblock.parser import parse_title_block

#: Margin added around the title block, as a share of the page's longer side.
MARGIN = 0.015
#: A focus larger than this share of the page is no saving: the whole page is read again.
MOST = 0.5


def focus_region(result: OcrResult) -> Box | None:
    """The part of ``result``'s page (upright frame) to read again closely; None: the whole page.

    None when the first reading found no sheet number: then nothing says
    where the title block is, or the page has none and a closer reading of
    all of it is the only way to tell.
    """
    found = parse_title_block(result.lines, result.width, result.height)
    number = found.fields.get("sheet_number")
    if number is None or number.box is None:
        return None
    boxes = [number.box] + [found.region] * (found.region is not None)
    for name in ("sheet_title", "scale"):
        field = found.fields.get(name)
        if field is not None and field.box is not None:
            boxes.append(field.box)
    union = Box.union(boxes)
    pad = MARGIN * max(result.width, result.height)
    left, top = max(0, round(union.left - pad)), max(0, round(union.top - pad))
    right, bottom = min(result.width, round(union.right + pad)), min(result.height, round(union.bottom + pad))
    if right <= left or bottom <= top or (right - left) * (bottom - top) > MOST * result.width * result.height:
        return None
    return Box(left, top, right - left, bottom - top)
