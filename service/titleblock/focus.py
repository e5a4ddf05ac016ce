"""Where on a page a closer look pays: the title block, and scale cells whose value did not read.

A low-resolution scan is read once as it is; the part of the page that
holds the title block (the region its labels mark, and the sheet number,
title and scale found there) is then read again enlarged. Enlarging that
part instead of the whole page costs a fraction of the time: a corner
title block is 3 to 10 % of a sheet. A labelled scale cell whose value
did not read as a scale (6 pt type, a blurred scan) is read once more on
its own, at a higher resolution still.
"""

from __future__ import annotations

from planocr.engines.base import Box, Focus, OcrResult
from planocr.titleblock.layout import build_frames
from planocr.titleblock.parser import parse_title_block
from planocr.titleblock.reading import Label, inside, read_page
from planocr.titleblock.scales import find_scales

#: Margin added around the title block, as a share of the page's longer side.
MARGIN = 0.015
#: A focus larger than this share of the page is no saving: the whole page is read again.
MOST = 0.5
#: A scale cell is looked at from its label this many label heights to the right and down.
CELL_REACH = (18.0, 3.5)
#: At most this many cells are looked at on one page.
MOST_CELLS = 3


def find_focus(result: OcrResult) -> Focus:
    """What of ``result``'s page to read again closely.

    No region when the first reading found no sheet number: then nothing
    says where the title block is, or the page has none and a closer
    reading of all of it is the only way to tell.
    """
    found = parse_title_block(result.lines, result.width, result.height)
    return Focus(_region(found, result), _scale_cells(result) if "scale" not in found.fields or
                 found.fields["scale"].box is None else ())


def _region(found, result: OcrResult) -> Box | None:
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
    box = _clip(union.left - pad, union.top - pad, union.right + pad, union.bottom + pad, result)
    if box is None or box.width * box.height > MOST * result.width * result.height:
        return None
    return box


def _scale_cells(result: OcrResult) -> tuple[tuple[Box, int], ...]:
    """Scale labels whose value is not a scale: the cell below and beside each.

    The title block's own when it has one, else the views' (``SCALE: 1" = 10'``
    under a view title): then they state the sheet's scale.
    """
    reading = read_page(build_frames(result.lines, result.width, result.height), result.width, result.height)
    labels = [label for label in reading.labels if label.field == "scale"]
    own = [label for label in labels if inside(label.page_box, reading.region)]
    cells = []
    for label in own or labels:
        if any(find_scales(piece.text) for piece in label.values):
            continue
        box = _cell_box(label, result)
        if box is not None:
            cells.append((box, label.frame.angle))
    return tuple(cells[:MOST_CELLS])


def _cell_box(label: Label, result: OcrResult) -> Box | None:
    """The page box of the cell a label heads: its line and a few lines below, reaching right."""
    h = label.height
    b = label.box  # in the frame where the label reads left to right
    right, down = CELL_REACH
    x0, y0, x1, y1 = b.left - h, b.top - 0.5 * h, max(b.left + right * h, b.right + right * h / 2), b.bottom + down * h
    angle = label.frame.angle
    fw, fh = label.frame.width, label.frame.height
    if angle == 90:  # frame x runs up the page from its bottom, frame y right from its left
        x0, y0, x1, y1 = y0, fw - x1, y1, fw - x0
    elif angle == 270:  # frame x runs down the page, frame y left from its right
        x0, y0, x1, y1 = fh - y1, x0, fh - y0, x1
    return _clip(x0, y0, x1, y1, result)


def _clip(x0: float, y0: float, x1: float, y1: float, result: OcrResult) -> Box | None:
    left, top = max(0, round(x0)), max(0, round(y0))
    right, bottom = min(result.width, round(x1)), min(result.height, round(y1))
    if right <= left or bottom <= top:
        return None
    return Box(left, top, right - left, bottom - top)
