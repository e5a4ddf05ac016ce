"""A page's drawn structure as the title-block parser uses it: its ruled cells and the block they make.

:mod:`planocr.titleblock.rules` finds the ruling lines; here they become a
:class:`~planocr.titleblock.rules.CellIndex` (which cell a word sits in)
and the title block as its rules draw it: the largest group of small
ruled cells that touch each other along a page edge or in a corner. That
block needs no label to be found, so label-free title blocks (most Revit
and AutoCAD sheets) are located as well as labelled ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from planocr.core.page import Box
from planocr.titleblock.rules import CellIndex, Rule

#: Cells larger than this share of the page are drawing areas, not title-block cells.
MOST_CELL = 0.08
#: A title block holds at least this many cells.
FEWEST_CELLS = 3
#: Its cells lie within this share of the page from the right, bottom or left edge.
EDGE_REACH = 0.35
#: A block larger than this share of the page is a frame or a table, not a title block.
MOST_BLOCK = 0.35


@dataclass(frozen=True, slots=True)
class PageStructure:
    """The ruled cells of a page (None when it has no rules), the title block they draw (None when none)
    and the places inside corner bubbles where a sheet number is written (above a divided bubble's bar,
    or a whole undivided one), when the page was looked at for them."""

    cells: CellIndex | None = None
    block: Box | None = None
    rules: tuple[Rule, ...] = ()
    bubbles: tuple[Box, ...] = ()

    @classmethod
    def from_rules(cls, rules: Sequence[Rule], width: int, height: int) -> PageStructure:
        if not rules or width <= 0 or height <= 0:
            return cls()
        index = CellIndex(rules, width, height)
        return cls(index, find_block(index.cells(), width, height), tuple(rules))


def find_block(cells: Sequence[Box], width: int, height: int) -> Box | None:
    """The title block: small touching cells against the right, bottom or left edge, joined along it.

    Tables and the rooms of a plan are groups of cells too; a title block
    differs in reaching the sheet's border (its frame), so groups that do
    not are left out. Groups along the same edge (the parts of a strip with
    empty stretches between them) are joined; of what remains the group
    with the most cells wins, the right and bottom edges first.
    """
    page = width * height
    small = [c for c in cells if c.width * c.height <= MOST_CELL * page and c.width > 0 and c.height > 0]
    near = [c for c in small if _near_edge(c, width, height)]
    if len(near) < FEWEST_CELLS:
        return None
    gap = max(width, height) / 150
    strips: dict[str, list[Box]] = {}
    for group in _touching(near, gap):
        box = Box.union(group)
        edge = _edge_of(box, width, height)
        if edge is None:
            continue
        strips.setdefault(edge, []).extend(group)
    best: tuple[float, Box] | None = None
    for edge, group in strips.items():
        if len(group) < FEWEST_CELLS:
            continue
        box = Box.union(group)
        if box.width * box.height > MOST_BLOCK * page:
            continue
        weight = len(group) * (1.0 if edge in ("right", "bottom") else 0.6)
        if best is None or weight > best[0]:
            best = (weight, box)
    return best[1] if best else None


#: A group reaches an edge when its box comes this close to it (share of the page): sheets are framed.
EDGE_GAP = 0.05


def _edge_of(box: Box, width: int, height: int) -> str | None:
    """The page edge a group of cells reaches (right, bottom, left), or None."""
    if box.right >= (1 - EDGE_GAP) * width and box.width < 0.5 * width:
        return "right"
    if box.bottom >= (1 - EDGE_GAP) * height and box.height < 0.5 * height:
        return "bottom"
    if box.left <= EDGE_GAP * width and box.width < 0.3 * width:
        return "left"
    return None


def _near_edge(cell: Box, width: int, height: int) -> bool:
    cx, cy = cell.center
    return cx >= (1 - EDGE_REACH) * width or cy >= (1 - EDGE_REACH) * height or cx <= EDGE_REACH * width / 2


def _touching(cells: list[Box], gap: float) -> list[list[Box]]:
    """Groups of cells linked by sharing (or nearly sharing) a side."""
    parent = list(range(len(cells)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(cells)), key=lambda i: cells[i].left)
    for a_pos, i in enumerate(order):
        a = cells[i]
        for j in order[a_pos + 1 :]:
            b = cells[j]
            if b.left > a.right + gap:
                break
            if b.top <= a.bottom + gap and a.top <= b.bottom + gap:
                parent[root(i)] = root(j)
    groups: dict[int, list[Box]] = {}
    for i, cell in enumerate(cells):
        groups.setdefault(root(i), []).append(cell)
    return list(groups.values())
