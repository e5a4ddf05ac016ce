"""The drawn structure of a sheet: ruling lines, the cells they close, and number bubbles.

Title blocks are grids of ruled cells; the lines of text in one cell belong
together and only they do. This module finds that structure from the page
image alone (pure functions: no OCR, no database), fast enough to run on
every page:

* :func:`find_rules` finds long horizontal and vertical lines.
* :class:`CellIndex` answers which ruled cell a word or line sits in.
* :func:`find_bubbles` finds the circles that civil and DOT sheets carry at
  a page corner, holding the sheet number over the total.
* :func:`rules_to_json` and :func:`rules_from_json` store rules compactly
  beside a document's text layer.

Rules are searched on a reduced copy of the page (about 75 pixels per
inch). Pillow averages each block of pixels in C without copying the page
into Python (on a 113-megapixel page that copy alone would cost more than
the whole search), and a block counts as ink from about what a line one
pixel wide puts into it (half of that on antialiased greyscale pages), so
thin lines survive the reduction as they would taking the darkest pixel
of each block, while the lone specks of a scan do not. Runs of ink along
the rows (and columns) of that copy are joined into candidate lines,
across short gaps and from row to row, which follows a line skewed by a
degree or two. Each candidate is then measured on the page itself along
its length: its thickness, its centre line, where it really starts and
ends, and whether it is a line at all or letters that happened to line up
in the reduced copy.

Bubbles are looked for in the page's corners only, with a Hough transform
on a copy reduced to 50 pixels per inch, each candidate checked on the
page itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image

from planocr.core.page import Box

# --- tuning, in inches unless named otherwise ---------------------------------------------------

#: Pixels per inch of the reduced copy the search runs on (at least; a whole factor of the page's).
WORK_DPI = 75.0
#: Shortest rule reported.
MIN_RULE_LENGTH = 0.4
#: Shortest straight run of ink that can be part of a rule; a line skewed by 1.5 degrees still
#: runs about 38 work pixels along one row of the reduced copy.
MIN_PIECE_LENGTH = 0.1
#: Gaps this short between the pieces of a line in the reduced copy are bridged.
MAX_GAP = 0.04
#: Gaps this short in a line on the page itself (scan dropouts) are bridged; longer ones end it,
#: so letters in a row, whose strokes line up in the reduced copy, are no line.
MAX_PAGE_GAP = 0.02
#: Thicker bars are filled areas, not lines.
MAX_THICKNESS = 0.12
#: A rule is at least this many times longer than it is thick (a large letter's stem is not a rule).
MIN_ASPECT = 6.0
#: The share of a candidate line's extent in the reduced copy that must be ink.
MIN_COVERAGE = 0.8
#: Share of a rule's length along which it must have its usual thickness (elsewhere lines cross
#: it or letters touch it).
MIN_STEADY = 0.6
#: Specks touching a rule shorter than SHORT_RULE inches and gaps in it, per inch, beyond which it is
#: a row of letters (see _lettering).
MAX_EVENTS = 6.0
SHORT_RULE = 1.5
#: Rules on one line this close end to end are one rule with a dropout.
MAX_JOIN = 0.1
#: Rules lean by at most this much (radians) from their axis: scans are skewed by up to 1.5 degrees.
MAX_LEAN = math.radians(2.5)


@dataclass(frozen=True, slots=True)
class Rule:
    """A straight ruling line in page pixels: its centre line from (x0, y0) to (x1, y1).

    A horizontal rule has ``x0 <= x1``, a vertical one ``y0 <= y1``; on a
    skewed scan the other coordinate differs slightly between the ends.
    ``thickness`` is the stroke width in pixels (at least 1).
    """

    x0: int
    y0: int
    x1: int
    y1: int
    thickness: int

    @property
    def horizontal(self) -> bool:
        return abs(self.x1 - self.x0) >= abs(self.y1 - self.y0)

    @property
    def length(self) -> float:
        return math.hypot(self.x1 - self.x0, self.y1 - self.y0)

    @property
    def lean(self) -> float:
        """The angle in radians by which the rule is turned from its axis, clockwise on the page
        (y grows downwards); the same for the horizontal and vertical rules of one skewed scan."""
        if self.horizontal:
            return math.atan2(self.y1 - self.y0, self.x1 - self.x0)
        return math.atan2(self.x0 - self.x1, self.y1 - self.y0)


# --- the reduced page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ink:
    """A page reduced by ``factor``: the darkness of each block and which blocks hold ink."""

    darkness: np.ndarray  # uint8, 0 = background, up to ``solid`` for a block full of ink
    mask: np.ndarray  # bool
    factor: int
    dpi: float  # of the reduced copy
    solid: float  # darkness of a block entirely covered by ink
    threshold: float  # darkness from which a block is ink
    page: Image.Image  # the page itself in greyscale, for measuring candidates at full resolution
    page_threshold: float  # grey level below which a page pixel is ink

    @cached_property
    def page_array(self) -> np.ndarray:
        """The whole page's grey levels (read once, for pages measured in many places)."""
        return np.asarray(self.page)

    def page_ink(self, box: tuple[int, int, int, int]) -> np.ndarray:
        """Which pixels of ``box`` (left, top, right, bottom) on the page are ink."""
        return np.asarray(self.page.crop(box)) < self.page_threshold


def _grey(image: Image.Image) -> Image.Image:
    if image.mode == "L":
        return image
    if image.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image.convert("RGBA")).convert("L")
    return image.convert("L")


def _check(image: Image.Image, dpi: float) -> None:
    if not isinstance(image, Image.Image):
        raise TypeError(f"expected a PIL image, got {type(image).__name__}")
    if isinstance(dpi, bool) or not (isinstance(dpi, (int, float)) and math.isfinite(dpi) and dpi > 0):
        raise ValueError(f"dpi must be a positive number, got {dpi!r}")
    if image.width <= 0 or image.height <= 0:
        raise ValueError(f"image has no pixels ({image.width} x {image.height})")


def _reduce(image: Image.Image, dpi: float, work_dpi: float = WORK_DPI) -> _Ink:
    """The page averaged over blocks of about 1/``work_dpi`` inch, and its ink.

    On a bilevel page (a fax-style scan, in mode "1" or "L") a line one
    pixel wide puts a whole pixel column of ink into each block it crosses,
    and scattered specks mostly one pixel, so a block is ink when it holds
    at least a column's worth. On a greyscale page antialiasing may split
    such a line over two blocks, so half of that counts, unless the
    background's own noise is stronger. On the page itself a pixel is ink
    when it is darker than halfway from the background to the ink.
    """
    factor = max(1, int(dpi // work_dpi))
    grey = _grey(image)
    small = grey.reduce(factor) if factor > 1 else grey
    values = np.asarray(small)
    hist = np.asarray(small.histogram(), dtype=np.int64)
    background = int(np.argmax(hist))
    # Averages of black and white pixels only take factor^2 + 1 levels.
    levels = np.unique(np.round(np.arange(factor * factor + 1) * 255 / (factor * factor)).astype(int))
    marks = values.size - hist[background]
    on_levels = hist[levels].sum() - (hist[background] if background in levels else 0)
    bilevel = image.mode == "1" or (background == 255 and on_levels >= 0.98 * marks)
    darkness = np.subtract(np.uint8(background), np.minimum(values, np.uint8(background)))
    if bilevel:
        solid = float(background)
        threshold = 0.95 * solid / factor
        page_threshold = background / 2.0
    else:
        # The background's noise: how far below its level the histogram falls to an eighth of its peak.
        low = background
        while low > 0 and hist[low - 1] * 8 > hist[background]:
            low -= 1
        noise = (background - low) / 2.04
        # Ink as dark as the darkest percent of the page's marks; black when the page is nearly empty.
        dark_hist = np.zeros(256, np.int64)
        dark_hist[: background + 1] = hist[background::-1]
        marks = dark_hist[32:].sum()
        solid = float(background)
        if marks > 200:
            cumulative = np.cumsum(dark_hist[::-1])
            solid = float(max(64, 255 - int(np.searchsorted(cumulative, marks * 0.01))))
        threshold = max(4.0 * noise + 4.0, 0.45 * solid / factor, 12.0)
        # A block's noise is the pixels' noise over the factor (an average of factor^2 of them).
        page_threshold = background - max(0.45 * solid, 3.5 * noise * factor)
    mask = darkness >= threshold
    return _Ink(darkness, mask, factor, dpi / factor, solid, threshold, grey, page_threshold)


# --- rules --------------------------------------------------------------------------------------


def _runs(mask: np.ndarray, min_length: int, along_columns: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of ink along the rows of ``mask`` (or along its columns), single-pixel gaps closed,
    at least ``min_length`` long: lines (row, or column), starts, ends (exclusive), in line order."""
    view = mask.T if along_columns else mask
    h, w = view.shape
    padded = np.zeros((h, w + 2), bool)
    padded[:, 1:-1] = view
    padded[:, 2:-2] |= view[:, :-2] & view[:, 2:]
    flat = padded.ravel()
    # Each padded line starts and ends blank, so its changes alternate start, end.
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts, ends = changes[0::2], changes[1::2]
    keep = ends - starts >= min_length
    starts, ends = starts[keep], ends[keep]
    lines = starts // (w + 2)
    offset = lines * (w + 2) + 1
    return lines, starts - offset, ends - offset


def _components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected components of ``n`` nodes joined by edges (u, v): a label per node, its smallest member."""
    label = np.arange(n)
    while True:
        lu, lv = label[u], label[v]
        differ = lu != lv
        if not differ.any():
            return label
        np.minimum.at(label, np.maximum(lu, lv)[differ], np.minimum(lu, lv)[differ])
        while True:
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped


def _link(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int, gap: int) -> np.ndarray:
    """Join the pieces of one line: in one row across a gap of at most ``gap``, in the next row where
    they overlap or touch corner to corner (a thick or skewed line). A component label per piece."""
    n = len(rows)
    same = np.flatnonzero((rows[1:] == rows[:-1]) & (starts[1:] - ends[:-1] <= gap))
    span = width + 2
    key_starts = rows * span + starts
    key_ends = rows * span + ends
    lo = np.searchsorted(key_ends, (rows + 1) * span + starts, "left")
    hi = np.searchsorted(key_starts, (rows + 1) * span + ends, "right")
    count = np.maximum(hi - lo, 0)
    first = np.repeat(np.arange(n), count)
    offsets = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    second = np.repeat(lo, count) + offsets
    # A short piece lying within a long one in the next row is something touching the line
    # (specks, letters), not more of it: joining it would make the line look thick.
    length = ends - starts
    inside = (starts[second] >= starts[first]) & (ends[second] <= ends[first]) & (2 * length[second] < length[first])
    around = (starts[first] >= starts[second]) & (ends[first] <= ends[second]) & (2 * length[first] < length[second])
    keep = ~(inside | around)
    return _components(n, np.concatenate([same, first[keep]]), np.concatenate([same + 1, second[keep]]))


@dataclass(frozen=True)
class _Candidates:
    """Near-horizontal lines along the rows of a mask, in work pixels: columns ``start`` to ``end``
    (exclusive), centre row ``a + b * column``."""

    start: np.ndarray
    end: np.ndarray
    a: np.ndarray
    b: np.ndarray
    thickness: np.ndarray  # rows per column


def _candidates(mask: np.ndarray, d: float, along_columns: bool) -> _Candidates:
    """Lines made of long runs: each run at least MIN_PIECE_LENGTH, joined across short gaps and
    from row to row, together at least MIN_RULE_LENGTH long, mostly covered and thin."""
    min_piece = max(3, round(MIN_PIECE_LENGTH * d))
    gap = max(1, round(MAX_GAP * d))
    rows, starts, ends = _runs(mask, min_piece, along_columns)
    width = mask.shape[0] if along_columns else mask.shape[1]
    empty = np.zeros(0)
    if len(rows) == 0:
        return _Candidates(empty, empty, empty, empty, empty)
    label = _link(rows, starts, ends, width, gap)
    order = np.lexsort((starts, label))
    label, rows, starts, ends = label[order], rows[order], starts[order], ends[order]
    first = np.flatnonzero(np.r_[True, label[1:] != label[:-1]])
    group = np.cumsum(np.r_[False, label[1:] != label[:-1]])
    lengths = (ends - starts).astype(np.float64)
    x_min = starts[first]
    x_max = np.maximum.reduceat(ends, first)
    extent = (x_max - x_min).astype(np.float64)
    # Covered length: pieces in start order, each adding what reaches past those before it.
    big = width + 1
    reach = np.maximum.accumulate(group * big + ends) - group * big
    before = np.r_[0, reach[:-1]]
    before[first] = starts[first]
    covered = np.add.reduceat(np.clip(ends - np.maximum(starts, before), 0, None), first).astype(np.float64)
    area = np.add.reduceat(lengths, first)
    rows_spanned = np.maximum.reduceat(rows, first) - np.minimum.reduceat(rows, first) + 1
    # Least squares row = a + b * column over every pixel of the component.
    mid = (starts + ends - 1) / 2.0
    sx = np.add.reduceat(lengths * mid, first)
    sy = np.add.reduceat(lengths * rows, first)
    sxx = np.add.reduceat(lengths * mid * mid + (lengths**3 - lengths) / 12.0, first)
    sxy = np.add.reduceat(lengths * mid * rows, first)
    var = sxx - sx * sx / area
    b = np.where(var > 0, (sxy - sx * sy / area) / np.where(var > 0, var, 1.0), 0.0)
    a = (sy - b * sx) / area
    thickness = area / np.maximum(covered, 1.0)
    ok = (
        (extent >= MIN_RULE_LENGTH * d - 1)
        & (covered >= MIN_COVERAGE * extent)
        & (thickness <= MAX_THICKNESS * d + 1)
        & (np.abs(b) <= math.tan(MAX_LEAN))
        & (rows_spanned <= thickness * 1.5 + np.abs(b) * extent + 2)
    )
    return _Candidates(x_min[ok].astype(np.float64), x_max[ok].astype(np.float64), a[ok], b[ok], thickness[ok])


def _verify(c: _Candidates, ink: _Ink, vertical: bool) -> list[_Found]:
    """Rules in page pixels from candidate lines, checked and measured on the page itself.

    At each page column along a candidate the run of ink through its
    centre (or the nearest within a block) is taken. Columns without one
    are gaps; a gap longer than MAX_PAGE_GAP ends a rule, so letters whose
    strokes lined up in the reduced copy fall apart again. Columns where
    the run is much thicker than the candidate's typical one are crossings
    (another line, a letter touching); a stretch whose runs are mostly not
    typical (a row of small text) is not a line. The thickness is the
    median run, the centre line is fitted through the runs' middles.
    Candidates of similar thickness are measured together, side by side in
    one array.
    """
    if len(c.start) == 0:
        return []
    k = ink.factor
    dpi = ink.dpi * k
    page_w, page_h = (ink.page.height, ink.page.width) if vertical else (ink.page.width, ink.page.height)
    extend = round(MIN_PIECE_LENGTH * dpi)
    max_gap = max(2, round(MAX_PAGE_GAP * dpi))
    # Every second or third page column: a gap that ends a rule still spans one of them or more.
    step = max(1, round(max_gap / 2))
    # Wide enough that a crossing line shows as a run much thicker than the rule's own.
    reaches = np.ceil(c.thickness * k).astype(np.int64) + 2 * k + 3
    x0 = np.maximum(0, (c.start * k).astype(np.int64) - extend)
    x1 = np.minimum(page_w, (c.end * k).astype(np.int64) + extend)
    count = np.maximum(0, (x1 - x0 + step - 1) // step)
    # Many candidates on a page of moderate size: read the page once rather than piece by piece.
    whole = ink.page_array if len(c.start) * 100_000 > page_w * page_h else None
    if whole is not None and vertical:
        whole = whole.T
    columns: list[tuple[np.ndarray, ...]] = []
    buckets = np.ceil(np.log2(reaches))
    for bucket in np.unique(buckets):
        members = np.flatnonzero((buckets == bucket) & (count >= 2))
        if len(members) == 0:
            continue
        centre_row = int(reaches[members].max())
        offsets = np.arange(-centre_row, centre_row + 1, dtype=np.int32)[:, None]
        n = count[members]
        owner = np.repeat(members, n)
        xs = (x0[owner] + step * (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))).astype(np.int32)
        centre = c.a[owner] * k + (k - 1) / 2.0 + c.b[owner] * (xs - (k - 1) / 2.0)
        rows = np.rint(centre).astype(np.int32)
        across = rows[None, :] + offsets
        valid = (across >= 0) & (across < page_h)
        across = np.clip(across, 0, page_h - 1)
        if whole is not None:
            window = (whole[across, xs[None, :]] < ink.page_threshold) & valid
        else:
            window = np.zeros(across.shape, bool)
            ends = np.cumsum(n)
            for i, stop, size in zip(members, ends, n, strict=False):
                part = slice(stop - size, stop)
                top, bottom = int(across[0, part].min()), int(across[-1, part].max()) + 1
                box = (top, x0[i], bottom, x1[i]) if vertical else (x0[i], top, x1[i], bottom)
                band = ink.page_ink(box)
                if vertical:
                    band = band.T  # rows across the line, columns along it
                window[:, part] = band[across[:, part] - top, (xs[part] - x0[i])[None, :]]
            window &= valid
        lengths, middles, open_ended = _runs_through_centre(window, centre_row, k)
        columns.append((owner, xs, lengths, middles + rows - centre_row, open_ended))
    if not columns:
        return []
    owner, xs, lengths, middles, open_ended = (np.concatenate(parts) for parts in zip(*columns, strict=False))
    order = np.argsort(owner, kind="stable")
    return _stretches(
        owner[order], xs[order], lengths[order], middles[order], open_ended[order], step, max_gap, dpi, vertical
    )


def _runs_through_centre(window: np.ndarray, centre: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column of ``window`` (rows across a line), the run of ink through row ``centre`` or the
    nearest one within ``k`` rows: its length (0 where there is none), its middle row, and whether
    it runs on past the window's edge (a stroke leaving the line, not a speck beside it)."""
    size, n = window.shape
    found = np.full(n, -1, dtype=np.int32)
    for o in sorted(range(-k, k + 1), key=abs, reverse=True):
        found = np.where(window[centre + o], centre + o, found)
    has = found >= 0
    idx = np.arange(size, dtype=np.int32)[:, None]
    gaps = ~window
    above = np.where(gaps & (idx <= found), idx, -1).max(axis=0)
    below = np.where(gaps & (idx >= found), idx, size).min(axis=0)
    return np.where(has, below - above - 1, 0), (above + below) / 2.0, has & ((above < 0) | (below >= size))


def _group_median(values: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
    """The median of ``values`` within each of ``count`` groups (NaN for an empty group)."""
    out = np.full(count, np.nan)
    if len(values) == 0:
        return out
    order = np.lexsort((values, groups))
    v, g = values[order], groups[order]
    first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    size = np.diff(np.r_[first, len(g)])
    out[g[first]] = (v[first + (size - 1) // 2] + v[first + size // 2]) / 2.0
    return out


def _stretches(
    owner: np.ndarray, xs: np.ndarray, lengths: np.ndarray, middles: np.ndarray, open_ended: np.ndarray,
    step: int, max_gap: int, dpi: float, vertical: bool,
) -> list[_Found]:
    """Rules from the measured columns of all candidates (``owner`` says whose): stretches of ink
    split at long gaps, trimmed to the rule's own stroke, checked and fitted."""
    inked = lengths > 0
    count = int(owner.max()) + 1
    typical = _group_median(lengths[inked].astype(np.float64), owner[inked], count)[owner]
    steady = inked & (lengths <= 1.6 * typical + 1.5) & (lengths >= 0.6 * typical - 1)
    # Stretches of inked columns of one candidate with gaps of at most ``max_gap`` pixels.
    where = np.flatnonzero(inked)
    if len(where) == 0:
        return []
    cut = (np.diff(owner[where]) != 0) | (np.diff(xs[where]) > max_gap + 1)
    stretch = np.cumsum(np.r_[False, cut])
    # Each trimmed to its first and last steady column: a rule starts and ends with its own stroke.
    held = steady[where]
    if not held.any():
        return []
    last = np.full(stretch[-1] + 1, -1)
    np.maximum.at(last, stretch[held], where[held])
    firsts = np.full(stretch[-1] + 1, len(xs))
    np.minimum.at(firsts, stretch[held], where[held])
    ok = last >= 0
    f, lst = firsts[ok], last[ok]
    steady_sum = np.r_[0, np.cumsum(steady)]
    columns = lst - f + 1
    size = xs[lst] - xs[f] + step
    keep = (size >= MIN_RULE_LENGTH * dpi) & (steady_sum[lst + 1] - steady_sum[f] >= MIN_STEADY * columns)
    f, lst = f[keep], lst[keep]
    if len(f) == 0:
        return []
    # Which kept stretch each column belongs to (-1: none).
    marks = np.zeros(len(xs) + 1, np.int64)
    np.add.at(marks, f, 1)
    np.add.at(marks, lst + 1, -1)
    inside = np.cumsum(marks[:-1]) > 0
    member = np.where(inside, np.cumsum(np.isin(np.arange(len(xs)), f)) - 1, -1)
    use = (member >= 0) & steady
    m = member[use]
    thickness = _group_median(lengths[use].astype(np.float64), m, len(f))
    x, y = xs[use].astype(np.float64), middles[use]
    sn = np.bincount(m, minlength=len(f)).astype(np.float64)
    sx, sy = np.bincount(m, x, len(f)), np.bincount(m, y, len(f))
    xm, ym = sx / sn, sy / sn
    dx, dy = x - xm[m], y - ym[m]
    sxx, sxy = np.bincount(m, dx * dx, len(f)), np.bincount(m, dx * dy, len(f))
    slope = np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), 0.0)
    # Crossings, where the run turns much thicker than the rule's own: strokes that leave it (a
    # line or a letter), and specks beside it. And gaps.
    crossing = (member >= 0) & inked & ~steady
    entered = np.flatnonzero(crossing[1:] & ~crossing[:-1]) + 1
    left = np.flatnonzero(crossing[:-1] & ~crossing[1:])
    left = left[np.searchsorted(left, entered[0]):][: len(entered)] if len(entered) else left[:0]
    # A crossing is a stroke when the run leaves the window anywhere along it.
    leaving = np.r_[0, np.cumsum(open_ended & crossing)]
    stroke = leaving[left + 1] - leaving[entered] > 0
    blank = (member >= 0) & ~inked
    gaps = np.bincount(member[np.flatnonzero(blank[1:] & ~blank[:-1]) + 1], minlength=len(f))
    specks = np.bincount(member[entered[~stroke]], minlength=len(f))
    strokes = entered[stroke]
    split = np.searchsorted(member[strokes], np.arange(1, len(f)))
    stroked_at = np.split((xs[strokes] + xs[left[stroke]]) / 2.0, split)
    found: list[_Found] = []
    for j in range(len(f)):
        t = float(thickness[j])
        length = float(xs[lst[j]] - xs[f[j]] + step)
        if t > MAX_THICKNESS * dpi or length < MIN_ASPECT * t or abs(slope[j]) > math.tan(MAX_LEAN):
            continue
        # Over the line met at an end (a crossing run), not over what lies beyond it.
        lo, hi = int(f[j]), int(lst[j])
        reach = int(2 * t + 2) // step
        while reach > 0 and lo > 0 and owner[lo - 1] == owner[lo] and lengths[lo - 1] > 1.6 * t:
            lo, reach = lo - 1, reach - 1
        reach = int(2 * t + 2) // step
        while reach > 0 and hi + 1 < len(xs) and owner[hi + 1] == owner[hi] and lengths[hi + 1] > 1.6 * t:
            hi, reach = hi + 1, reach - 1
        a0, a1 = int(xs[lo]), int(xs[hi]) + step - 1
        c0 = ym[j] + slope[j] * (a0 - xm[j])
        c1 = ym[j] + slope[j] * (a1 - xm[j])
        width = max(1, round(t))
        rule = Rule(round(c0), a0, round(c1), a1, width) if vertical else Rule(a0, round(c0), a1, round(c1), width)
        found.append(_Found(rule, stroked_at[j], int(specks[j] + gaps[j])))
    return found


@dataclass(frozen=True)
class _Found:
    """A rule as measured, with where strokes leave it (along its length), and how many specks
    touch it and gaps break it."""

    rule: Rule
    strokes: np.ndarray
    blemishes: int


def _lettering(found: list[_Found], across: list[Rule], dpi: float) -> list[bool]:
    """Which of the rules are rows of letters rather than lines.

    Letters standing on a common baseline (or serifs in a row, or the bars
    of a double T) leave it as strokes every few hundredths of an inch and
    leave gaps in it. Ruled lines are left by other rules, and otherwise
    touched now and then by a letter, and by specks on a scan. A rule
    shorter than SHORT_RULE is lettering when more than one stroke and two
    per inch leave it that no rule of the other direction explains, or when
    specks and gaps come to more than two and MAX_EVENTS per inch; longer
    stretches without a gap are no row of letters, which word spaces
    break.
    """
    # The other direction's rules, as (position across this direction, start, end, thickness).
    others = np.array([((r.x0 + r.x1) / 2, min(r.y0, r.y1), max(r.y0, r.y1), r.thickness) if not r.horizontal
                       else ((r.y0 + r.y1) / 2, min(r.x0, r.x1), max(r.x0, r.x1), r.thickness) for r in across])
    slack = 2 + MAX_PAGE_GAP * dpi
    verdicts = []
    for item in found:
        rule = item.rule
        inches = rule.length / dpi
        if inches >= SHORT_RULE:
            verdicts.append(False)
            continue
        strokes = len(item.strokes)
        if len(others) and strokes:
            position = (rule.y0 + rule.y1) / 2 if rule.horizontal else (rule.x0 + rule.x1) / 2
            spans = others[(others[:, 1] - slack <= position) & (others[:, 2] + slack >= position)]
            if len(spans):
                near = np.abs(item.strokes[:, None] - spans[None, :, 0]) <= spans[None, :, 3] / 2 + slack
                strokes = int((~near.any(axis=1)).sum())
        verdicts.append(strokes > 1 + 2 * inches or item.blemishes > 2 + MAX_EVENTS * inches)
    return verdicts


def find_rules(image: Image.Image, dpi: float) -> list[Rule]:
    """Long horizontal and vertical lines of a page image, in its pixels.

    ``image`` is a page in any PIL mode (greyscale "L" and bilevel "1" need
    no conversion); ``dpi`` its resolution. Lines from 0.4 inch long are
    found, solid or with short breaks (scan dropouts), with text touching
    or crossing them, on scans skewed by up to about 2 degrees; thick frame
    borders count, filled areas, dashed lines, hatching and text do not.
    Horizontal rules come first, top to bottom, then vertical ones, left
    to right.
    """
    _check(image, dpi)
    ink = _reduce(image, dpi)
    horizontal = _verify(_candidates(ink.mask, ink.dpi, False), ink, vertical=False)
    vertical = _verify(_candidates(ink.mask, ink.dpi, True), ink, vertical=True)
    h_rules = _merge(horizontal, _lettering(horizontal, [f.rule for f in vertical], dpi), dpi)
    v_rules = _merge(vertical, _lettering(vertical, [f.rule for f in horizontal], dpi), dpi)
    return sorted(h_rules, key=lambda r: (r.y0, r.x0)) + sorted(v_rules, key=lambda r: (r.x0, r.y0))


def _merge(found: list[_Found], lettering: list[bool], dpi: float) -> list[Rule]:
    """One rule per line: measured rules of one orientation lying on one line and overlapping, or
    apart by at most MAX_JOIN (a dropout too long to bridge while measuring), become one.

    Pieces taken for lettering are left out, unless they continue a rule at
    least SHORT_RULE long (a stretch of a long line that specks crowd).
    """
    if not found:
        return []
    vertical = not found[0].rule.horizontal
    # In the line's own frame: along from a0 to a1, across c0 at a0 and c1 at a1.
    lines = [(r.y0, r.y1, r.x0, r.x1, r.thickness) if vertical else (r.x0, r.x1, r.y0, r.y1, r.thickness)
             for r in (f.rule for f in found)]
    order = sorted(range(len(lines)), key=lambda i: (lines[i][2] + lines[i][3]) / 2)
    parent = list(range(len(lines)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def across(line: tuple, at: float) -> float:
        a0, a1, c0, c1, _ = line
        return c0 if a1 == a0 else c0 + (c1 - c0) * (at - a0) / (a1 - a0)

    join = MAX_JOIN * dpi
    slack = max(line[4] for line in lines) / 2 + 2
    for pos, i in enumerate(order):
        li = lines[i]
        for j in order[pos + 1:]:
            lj = lines[j]
            if (lj[2] + lj[3]) / 2 - (li[2] + li[3]) / 2 > slack + abs(li[3] - li[2]) + abs(lj[3] - lj[2]):
                break
            if max(li[0], lj[0]) - min(li[1], lj[1]) > join:
                continue
            tolerance = max(li[4], lj[4]) / 2 + 2
            ends = (max(li[0], lj[0]), min(li[1], lj[1]))
            if all(abs(across(li, a) - across(lj, a)) <= tolerance for a in ends):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(lines)):
        groups.setdefault(root(i), []).append(i)
    merged: list[Rule] = []
    for members in groups.values():
        if not any(lines[i][1] - lines[i][0] >= SHORT_RULE * dpi for i in members):
            members = [i for i in members if not lettering[i]]
            if not members:
                continue
        longest = lines[max(members, key=lambda i: lines[i][1] - lines[i][0])]
        a0, a1 = min(lines[i][0] for i in members), max(lines[i][1] for i in members)
        c0, c1 = round(across(longest, a0)), round(across(longest, a1))
        t = max(lines[i][4] for i in members) if len(members) > 1 else longest[4]
        merged.append(Rule(c0, a0, c1, a1, t) if vertical else Rule(a0, c0, a1, c1, t))
    return merged


# --- cells --------------------------------------------------------------------------------------

#: Rules whose ends lie within this many tolerances of the corner they would meet at are joined
#: there: rounded corners leave a gap of their radius.
CORNER_REACH = 3.0


def _skew(rules: Sequence[Rule]) -> float:
    """The page's skew in radians: the length-weighted median lean of its rules."""
    if not rules:
        return 0.0
    leans = np.array([r.lean for r in rules])
    weights = np.array([r.length for r in rules])
    order = np.argsort(leans)
    cumulative = np.cumsum(weights[order])
    return float(leans[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _joined(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Intervals, overlapping or touching ones joined."""
    out: list[list[float]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


def _close_corners(
    horizontal: list[tuple[float, float, float]], vertical: list[tuple[float, float, float]], reach: float
) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Rules (position, start, end) of both directions with the ends of rounded corners joined.

    Where a horizontal rule ends near a vertical one's position and that
    one ends near the horizontal's, both within ``reach`` of the corner
    they would meet at and both running away from it, the corner is drawn
    as an arc (or left open): both are extended to meet there.
    """
    if not horizontal or not vertical:
        return horizontal, vertical
    h = np.array(horizontal, dtype=np.float64)
    v = np.array(vertical, dtype=np.float64)
    h_start, h_end = h[:, 1].copy(), h[:, 2].copy()
    v_start, v_end = v[:, 1].copy(), v[:, 2].copy()
    x, y = v[None, :, 0], h[:, None, 0]  # the corners' positions, one per pair
    for h_side, v_side in ((1, 1), (1, 2), (2, 1), (2, 2)):
        hx = h[:, None, h_side]  # the horizontal rule's end
        vy = v[None, :, v_side]  # the vertical rule's end
        # Each must run away from the corner: a left end from a corner to its left, and so on.
        h_away = (x <= hx + 1) if h_side == 1 else (x >= hx - 1)
        v_away = (y <= vy + 1) if v_side == 1 else (y >= vy - 1)
        meet = (np.abs(hx - x) <= reach) & (np.abs(vy - y) <= reach) & h_away & v_away
        hi, vi = np.nonzero(meet)
        if h_side == 1:
            np.minimum.at(h_start, hi, v[vi, 0])
        else:
            np.maximum.at(h_end, hi, v[vi, 0])
        if v_side == 1:
            np.minimum.at(v_start, vi, h[hi, 0])
        else:
            np.maximum.at(v_end, vi, h[hi, 0])
    return (
        [(float(p), float(a), float(b)) for p, a, b in zip(h[:, 0], h_start, h_end, strict=False)],
        [(float(p), float(a), float(b)) for p, a, b in zip(v[:, 0], v_start, v_end, strict=False)],
    )


class CellIndex:
    """The ruled cells of a page, from its rules.

    A cell is the smallest rectangle bounded by rules on all four sides. A
    rule bounds a side when it runs the side's whole length, give or take
    ``tolerance`` pixels at either end, so partial grids whose lines stop a
    little short still close their cells; rules less than half of that
    apart across their length lie on one line. The page border bounds a
    side only when a rule runs along that border (within 4% of the page's
    shorter side from it, over at least a quarter of its length): a cell
    open towards a bare border is no cell. ``tolerance`` defaults to 1/500
    of the page's longer side (0.03 to 0.09 inch on drawing sheets). Two
    rules that both end within CORNER_REACH tolerances of the corner they
    would meet at (a box with rounded corners) are joined there.

    On a skewed scan the grid is built in the page's upright frame (turned
    back by the rules' median lean) and each cell is reported as the
    upright box around it, in page pixels.

    The grid's lines cut the page into elementary rectangles; those joined
    through sides no rule covers form regions. A region that fills its
    bounding rectangle is a cell; an L-shaped one (a rule that stops in the
    middle of a cell) belongs to the smallest rectangle made of whole
    regions around it; a region that reaches an open border has no cell.
    """

    def __init__(self, rules: Iterable[Rule], width: int, height: int, *, tolerance: float | None = None):
        if width <= 0 or height <= 0:
            raise ValueError(f"page has no pixels ({width} x {height})")
        if tolerance is not None and not (math.isfinite(tolerance) and tolerance >= 0):
            raise ValueError(f"tolerance must be a number of pixels >= 0, got {tolerance!r}")
        self.width, self.height = int(width), int(height)
        self.tolerance = float(tolerance) if tolerance is not None else max(3.0, max(width, height) / 500)
        rules = [r for r in rules if r.length > 0]
        #: The skew the grid was turned back by, in radians (see :attr:`Rule.lean`).
        self.angle = _skew(rules)
        self._cos, self._sin = math.cos(self.angle), math.sin(self.angle)
        horizontal: list[tuple[float, float, float]] = []
        vertical: list[tuple[float, float, float]] = []
        for r in rules:
            (ax, ay), (bx, by) = self._upright(r.x0, r.y0), self._upright(r.x1, r.y1)
            if r.horizontal:
                horizontal.append(((ay + by) / 2, min(ax, bx), max(ax, bx)))
            else:
                vertical.append(((ax + bx) / 2, min(ay, by), max(ay, by)))
        horizontal, vertical = _close_corners(horizontal, vertical, CORNER_REACH * self.tolerance)
        self._xs, x_covers = self._lines(vertical, self.width, self.height)
        self._ys, y_covers = self._lines(horizontal, self.height, self.width)
        v_cover = self._coverage(x_covers, self._ys)  # vertical line i covers the rows' segment j
        h_cover = self._coverage(y_covers, self._xs)  # horizontal line j covers the columns' segment i
        self._label, self._open, self._bounds = self._regions(v_cover, h_cover)
        self._results: dict[int, tuple[int, int, int, int] | None] = {}

    def _upright(self, x: float, y: float) -> tuple[float, float]:
        dx, dy = x - self.width / 2, y - self.height / 2
        return self.width / 2 + dx * self._cos + dy * self._sin, self.height / 2 - dx * self._sin + dy * self._cos

    def _page(self, x: float, y: float) -> tuple[float, float]:
        dx, dy = x - self.width / 2, y - self.height / 2
        return self.width / 2 + dx * self._cos - dy * self._sin, self.height / 2 + dx * self._sin + dy * self._cos

    def _lines(
        self, rules: list[tuple[float, float, float]], extent: int, span: int
    ) -> tuple[np.ndarray, list[list[tuple[float, float]]]]:
        """Grid lines across one axis from rules (position, start, end): their positions, the
        page's two borders first and last, and what each covers (tolerance added at the ends)."""
        join = max(2.0, self.tolerance / 2)
        clusters: list[list[tuple[float, float, float]]] = []
        for rule in sorted(rules):
            if clusters and rule[0] - clusters[-1][0][0] <= join:
                clusters[-1].append(rule)
            else:
                clusters.append([rule])
        near_border = 0.04 * min(self.width, self.height)
        positions: list[float] = [0.0]
        covers: list[list[tuple[float, float]]] = [[]]
        closed = [False, False]
        for cluster in clusters:
            weight = sum(r[2] - r[1] for r in cluster) or 1.0
            position = sum(r[0] * (r[2] - r[1]) for r in cluster) / weight
            spans = _joined((r[1] - self.tolerance, r[2] + self.tolerance) for r in cluster)
            if sum(hi - lo for lo, hi in spans) >= span / 4:
                closed[0] |= position <= near_border
                closed[1] |= position >= extent - near_border
            if join < position < extent - join:
                positions.append(position)
                covers.append(spans)
        positions.append(float(extent))
        covers.append([])
        everything = [(-math.inf, math.inf)]
        if closed[0]:
            covers[0] = everything
        if closed[1]:
            covers[-1] = everything
        return np.array(positions), covers

    @staticmethod
    def _coverage(covers: list[list[tuple[float, float]]], cross: np.ndarray) -> np.ndarray:
        """Which segments between consecutive ``cross`` positions each line covers."""
        out = np.zeros((len(covers), len(cross) - 1), bool)
        for line, spans in enumerate(covers):
            for lo, hi in spans:
                first = int(np.searchsorted(cross, lo, "left"))
                last = int(np.searchsorted(cross, hi, "right")) - 1
                if last > first:
                    out[line, first:last] = True
        return out

    @staticmethod
    def _regions(v_cover: np.ndarray, h_cover: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Label the elementary rectangles (rows x columns) by region; per region whether it reaches
        an open border, and its bounds (first column, first row, last column, last row)."""
        nx, ny = v_cover.shape[0] - 1, h_cover.shape[0] - 1
        ids = np.arange(nx * ny).reshape(ny, nx)
        across = ~v_cover[1:-1].T  # (ny, nx - 1): rectangle (j, i) joins (j, i + 1)
        down = ~h_cover[1:-1]  # (ny - 1, nx): rectangle (j, i) joins (j + 1, i)
        u = np.concatenate([ids[:, :-1][across], ids[:-1, :][down]])
        v = np.concatenate([ids[:, 1:][across], ids[1:, :][down]])
        label = _components(nx * ny, u, v).reshape(ny, nx)
        leaks = np.zeros((ny, nx), bool)
        leaks[:, 0] |= ~v_cover[0]
        leaks[:, -1] |= ~v_cover[-1]
        leaks[0, :] |= ~h_cover[0]
        leaks[-1, :] |= ~h_cover[-1]
        flat = label.ravel()
        count = nx * ny
        is_open = np.zeros(count, bool)
        is_open[flat[leaks.ravel()]] = True
        cols = np.tile(np.arange(nx), ny)
        rows = np.repeat(np.arange(ny), nx)
        bounds = np.empty((count, 4), np.int64)
        bounds[:, 0] = bounds[:, 1] = np.iinfo(np.int64).max
        bounds[:, 2] = bounds[:, 3] = -1
        np.minimum.at(bounds[:, 0], flat, cols)
        np.minimum.at(bounds[:, 1], flat, rows)
        np.maximum.at(bounds[:, 2], flat, cols)
        np.maximum.at(bounds[:, 3], flat, rows)
        return label, is_open, bounds

    def _resolve(self, region: int) -> tuple[int, int, int, int] | None:
        """The grid bounds of the cell holding ``region``, None if it has none."""
        if region in self._results:
            return self._results[region]
        result: tuple[int, int, int, int] | None = None
        if not self._open[region]:
            i0, j0, i1, j1 = (int(v) for v in self._bounds[region])
            while True:
                inside = np.unique(self._label[j0 : j1 + 1, i0 : i1 + 1])
                if self._open[inside].any():
                    break
                b = self._bounds[inside]
                grown = int(b[:, 0].min()), int(b[:, 1].min()), int(b[:, 2].max()), int(b[:, 3].max())
                if grown == (i0, j0, i1, j1):
                    result = grown
                    break
                i0, j0, i1, j1 = grown
        self._results[region] = result
        return result

    def _box(self, bounds: tuple[int, int, int, int]) -> Box:
        i0, j0, i1, j1 = bounds
        x0, x1 = self._xs[i0], self._xs[i1 + 1]
        y0, y1 = self._ys[j0], self._ys[j1 + 1]
        corners = [self._page(x, y) for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
        left = max(0.0, min(x for x, _ in corners))
        top = max(0.0, min(y for _, y in corners))
        right = min(float(self.width), max(x for x, _ in corners))
        bottom = min(float(self.height), max(y for _, y in corners))
        return Box.from_corners(left, top, right, bottom)

    def cell_of(self, box: Box) -> Box | None:
        """The cell holding the centre of ``box`` (page pixels), or None when no ruled rectangle
        closes around it."""
        x, y = self._upright(*box.center)
        i = int(np.searchsorted(self._xs, x, "right")) - 1
        j = int(np.searchsorted(self._ys, y, "right")) - 1
        if not (0 <= i < len(self._xs) - 1 and 0 <= j < len(self._ys) - 1):
            return None
        bounds = self._resolve(int(self._label[j, i]))
        return self._box(bounds) if bounds is not None else None

    def cells(self) -> list[Box]:
        """Every cell of the page, top to bottom, left to right."""
        found = {bounds for region in np.unique(self._label) if (bounds := self._resolve(int(region))) is not None}
        return sorted((self._box(b) for b in found), key=lambda b: (b.top, b.left, b.bottom, b.right))


# --- bubbles ------------------------------------------------------------------------------------

#: Diameters of the circles looked for, in inches.
BUBBLE_DIAMETERS = (0.25, 1.5)
#: How far from each page corner they are looked for, in inches, and at most as a share of the
#: page's shorter side.
CORNER_SIZE = 4.0
CORNER_SHARE = 0.4
#: Share of a circle's outline that must be ink (leaders, letters and the bar may cross it; scans
#: leave gaps).
MIN_OUTLINE = 0.8
#: Share of a chord through the middle that must be ink for a horizontal bar.
MIN_BAR = 0.8
#: Pixels per inch of the reduced corners circles are looked for on.
BUBBLE_DPI = 50.0
#: Share of a circle's outline voting for it in the Hough transform for a closer look.
MIN_VOTES = 0.3
#: Most likely circles checked per corner.
MAX_BUBBLE_CANDIDATES = 20


@dataclass(frozen=True, slots=True)
class Bubble:
    """A circle on the page: its bounding box, and whether a horizontal bar divides it.

    When it does, ``upper`` and ``lower`` are the boxes of the circle's box
    above and below the bar (a sheet number over the total on civil
    sheets); otherwise both are None.
    """

    box: Box
    divided: bool
    upper: Box | None = None
    lower: Box | None = None


def _candidate_circles(ink: _Ink) -> list[tuple[float, float, float]]:
    """Likely circles on a reduced corner, strongest first: centre x, y and radius in its pixels,
    from a gradient Hough transform (each edge pixel votes for the centres a radius away along its
    gradient, both ways: outer edges face the centre, inner ones away from it)."""
    mask, d = ink.mask, ink.dpi
    h, w = mask.shape
    r_min = max(3, int(BUBBLE_DIAMETERS[0] * d / 2 * 0.9))
    r_max = int(math.ceil(BUBBLE_DIAMETERS[1] * d / 2 * 1.05))
    if h < 2 * r_min or w < 2 * r_min:
        return []
    dark = ink.darkness.astype(np.float32)
    smooth = dark.copy()
    smooth[1:-1, 1:-1] = sum(dark[1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9
    gx = np.zeros_like(smooth)
    gy = np.zeros_like(smooth)
    gx[:, 1:-1] = smooth[:, 2:] - smooth[:, :-2]
    gy[1:-1, :] = smooth[2:, :] - smooth[:-2, :]
    magnitude = np.hypot(gx, gy)
    ys, xs = np.nonzero(magnitude >= ink.threshold / 8)
    if len(ys) == 0:
        return []
    ux = (gx[ys, xs] / magnitude[ys, xs])[:, None]
    uy = (gy[ys, xs] / magnitude[ys, xs])[:, None]
    radii = np.arange(r_min, r_max + 1)
    steps = radii.astype(np.float32)
    votes = np.zeros(h * w * len(radii), np.int64)
    for sign in (1, -1):
        cx = np.rint(xs[:, None] + sign * ux * steps).astype(np.int32)
        cy = np.rint(ys[:, None] + sign * uy * steps).astype(np.int32)
        inside = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
        index = (cy * w + cx) * len(radii) + np.arange(len(radii), dtype=np.int32)
        votes += np.bincount(index[inside], minlength=len(votes))
    acc = votes.reshape(h, w, len(radii)).astype(np.float32)
    # One circle's votes spread over three radii (its stroke's inner and outer edge) ...
    spread = acc.copy()
    spread[:, :, 1:] += acc[:, :, :-1]
    spread[:, :, :-1] += acc[:, :, 1:]
    # ... and over neighbouring centres.
    pooled = spread.copy()
    pooled[1:] += spread[:-1]
    pooled[:-1] += spread[1:]
    spread = pooled.copy()
    pooled[:, 1:] += spread[:, :-1]
    pooled[:, :-1] += spread[:, 1:]
    score = pooled / (4 * math.pi * radii)  # two edges to a stroke
    best_radius = score.argmax(axis=2)
    best = np.take_along_axis(score, best_radius[:, :, None], axis=2)[:, :, 0]
    peak = best >= MIN_VOTES
    padded = np.pad(best, 1, constant_values=-1.0)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                peak &= best >= padded[1 + dy : h + 1 + dy, 1 + dx : w + 1 + dx]
    py, px = np.nonzero(peak)
    order = np.argsort(-best[py, px])[:MAX_BUBBLE_CANDIDATES]
    return [(float(px[i]), float(py[i]), float(radii[best_radius[py[i], px[i]]])) for i in order]


def _ring(
    dark: np.ndarray, cx: float, cy: float, r: float, outermost: bool = False
) -> tuple[float, float, float, float] | None:
    """The circle ``dark`` (ink pixels of a page crop) draws near centre (cx, cy), radius r, or None.

    Along 90 rays from the centre the runs of ink within 15% of the radius
    are taken; specks (runs much thinner than the outline's usual
    stroke) are passed over and of the rest the one nearest the radius
    counts (or the outermost: where two rings lie within the window, the
    nearest may be either). A circle is fitted through their middles (least squares),
    twice, the second time from the first fit's centre. The outline must
    show on most rays, round (a letter O is an oval) and thin. Returns
    centre x, y, radius and the outline's thickness.
    """
    h, w = dark.shape
    angles = np.linspace(0, 2 * math.pi, 90, endpoint=False)
    for _ in range(2):
        radial = np.arange(0.85 * r, 1.15 * r, 0.5)
        x = np.rint(cx + np.cos(angles)[:, None] * radial).astype(np.int64)
        y = np.rint(cy + np.sin(angles)[:, None] * radial).astype(np.int64)
        inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
        on = inside & dark[np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)]
        padded = np.zeros((len(angles), len(radial) + 2), bool)
        padded[:, 1:-1] = on
        changes = np.flatnonzero(padded.ravel()[1:] != padded.ravel()[:-1]) + 1
        ray, first = np.divmod(changes[0::2], len(radial) + 2)
        last = changes[1::2] % (len(radial) + 2)
        if len(ray) == 0:
            return None
        length = (last - first) * 0.5
        middle = radial[0] + (first + last - 3) * 0.25
        stroke = np.zeros(len(angles))
        np.maximum.at(stroke, ray, length)
        typical = float(np.median(stroke[stroke > 0]))
        order = np.lexsort((-middle if outermost else np.abs(middle - r), ray))
        order = order[length[order] >= 0.5 * typical]
        chosen = order[np.r_[True, ray[order][1:] != ray[order][:-1]]]  # per ray, the nearest
        if len(chosen) < MIN_OUTLINE * len(angles):
            return None
        # Letters and lines crossing the outline make a ray's run long: those are left out.
        usual = chosen[length[chosen] <= 2 * np.median(length[chosen]) + 1]
        fx = cx + np.cos(angles[ray[usual]]) * middle[usual]
        fy = cy + np.sin(angles[ray[usual]]) * middle[usual]
        a = np.column_stack([fx, fy, np.ones_like(fx)])
        (p, q, c), *_ = np.linalg.lstsq(a, fx * fx + fy * fy, rcond=None)
        cx, cy = p / 2, q / 2
        r = math.sqrt(max(1.0, c + cx * cx + cy * cy))
    deviation = np.abs(np.hypot(fx - cx, fy - cy) - r)
    thickness = float(np.median(length[usual]))
    if len(usual) < 0.6 * len(angles) or np.mean(deviation <= max(1.5, 0.04 * r)) < 0.85 or thickness > 0.25 * r:
        return None
    return float(cx), float(cy), r, thickness


def _best_radius(dark: np.ndarray, cx: float, cy: float, r: float) -> float:
    """The radius between 0.6 and 1.6 times ``r`` at which ink lies on the most of 90 rays from the
    centre (the transform's radius is rough on thick or double rings); the outer one of equals."""
    h, w = dark.shape
    angles = np.linspace(0, 2 * math.pi, 90, endpoint=False)
    radial = np.arange(0.6 * r, 1.6 * r, 1.0)
    x = np.rint(cx + np.cos(angles)[:, None] * radial).astype(np.int64)
    y = np.rint(cy + np.sin(angles)[:, None] * radial).astype(np.int64)
    on = (x >= 0) & (x < w) & (y >= 0) & (y < h) & dark[np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)]
    near = on.copy()
    near[:, 1:] |= on[:, :-1]
    near[:, :-1] |= on[:, 1:]
    share = near.mean(axis=0)
    best = np.flatnonzero(share >= share.max() - 1e-9)[-1]
    return float(radial[best])


def _bar(dark: np.ndarray, cx: float, cy: float, r: float) -> tuple[float, float] | None:
    """The row and thickness of a horizontal bar across a circle near its middle, or None."""
    h, w = dark.shape
    rows = np.arange(max(0, int(cy - 0.3 * r)), min(h, int(cy + 0.3 * r) + 1))
    if len(rows) == 0:
        return None
    half = 0.75 * np.sqrt(np.maximum(0.0, r * r - (rows - cy) ** 2))
    cols = np.arange(max(0, int(cx - 0.75 * r)), min(w, int(cx + 0.75 * r) + 1))
    within = np.abs(cols[None, :] - cx) <= half[:, None]
    share = (dark[rows[:, None], cols[None, :]] & within).sum(axis=1) / np.maximum(within.sum(axis=1), 1)
    bar = rows[share >= MIN_BAR]
    if len(bar) == 0:
        return None
    # The bar's rows are consecutive; the run nearest the middle.
    runs = np.split(bar, np.flatnonzero(np.diff(bar) > 1) + 1)
    run = min(runs, key=lambda rr: abs((rr[0] + rr[-1]) / 2 - cy))
    return (run[0] + run[-1]) / 2, float(len(run))


def _circles(crop: Image.Image, dpi: float) -> list[tuple[float, float, float, tuple[float, float] | None]]:
    """Circles in a corner crop: centre x, y, radius and the bar (row, thickness) or None, in the
    crop's pixels. Candidates from the reduced crop are checked on the crop itself."""
    ink = _reduce(crop, dpi, BUBBLE_DPI)
    dark = np.asarray(ink.page) < ink.page_threshold
    k = ink.factor
    found: list[tuple[float, float, float, float]] = []
    for cx, cy, r in _candidate_circles(ink):
        cx, cy, r = cx * k + (k - 1) / 2, cy * k + (k - 1) / 2, r * k
        if any(math.hypot(cx - fx, cy - fy) < 0.3 * max(r, fr) and abs(r - fr) < 0.15 * fr for fx, fy, fr, _ in found):
            continue
        circle = _ring(dark, cx, cy, r)
        if circle is None:
            r = _best_radius(dark, cx, cy, r)
            circle = _ring(dark, cx, cy, r) or _ring(dark, cx, cy, r, outermost=True)
        if circle is None:
            continue
        # Of a double ring the transform may have seen the inner one.
        outer = _ring(dark, circle[0], circle[1], 1.15 * circle[2])
        if outer is not None and outer[2] > 1.05 * circle[2]:
            circle = outer
        if BUBBLE_DIAMETERS[0] * dpi <= 2 * circle[2] <= BUBBLE_DIAMETERS[1] * dpi:
            found.append(circle)
    # The outer one of concentric circles (a double ring) stands for the bubble; circles inside
    # another (loops of what it holds) are part of it.
    found.sort(key=lambda c: -c[2])
    kept: list[tuple[float, float, float, float]] = []
    for c in found:
        if not any(math.hypot(c[0] - o[0], c[1] - o[1]) + c[2] <= o[2] + o[3] + 2 for o in kept):
            kept.append(c)
    return [(cx, cy, r, _bar(dark, cx, cy, r)) for cx, cy, r, _ in kept]


def find_bubbles(image: Image.Image, dpi: float) -> list[Bubble]:
    """Circles of 0.25 to 1.5 inch across near the page's corners, top to bottom.

    Civil and DOT sheets number themselves with such a circle at a corner,
    the sheet number over the total with a bar between. Only the corners
    are searched (squares of CORNER_SIZE inches, at most CORNER_SHARE of
    the shorter side): that is where those circles sit, and it keeps the
    search to a small part of the page. Each bubble comes with its box and,
    when a horizontal bar divides it, the boxes above and below the bar
    for reading what it holds. Of a double ring the outer circle counts.
    """
    _check(image, dpi)
    width, height = image.size
    side = int(min(CORNER_SIZE * dpi, CORNER_SHARE * min(width, height)))
    if side <= 0:
        return []
    corners = sorted({(0, 0), (width - side, 0), (0, height - side), (width - side, height - side)})
    found: list[tuple[float, float, float, tuple[float, float] | None]] = []
    for left, top in corners:
        for cx, cy, r, bar in _circles(_grey(image.crop((left, top, left + side, top + side))), dpi):
            cx, cy = cx + left, cy + top
            if not any(math.hypot(cx - o[0], cy - o[1]) <= 0.25 * o[2] for o in found):
                found.append((cx, cy, r, None if bar is None else (bar[0] + top, bar[1])))
    bubbles = []
    for cx, cy, r, bar in sorted(found, key=lambda c: (c[1], c[0])):
        box = Box.from_corners(cx - r, cy - r, cx + r, cy + r)
        if bar is None:
            bubbles.append(Bubble(box, False))
        else:
            row, thickness = bar
            above = min(box.bottom, max(box.top, round(row - thickness / 2)))
            below = min(box.bottom, max(above, round(row + thickness / 2)))
            upper = Box(box.left, box.top, box.width, above - box.top)
            lower = Box(box.left, below, box.width, box.bottom - below)
            bubbles.append(Bubble(box, True, upper, lower))
    return bubbles


# --- storage ------------------------------------------------------------------------------------


#: Of a bubble's radius, what lies inside this share is its writing; the rings are outside it.
BUBBLE_INSIDE = 0.74
#: A row of the inside this dark across (share of its width) is the bar between the halves.
BUBBLE_BAR = 0.45
#: White margin around the writing of a bubble, in pixels, as OCR engines want it.
BUBBLE_MARGIN = 20


def bubble_content(image: Image.Image, bubble: Bubble) -> tuple[Image.Image, tuple[int, int]]:
    """The writing inside ``bubble`` on white: rings, bar and specks erased, a white margin around.

    Returns the small image and the page position of its top-left corner.
    OCR reads ``2`` over ``24`` from this where the ringed, barred crop
    gives it nothing.
    """
    box = bubble.box
    crop = np.asarray(_grey(image.crop((box.left, box.top, box.right, box.bottom))), dtype=np.uint8).copy()
    h, w = crop.shape
    r = min(w, h) / 2
    yy, xx = np.mgrid[0:h, 0:w]
    crop[(xx - w / 2) ** 2 + (yy - h / 2) ** 2 > (BUBBLE_INSIDE * r) ** 2] = 255
    dark = crop < 128
    crop[dark.sum(axis=1) > BUBBLE_BAR * 2 * BUBBLE_INSIDE * r] = 255
    ink = (crop < 128).astype(np.int32)
    neighbours = sum(np.roll(np.roll(ink, dy, 0), dx, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1)) - ink
    crop[(ink == 1) & (neighbours < 2)] = 255
    out = Image.new("L", (w + 2 * BUBBLE_MARGIN, h + 2 * BUBBLE_MARGIN), 255)
    out.paste(Image.fromarray(crop), (BUBBLE_MARGIN, BUBBLE_MARGIN))
    return out, (box.left - BUBBLE_MARGIN, box.top - BUBBLE_MARGIN)


def rules_to_json(rules: Iterable[Rule]) -> list[list[int]]:
    """Rules as JSON-ready data: one ``[x0, y0, x1, y1, thickness]`` list of ints per rule."""
    return [[r.x0, r.y0, r.x1, r.y1, r.thickness] for r in rules]


def rules_from_json(data: object) -> list[Rule]:
    """Rules back from :func:`rules_to_json` output (as parsed from JSON).

    Raises ValueError naming the first entry that is not a list of five
    integers with a thickness of at least 1.
    """
    if not isinstance(data, list):
        raise ValueError(f"rules must be a list, got {type(data).__name__}")
    rules = []
    for index, entry in enumerate(data):
        if (
            not isinstance(entry, (list, tuple))
            or len(entry) != 5
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in entry)
        ):
            raise ValueError(f"rule {index} is not a list of five integers [x0, y0, x1, y1, thickness]: {entry!r}")
        if entry[4] < 1:
            raise ValueError(f"rule {index} has a thickness below 1: {entry!r}")
        rules.append(Rule(*entry))
    return rules
