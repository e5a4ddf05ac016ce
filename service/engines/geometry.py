"""Page images and readings shared by the engines: rotating pages, mapping words back, merging passes.

Engines read text in several frames (the upright page, the page turned to
read vertical text, a scaled crop); everything is mapped back to the upright
page frame described in :class:`planocr.core.page.OcrResult`. The geometry
of boxes themselves is :class:`planocr.core.page.Box`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from PIL import Image

from planocr.core.lines import group_words
from planocr.core.page import Box, Line, OcrResult, Word

_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,  # PIL's ROTATE_n turns counter-clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def rotate(image: Image.Image, clockwise: int) -> Image.Image:
    """``image`` turned clockwise by 0, 90, 180 or 270 degrees (lossless)."""
    clockwise %= 360
    if clockwise == 0:
        return image
    return image.transpose(_TRANSPOSE[clockwise])


def word_from_frame(word: Word, *, scale: float = 1.0, offset: tuple[int, int] = (0, 0), clockwise: int = 0,
                    size: tuple[int, int] | None = None) -> Word:
    """Map a word read in a scaled, cropped and turned copy of the page back to the page.

    The copy was made by cropping at ``offset``, turning clockwise by
    ``clockwise`` and then scaling by ``scale``; ``size`` is the crop's size
    before turning. Text read horizontally in a copy turned clockwise by 90
    runs bottom to top on the page, so its angle becomes 90.
    """
    b = word.box
    if scale != 1.0:
        b = Box.from_corners(b.left / scale, b.top / scale, b.right / scale, b.bottom / scale)
    if clockwise:
        b = b.from_rotated(clockwise, size or (0, 0))
    if offset != (0, 0):
        b = b.shifted(*offset)
    return Word(word.text, b, word.confidence, (word.angle + clockwise) % 360)


@dataclass(frozen=True, slots=True)
class RegionFrame:
    """How a copy of a page region was made, to map what is read in it back to the page."""

    offset: tuple[int, int]  # the crop's top left on the page
    size: tuple[int, int]  # the crop's size on the page, before turning
    clockwise: int
    scale: float  # copy pixels per page pixel
    dpi: int  # the copy's resolution

    def to_page(self, word: Word) -> Word:
        return word_from_frame(word, scale=self.scale, offset=self.offset, clockwise=self.clockwise, size=self.size)


def region_copy(image: Image.Image, box: Box, dpi: int, clockwise: int = 0,
                target_dpi: int | None = None) -> tuple[Image.Image, RegionFrame]:
    """``box`` of ``image`` cut out, turned clockwise by ``clockwise`` and resized to ``target_dpi``.

    Enlarged (LANCZOS) when ``target_dpi`` is above ``dpi``, shrunk by a
    whole factor (``Image.reduce``, which averages blocks) when it is
    at most half of it, else kept at ``dpi``.
    """
    part = box.clip(image.width, image.height) or Box(0, 0, image.width, image.height)
    crop = image if (part.width, part.height) == image.size else image.crop((part.left, part.top, part.right, part.bottom))
    turned = rotate(crop, clockwise)
    scale, out_dpi = 1.0, dpi
    if target_dpi and target_dpi > dpi * 1.05:
        scale = target_dpi / dpi
        turned = turned.resize((max(1, round(turned.width * scale)), max(1, round(turned.height * scale))),
                               Image.Resampling.LANCZOS)
        scale = turned.width / (crop.height if clockwise % 180 else crop.width)
        out_dpi = round(dpi * scale)
    elif target_dpi and dpi / target_dpi >= 2:
        factor = int(dpi // target_dpi)
        turned = turned.reduce(factor)
        scale = turned.width / (crop.height if clockwise % 180 else crop.width)
        out_dpi = max(36, round(dpi / factor))
    return turned, RegionFrame((part.left, part.top), crop.size, clockwise % 360, scale, out_dpi)


def scale_result(result: OcrResult, factor: float, size: tuple[int, int]) -> OcrResult:
    """``result`` read on a copy enlarged by ``1 / factor``, mapped back to the ``size`` (w, h) of the original.

    ``size`` is the original's size in the result's upright frame.
    """

    lines = [Line(tuple(Word(w.text, w.box.scaled(factor), w.confidence, w.angle) for w in line.words)) for line in result.lines]
    return replace(result, width=size[0], height=size[1], lines=lines)


def merge_words(base: Sequence[Word], extra: Iterable[Word], *, min_confidence: float, margin: float = 0.1) -> tuple[list[Word], set[int]]:
    """Words of a second pass that add to ``base``, and the indexes of base words they replace.

    An extra word below ``min_confidence`` is dropped. One that overlaps no
    base word is added. One that overlaps base words is added only when it is
    more confident than all of them by ``margin``, or when it is a fuller
    reading of them (:func:`_completes`); they are then replaced. Of two
    extra words in one place the more confident stays (a coarse pass's
    guess at turned text must not shut out the turned pass's reading).
    """
    added: list[tuple[Word, list[int]]] = []
    for word in extra:
        if word.confidence < min_confidence:
            continue
        rivals = [entry for entry in added if word.box.overlap(entry[0].box) > 0.3]
        if any(rival.confidence >= word.confidence for rival, _ in rivals):
            continue
        hits = [i for i, b in enumerate(base) if word.box.overlap(b.box) > 0.3]
        if hits and not (
            all(base[i].confidence + margin < word.confidence for i in hits) or _completes(base, hits, word, margin)
        ):
            continue
        added = [entry for entry in added if entry not in rivals]
        added.append((word, hits))
    return [word for word, _ in added], {i for _, hits in added for i in hits}


def _completes(base: Sequence[Word], hits: list[int], word: Word, margin: float) -> bool:
    """Whether ``word`` is a fuller reading of the base words it overlaps, about as confident.

    Either it contains the one word it overlaps ("A-101" for "-101"), or it
    is several words run together into a code of letters and digits ("AF101"
    for "AF 101": large, letter-spaced sheet numbers read at full resolution).
    """
    parts = sorted((base[i] for i in hits), key=lambda w: w.box.left)
    if word.confidence + margin < min(p.confidence for p in parts):
        return False
    if len(parts) == 1:
        return len(word.text) > len(parts[0].text) and parts[0].text in word.text
    text = word.text
    return "".join(p.text for p in parts) == text and any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


#: The narrowest gap, in median line heights, that separates two columns of a page of running text.
GUTTER = 0.5


def reading_order(lines: Sequence[Line]) -> list[Line]:
    """The lines of a page of running text in reading order: column by column, each top to bottom.

    A sparse-text pass finds a page's lines but not its columns. The lines
    are cut recursively (an XY cut): at a vertical gutter that no line
    crosses, into columns read left to right; else at the horizontal gaps,
    into bands read top to bottom (a heading across two columns starts a
    band of its own); a group that neither cuts is read by its lines' tops.
    """
    items = [(Box.union(w.box for w in line.words), line) for line in lines if line.words]
    if not items:
        return []
    heights = sorted(box.height for box, _ in items)
    gutter = max(1, GUTTER * heights[len(heights) // 2])
    return [line for _, line in _xy_cut(items, gutter)]


def _xy_cut(items: list[tuple[Box, Line]], gutter: float) -> list[tuple[Box, Line]]:
    if len(items) < 2:
        return items
    columns = _split_at_gaps(items, "x", gutter)
    if len(columns) > 1:
        return [item for column in columns for item in _xy_cut(column, gutter)]
    # Lines across most of the group (headings over two columns) hide the gutter: the columns are
    # found without them, and each such line ends the band of columns above it.
    left = min(box.left for box, _ in items)
    width = max(box.right for box, _ in items) - left
    wide = sorted((item for item in items if item[0].width > 0.5 * width), key=lambda item: item[0].top)
    narrow = [item for item in items if item[0].width <= 0.5 * width]
    if wide and len(narrow) > 1 and len(_split_at_gaps(narrow, "x", gutter)) > 1:
        ordered: list[tuple[Box, Line]] = []
        for heading in [*wide, None]:
            above = [item for item in narrow if heading is None or item[0].center[1] < heading[0].top]
            taken = {id(item) for item in above}
            narrow = [item for item in narrow if id(item) not in taken]
            ordered += _xy_cut(above, gutter)
            if heading is not None:
                ordered.append(heading)
        return ordered
    bands = _split_at_gaps(items, "y", 1)
    if len(bands) > 1:
        return [item for band in bands for item in _xy_cut(band, gutter)]
    return sorted(items, key=lambda item: (item[0].top, item[0].left))


def _split_at_gaps(items: list[tuple[Box, Line]], axis: str, gap: float) -> list[list[tuple[Box, Line]]]:
    """``items`` cut wherever nothing covers ``gap`` pixels or more along ``axis``, in order."""
    start, end = (lambda b: b.left, lambda b: b.right) if axis == "x" else (lambda b: b.top, lambda b: b.bottom)
    ordered = sorted(items, key=lambda item: start(item[0]))
    groups = [[ordered[0]]]
    reach = end(ordered[0][0])
    for item in ordered[1:]:
        if start(item[0]) - reach >= gap:
            groups.append([])
        groups[-1].append(item)
        reach = max(reach, end(item[0]))
    return groups


def add_words(lines: Sequence[Line], extra: Iterable[Word], min_confidence: float = 0.6) -> list[Line]:
    """``lines`` with another reading's new words (:func:`merge_words`): into the line they continue, else lines of their own."""
    lines = list(lines)
    base = [w for line in lines for w in line.words]
    added, replaced = merge_words(base, extra, min_confidence=min_confidence)
    if replaced:
        drop = {id(base[i]) for i in replaced}
        lines = [Line(kept) for line in lines if (kept := tuple(w for w in line.words if id(w) not in drop))]
    rows = [list(line.words) for line in lines]
    loose: list[Word] = []
    for word in added:
        row = next((r for r in rows if _continues(r, word)), None)
        if row is None:
            loose.append(word)
        else:
            row.append(word)
            row.sort(key=lambda w: w.box.left)
    return [Line(tuple(r)) for r in rows] + group_words(loose)


def _continues(row: list[Word], word: Word) -> bool:
    """Whether a horizontal ``word`` sits on ``row``'s band, at most three heights from its ends."""
    if word.angle or not row or row[0].angle:
        return False
    box = Box.union(w.box for w in row)
    height = max(box.height, word.box.height)
    overlap_ = min(box.bottom, word.box.bottom) - max(box.top, word.box.top)
    near = box.left - 3 * height < word.box.right and word.box.left < box.right + 3 * height
    return overlap_ > 0.5 * min(box.height, word.box.height) and near


def replace_in(lines: Sequence[Line], region: Box, words: Iterable[Word]) -> list[Line]:
    """``lines`` with their words in ``region`` replaced by those of ``words`` in it (a closer reading)."""
    kept = [w for w in words if w.box.centre_in(region)]
    rest = [Line(r) for line in lines if (r := tuple(w for w in line.words if not w.box.centre_in(region)))]
    return rest + group_words(kept)
