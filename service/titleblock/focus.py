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

from collections.abc import Sequence
from dataclasses import dataclass

from planocr.core.fields import TitleBlockResult
from planocr.core.page import Box, Line
from planocr.titleblock.layout import build_frames
from planocr.titleblock.reading import Label, read_page
from planocr.titleblock.scales import find_scales

#: Margin added around the title block, as a share of the page's longer side.
MARGIN = 0.015
#: A focus larger than this share of the page is no saving.
MOST = 0.5
#: A scale cell is looked at from its label this many label heights to the right and down.
CELL_REACH = (18.0, 3.5)
#: At most this many cells are looked at on one page.
MOST_CELLS = 3


@dataclass(frozen=True, slots=True)
class Focus:
    """Where a first reading of a page says a closer look pays, in its upright frame.

    ``region`` is the title block (None: no title block was found);
    ``core`` the part of it that holds the fields found (number, title,
    scale), for when the whole block costs too much to read again;
    ``cells`` are small labelled cells whose value did not read, each with
    the angle its text runs at (as :attr:`Word.angle`).
    """

    region: Box | None = None
    cells: tuple[tuple[Box, int], ...] = ()
    core: Box | None = None


def find_focus(lines: Sequence[Line], width: int, height: int, found: TitleBlockResult) -> Focus:
    """What of the page to read again closely, given its lines and what the parser ``found`` in them.

    No region when no sheet number was found: then nothing says where the
    title block is.
    """
    scale = found.fields.get("scale")
    # a scale taken from a view (none in the block) does not say the block's own scale cell read
    unread = scale is None or scale.box is None or (found.region is not None and not scale.box.centre_in(found.region))
    cells = _scale_cells(lines, width, height) if unread else ()
    return Focus(_region(found, width, height, whole=True), cells, _region(found, width, height, whole=False))


def _region(found: TitleBlockResult, width: int, height: int, *, whole: bool) -> Box | None:
    number = found.fields.get("sheet_number")
    if number is None or number.box is None:
        return None
    boxes = [number.box]
    if whole and found.region is not None:
        boxes.append(found.region)
    for name in ("sheet_title", "scale"):
        field = found.fields.get(name)
        if field is not None and field.box is not None:
            boxes.append(field.box)
    union = Box.union(boxes)
    pad = MARGIN * max(width, height)
    box = _clip(union.left - pad, union.top - pad, union.right + pad, union.bottom + pad, width, height)
    if box is None or box.width * box.height > MOST * width * height:
        return None
    return box


def _scale_cells(lines: Sequence[Line], width: int, height: int) -> tuple[tuple[Box, int], ...]:
    """Scale labels whose value is not a scale: the cell below and beside each.

    The title block's own when it has one, else the views' (``SCALE: 1" = 10'``
    under a view title): then they state the sheet's scale.
    """
    reading = read_page(build_frames(lines, width, height), width, height)
    labels = [label for label in reading.labels if label.field == "scale"]
    own = [label for label in labels if label.page_box.centre_in(reading.region)]
    cells = []
    for label in own or labels:
        if any(find_scales(piece.text) for piece in label.values):
            continue
        box = _cell_box(label, width, height)
        if box is not None:
            cells.append((box, label.frame.angle))
    return tuple(cells[:MOST_CELLS])


def _cell_box(label: Label, width: int, height: int) -> Box | None:
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
    return _clip(x0, y0, x1, y1, width, height)


def _clip(x0: float, y0: float, x1: float, y1: float, width: int, height: int) -> Box | None:
    left, top = max(0, round(x0)), max(0, round(y0))
    right, bottom = min(width, round(x1)), min(height, round(y1))
    if right <= left or bottom <= top:
        return None
    return Box(left, top, right - left, bottom - top)
