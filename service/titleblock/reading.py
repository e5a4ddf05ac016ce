"""Reading a page's phrases: which are labels, which values belong to which label, and where the title block is."""

from __future__ import annotations

import dataclasses
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planocr.core.page import Box
from planocr.titleblock.labels import OTHER, match_label
from planocr.titleblock.layout import Frame, Phrase, Token, TokenRun, stacked_below
from planocr.titleblock.patterns import clean_token, is_date, sheet_number_shape
from planocr.titleblock.scales import find_scales

if TYPE_CHECKING:
    from planocr.titleblock.rules import CellIndex

# Labels that alone say "title block here"; others (DATE, BY ...) also occur in notes and tables.
STRONG_LABELS = {"sheet_number", "sheet_title", "scale", "project_number", "drawn_by", "checked_by"}

_OF_PATTERN = re.compile(
    r"^(?:SHEET|BLATT|PAGE|SEITE|TAVOLA|TAV\.?|FOGLIO|PLANCHE|HOJA|BLAD)?\s*\d{1,4}\s*(?:OF|VON|DI|DE|SUR|VAN|/)\s*\d{1,4}$",
    re.IGNORECASE,
)
_OF_WORDS = ("OF", "VON", "DI", "SUR", "VAN")


@dataclass(slots=True, eq=False)
class Piece(TokenRun):
    """A run of content words in one phrase: a value or free text (never a label)."""

    tokens: list[Token]
    phrase: Phrase
    frame: Frame
    label: Label | None = None  # the label this piece is the value of
    cell_rank: int = 0  # 0: first value line under the label, 1+: further lines of the same cell
    _memo: dict | None = dataclasses.field(default=None, repr=False, compare=False)


@dataclass(slots=True, eq=False)
class Label(TokenRun):
    """A label found on the page and the value pieces that belong to it."""

    field: str
    tokens: list[Token]
    frame: Frame
    colon: bool
    values: list[Piece] = dataclasses.field(default_factory=list)
    _memo: dict | None = dataclasses.field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class PageReading:
    """Labels, content pieces and the title-block region of one page."""

    width: int
    height: int
    frames: list[Frame]
    labels: list[Label]
    pieces: list[Piece]
    region: Box | None
    text_height: float
    excluded: set[int]  # id() of tokens in "3 OF 12" runs: the sheet's place in the set, not its number
    cells: CellIndex | None = None  # the ruled cells of the page, when its rules are known
    block: Box | None = None  # the title block as the page's rules draw it, when they do
    ref_prefixes: frozenset[str] = frozenset()  # discipline letters of the sheets the page refers to ("2/S5.0")
    ref_families: frozenset[str] = frozenset()  # and those sheets' patterns, digits as 9 ("S9.9")
    bubbles: tuple[Box, ...] = ()  # where a corner bubble holds the sheet number (PageStructure.bubbles)
    memo: dict = dataclasses.field(default_factory=dict)  # measurements of the whole page, worked out once


def _inline_value_fits(name: str, rest: list[str], label_words: int) -> bool:
    """Whether the words after a label without a colon are that label's value (and not the label a title word)."""
    if not rest:
        return True
    first = clean_token(rest[0])
    if name == "sheet_number":
        return sheet_number_shape(first) > 0 and len(rest) <= 3
    if name == "scale":
        return bool(find_scales(" ".join(rest)))
    if name == "date":
        return is_date(" ".join(rest[:3])) or is_date(first)
    if name == "revision":
        return len(first) <= 3 and len(rest) <= 2
    if name in ("drawn_by", "checked_by"):
        return len(rest) <= 3 and len(first) <= 12
    if name == "project_number":
        return any(ch.isdigit() for ch in first)
    if name in ("sheet_title", "project_name"):
        return label_words >= 2
    return label_words >= 2 and len(rest) <= 4


def _segment(phrase: Phrase, frame: Frame, labels: list[Label], pieces: list[Piece]) -> None:
    words = [t.text for t in phrase.tokens]
    n = len(words)
    i = 0
    current: Label | None = None
    content: list[Token] = []

    def flush() -> None:
        nonlocal content
        if content:
            piece = Piece(content, phrase, frame, current)
            pieces.append(piece)
            if current is not None:
                current.values.append(piece)
        content = []

    while i < n:
        found = match_label(words[i:])
        if found:
            name, count, colon = found
            rest = words[i + count :]
            next_is_label = bool(rest) and match_label(rest) is not None
            at_start = i == 0 or current is not None and not content
            # A smaller label ending the phrase: the next cell's label run into this cell's text.
            trailing = not rest and i > 0 and all(
                t.box.height < 0.85 * phrase.tokens[i - 1].box.height for t in phrase.tokens[i : i + count]
            )
            genuine = (colon or not rest or next_is_label or _inline_value_fits(name, rest, count)) and (
                at_start or colon or trailing
            )
            if genuine and not colon and rest and not next_is_label and name == OTHER and count == 1 and n > 1:
                genuine = False  # "OF", "BY", "STATE" inside text are words, not labels
            if genuine:
                flush()
                current = Label(name, list(phrase.tokens[i : i + count]), frame, colon)
                labels.append(current)
                i += count
                continue
        content.append(phrase.tokens[i])
        i += 1
    flush()


def _free_value_below(label: Label, candidates: Sequence[Piece], label_boxes: Sequence[Box]) -> list[Piece]:
    """The content of the cell under ``label``: its first piece and the lines stacked under it."""
    lb = label.box
    h = label.height
    column_left = lb.left - 1.0 * h
    below = []
    for piece in candidates:
        pb = piece.box
        # A large value may sit centred in a wide cell, well right of its small label.
        column_right = lb.right + max(8.0 * h, 0.5 * lb.width, 3.0 * piece.height)
        if pb.top < lb.bottom - 0.3 * h or pb.right < column_left or pb.left > column_right:
            continue
        gap = pb.top - lb.bottom
        if gap > max(3.2 * h, 2.2 * piece.height) + 12 * h:
            continue
        if any(
            abs(other.top - lb.top) < h and lb.right < other.left <= pb.left + h and other != lb
            for other in label_boxes
        ):
            continue  # under the next label of the row: that label's value
        below.append((gap, pb.left, piece))
    if not below:
        return []
    below.sort(key=lambda item: (item[0], item[1]))
    first = below[0][2]
    if below[0][0] > max(3.2 * h, 2.2 * first.height):
        return []
    if any(_between_vertically(lb, first.box, other) for other in label_boxes):
        return []
    cell = [first]
    last = first
    # Further lines of the same cell, down to the next label or a wide gap.
    stack = sorted((p for _, _, p in below[1:]), key=lambda p: p.box.top)
    for piece in stack:
        if piece.box.top < last.box.bottom - 0.3 * last.height:
            continue
        max_gap = 1.6 * max(last.height, piece.height)
        if not stacked_below(last, piece, max_gap) and not (
            piece.box.top - last.box.bottom <= max_gap and abs(piece.box.left - first.box.left) <= 2 * h
        ):
            break
        if any(_between_vertically(last.box, piece.box, other) for other in label_boxes):
            break
        cell.append(piece)
        last = piece
    return cell


def _between_vertically(upper: Box, lower: Box, other: Box) -> bool:
    left, right = min(upper.left, lower.left), max(upper.right, lower.right)
    return (
        other.top >= upper.bottom - 1
        and other.bottom <= lower.top + 1
        and min(other.right, right) - max(other.left, left) > 0
        and other != upper
    )


def _free_value_right(label: Label, candidates: Sequence[Piece]) -> Piece | None:
    lb = label.box
    h = label.height
    best = None
    for piece in candidates:
        pb = piece.box
        gap = pb.left - lb.right
        if gap < -0.2 * h or gap > 8 * h:
            continue
        cy, lcy = pb.top + pb.height / 2, lb.top + lb.height / 2
        if abs(cy - lcy) > 0.6 * max(pb.height, lb.height):
            continue
        if best is None or gap < best[0]:
            best = (gap, piece)
    return best[1] if best else None


def _attach_values(frame_labels: Sequence[Label], frame_pieces: Sequence[Piece]) -> None:
    label_boxes = [lb.box for lb in frame_labels]
    free = [p for p in frame_pieces if p.label is None]
    for label in frame_labels:
        if label.values:
            continue
        right = _free_value_right(label, free) if label.colon else None
        if right is not None and right.label is None:
            right.label = label
            label.values.append(right)
            continue
        cell = _free_value_below(label, [p for p in free if p.label is None], label_boxes)
        if not cell:
            right = _free_value_right(label, free)
            if right is not None and right.label is None:
                cell = [right]
        for rank, piece in enumerate(cell):
            piece.label = label
            piece.cell_rank = rank
            label.values.append(piece)


def _box_gap(a: Box, b: Box) -> float:
    dx = max(0, a.left - b.right, b.left - a.right)
    dy = max(0, a.top - b.bottom, b.top - a.bottom)
    return math.hypot(dx, dy)


def find_region(labels: Sequence[Label], width: int, height: int) -> Box | None:
    """The title block: the heaviest cluster of labels near a page edge, grown by a margin."""
    size = max(width, height)
    near_edge = []
    for label in labels:
        box = label.page_box
        cx, cy = box.center
        edge = min(cx / width, 1 - cx / width, cy / height, 1 - cy / height)
        corner = (cx > 0.5 * width and cy > 0.5 * height)
        if edge <= 0.3 or corner:
            near_edge.append(label)
    if not near_edge:
        return None
    link = 0.1 * size
    clusters: list[list[Label]] = []
    for label in near_edge:
        joined = [c for c in clusters if any(_box_gap(label.page_box, o.page_box) <= link for o in c)]
        merged = [label]
        for c in joined:
            merged.extend(c)
            clusters.remove(c)
        clusters.append(merged)

    clusters = _join_in_line(clusters, 0.25 * size, width, height)

    def weight(cluster: list[Label]) -> float:
        fields = {lb.field for lb in cluster}
        w = sum(2.0 if lb.field in STRONG_LABELS else 0.7 for lb in cluster)
        return w + 1.5 * len(fields & {"sheet_number", "sheet_title", "scale"})

    best = max(clusters, key=weight)
    if weight(best) < 3.5 or (len(best) < 2 and not any(lb.field == "sheet_number" and lb.values for lb in best)):
        return None  # one stray label (a view's SCALE:) is not a title block
    box = Box.union([lb.page_box for lb in best] + [p.page_box for lb in best for p in lb.values])
    # A long strip has parts further apart than the link distance: take the clusters in line with it.
    for cluster in sorted(clusters, key=weight, reverse=True):
        if cluster is best:
            continue
        other = Box.union([lb.page_box for lb in cluster] + [p.page_box for lb in cluster for p in lb.values])
        in_row = min(box.bottom, other.bottom) - max(box.top, other.top) > 0.5 * min(box.height, other.height)
        in_column = min(box.right, other.right) - max(box.left, other.left) > 0.5 * min(box.width, other.width)
        if (in_row or in_column) and _box_gap(box, other) <= 0.25 * size:
            box = Box.union([box, other])
    margin = 0.03 * size
    x0, y0 = max(0, box.left - margin), max(0, box.top - margin)
    x1, y1 = min(width, box.right + margin), min(height, box.bottom + margin)
    # A title block runs to the page border (or its frame): extend to a close edge.
    # Strips run the whole length of their edge, with the number often beyond the last label.
    if y1 - y0 > 0.4 * height and (x1 - x0) < 0.35 * width:
        y0, y1 = 0, height
    if x1 - x0 > 0.4 * width and (y1 - y0) < 0.35 * height:
        x0, x1 = 0, width
    # A title block reaches the page border on the sides it is near; its far cells (often the
    # number) may hold no label at all.
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if cx > 0.5 * width or width - x1 < 0.15 * width:
        x1 = width
    if cx < 0.5 * width or x0 < 0.15 * width:
        x0 = 0 if x0 < 0.15 * width or cx < 0.25 * width else x0
    if cy > 0.5 * height or height - y1 < 0.15 * height:
        y1 = height
    if y0 < 0.15 * height:
        y0 = 0
    # A narrow block against a side edge that now spans much of it is a strip: all of that edge.
    if (x0 > 0.75 * width or x1 < 0.25 * width) and y1 - y0 > 0.4 * height:
        y0, y1 = 0, height
    return Box.from_corners(x0, y0, x1, y1)


def _join_in_line(clusters: list[list[Label]], reach: float, width: int, height: int) -> list[list[Label]]:
    """Join label clusters within ``reach`` that lie in one row or column, or along one page edge.

    A strip's labels can be further apart along it than the link distance
    (a turned block on a large sheet puts a label every few inches), and
    its cells sit side by side across it.
    """
    def box(cluster: list[Label]) -> Box:
        return Box.union([lb.page_box for lb in cluster])

    def same_edge(a: Box, b: Box) -> bool:
        return (
            min(a.left, b.left) > 0.8 * width
            or max(a.right, b.right) < 0.2 * width
            or min(a.top, b.top) > 0.8 * height
        )

    def in_line(a: Box, b: Box) -> bool:
        in_row = min(a.bottom, b.bottom) - max(a.top, b.top) > 0.5 * min(a.height, b.height)
        in_column = min(a.right, b.right) - max(a.left, b.left) > 0.5 * min(a.width, b.width)
        return (in_row or in_column or same_edge(a, b)) and _box_gap(a, b) <= reach

    joined = [list(c) for c in clusters]
    merging = True
    while merging:
        merging = False
        for i in range(len(joined)):
            for j in range(i + 1, len(joined)):
                if in_line(box(joined[i]), box(joined[j])):
                    joined[i].extend(joined.pop(j))
                    merging = True
                    break
            if merging:
                break
    return joined


def read_page(frames: Sequence[Frame], width: int, height: int, cells: CellIndex | None = None,
              block: Box | None = None, bubbles: Sequence[Box] = ()) -> PageReading:
    """Label every phrase, attach values to labels and find the title-block region."""
    labels: list[Label] = []
    pieces: list[Piece] = []
    excluded: set[int] = set()
    for frame in frames:
        frame_labels: list[Label] = []
        frame_pieces: list[Piece] = []
        for phrase in frame.phrases:
            if _OF_PATTERN.match(phrase.text.strip()):
                excluded.update(id(t) for t in phrase.tokens)
            _mark_of_runs(phrase, excluded)
            _mark_split_of_run(phrase, frame.phrases, excluded)
            _segment(phrase, frame, frame_labels, frame_pieces)
        _attach_values(frame_labels, frame_pieces)
        labels.extend(frame_labels)
        pieces.extend(frame_pieces)
    region = find_region(labels, width, height)
    heights = [t.box.height for p in pieces for t in p.tokens if region is None or t.page_box.centre_in(region)]
    text_height = statistics.median(heights) if heights else 10.0
    prefixes, families = _references(pieces)
    return PageReading(width, height, list(frames), labels, pieces, region, text_height, excluded, cells, block,
                       prefixes, families, tuple(bubbles))


_REFERENCE = re.compile(r"^(?:\d{1,3}[A-Z]?|[A-Z])/([A-Z]{1,3})[-.]?(\d{1,3}(?:[.\-]\d{1,3})?[A-Z]?)$")


def _references(pieces: Sequence[Piece]) -> tuple[frozenset[str], frozenset[str]]:
    """Sheets the page refers to in detail callouts written ``2/S5.0``: their letters and patterns."""
    prefixes: set[str] = set()
    families: set[str] = set()
    for piece in pieces:
        for token in piece.tokens:
            m = _REFERENCE.match(clean_token(token.text).upper().replace("$", "S"))
            if m:
                prefixes.add(m.group(1))
                families.add(re.sub(r"\d", "9", m.group(1) + m.group(2)))
    return frozenset(prefixes), frozenset(families)


def _mark_of_runs(phrase: Phrase, excluded: set[int]) -> None:
    """Numbers in "3 OF 12" / "3 von 12" never are sheet numbers, nor "OF 12" when OCR lost the 3."""
    tokens = phrase.tokens
    for i in range(len(tokens) - 1):
        if tokens[i].text.upper().strip(".") in _OF_WORDS and tokens[i + 1].text.strip(".").isdigit():
            excluded.update((id(tokens[i]), id(tokens[i + 1])))
            if i > 0 and tokens[i - 1].text.strip(".").isdigit():
                excluded.add(id(tokens[i - 1]))


def _mark_split_of_run(phrase: Phrase, others: Sequence[Phrase], excluded: set[int]) -> None:
    """The 3 of "SHEET 3 | OF 12" when a wide space split the phrase before "OF"."""
    tokens = phrase.tokens
    if len(tokens) < 2 or tokens[0].text.upper().strip(".") not in _OF_WORDS or not tokens[1].text.strip(".").isdigit():
        return
    head, h = tokens[0].box, tokens[0].box.height
    for other in others:
        last = other.tokens[-1]
        b = last.box
        same_line = min(b.bottom, head.bottom) - max(b.top, head.top) > 0.5 * min(b.height, h)
        if other is not phrase and same_line and 0 <= head.left - b.right <= 2.5 * h and last.text.strip(".").isdigit():
            excluded.add(id(last))
