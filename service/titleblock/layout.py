"""Words regrouped into phrases and stacked blocks, in the frame where their text reads left to right.

Engines deliver lines in the upright page frame; rotated title blocks come
as words with ``angle`` 90 or 270. Each angle gets its own *frame*: the page
turned so that those words run left to right. Phrases (words on one
baseline without a cell-sized gap) and blocks (phrases stacked like the
lines of one paragraph) are built in that frame, and every piece keeps its
box in the upright page frame for position priors and output.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from planocr.core.page import Box, Line, Word

# A gap wider than this many text heights ends a phrase: the next word sits in another cell.
PHRASE_GAP = 1.25
# Around "=" (a scale's 1/4" = 1'-0") fonts leave wider gaps; this many heights still join.
EQUALS_GAP = 2.0


@dataclass(frozen=True, slots=True)
class Token:
    """One word: its text, box in the reading frame, box on the page, OCR confidence."""

    text: str
    box: Box
    page_box: Box
    confidence: float
    angle: int


class TokenRun:
    """What a run of tokens shows as a whole: its text, boxes and typical height."""

    __slots__ = ()
    tokens: list[Token]
    # What the tokens add up to, worked out once: a run's tokens do not change once it is made.
    _memo: dict | None

    def _remember(self, key: str, make):
        memo = self._memo
        if memo is None:
            # Set on the slotted dataclasses that mix this in; this mixin itself has no slots.
            memo = self._memo = {}  # type: ignore[misc]
        value = memo.get(key)
        if value is None:
            value = memo[key] = make()
        return value

    @property
    def text(self) -> str:
        return self._remember("text", lambda: " ".join(t.text for t in self.tokens))

    @property
    def box(self) -> Box:
        return self._remember("box", lambda: Box.union(t.box for t in self.tokens))

    @property
    def page_box(self) -> Box:
        return self._remember("page_box", lambda: Box.union(t.page_box for t in self.tokens))

    @property
    def height(self) -> float:
        return self._remember("height", lambda: statistics.median(t.box.height for t in self.tokens))


@dataclass(slots=True)
class Phrase(TokenRun):
    """Words on one baseline with no cell-sized gap, in reading order."""

    tokens: list[Token]
    angle: int
    _memo: dict | None = field(default=None, repr=False, compare=False)

    @property
    def confidence(self) -> float:
        return min(t.confidence for t in self.tokens)


@dataclass(slots=True)
class Frame:
    """All phrases of one text direction, with the frame's size."""

    angle: int
    width: int
    height: int
    phrases: list[Phrase] = field(default_factory=list)


def to_frame(box: Box, angle: int, width: int, height: int) -> Box:
    """A page box in the frame where text of ``angle`` reads left to right."""
    if angle == 90:  # reads bottom to top: turn the page clockwise
        return Box(height - box.bottom, box.left, box.height, box.width)
    if angle == 270:  # reads top to bottom: turn the page counter-clockwise
        return Box(box.top, width - box.right, box.height, box.width)
    return box


def frame_size(angle: int, width: int, height: int) -> tuple[int, int]:
    return (height, width) if angle in (90, 270) else (width, height)


_GLUED_LABEL = re.compile(r"^([A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß.\-]{1,20}:)(\S.*)$")


def _split_words(word: Word) -> Iterable[Word]:
    """Split ``Checked||Drawn`` (OCR reads cell rules as ``|``) and ``Plan-Nr.:6075`` into words."""
    glued = _GLUED_LABEL.match(word.text)
    if "|" not in word.text and not glued:
        yield word
        return
    parts = [glued.group(1), glued.group(2)] if glued else word.text.split("|")
    total = max(1, len(word.text))
    offset = 0
    for part in parts:
        if part.strip():
            left = word.box.left + round(word.box.width * offset / total)
            w = max(1, round(word.box.width * len(part) / total))
            yield Word(part, Box(left, word.box.top, w, word.box.height), word.confidence, word.angle)
        offset += len(part) + 1


def _angle(word: Word) -> int:
    """The word's text direction; an upright-labelled word standing on end is taken as rotated.

    PDF text layers report every word as upright; a word of several letters
    whose box is much taller than wide runs vertically. Most rotated title
    blocks read bottom to top, so that direction is assumed.
    """
    angle = word.angle % 360
    if angle in (90, 270):
        return angle
    box = word.box
    if sum(ch.isalnum() for ch in word.text) >= 3 and box.height > 1.6 * box.width and box.height >= 8:
        return 90
    return 0


def _shadowed(word: Word, others: Sequence[Word]) -> bool:
    """A lone mark read twice over one glyph (``<`` above ``=``): the less confident of ``others`` (marks) there."""
    b = word.box
    for other in others:
        o = other.box
        if other is word or other.confidence <= word.confidence:
            continue
        side = min(b.right, o.right) - max(b.left, o.left) >= 0.5 * max(1, min(b.width, o.width))
        stacked = min(b.bottom, o.bottom) - max(b.top, o.top) < 0.5 * max(1, min(b.height, o.height))  # not side by side
        if side and stacked:
            return True
    return False


def build_frames(lines: Sequence[Line], width: int, height: int) -> list[Frame]:
    """Phrases for each text direction present on the page."""
    by_angle: dict[int, list[list[Token]]] = defaultdict(list)
    marks = [w for line in lines for w in line.words if len(w.text) == 1 and not w.text.isalnum()]
    shadowed = {id(w) for w in marks if _shadowed(w, marks)}
    for line in lines:
        run: list[Token] = []
        for word in line.words:
            if id(word) in shadowed:
                continue
            for part in _split_words(word):
                angle = _angle(part)
                if not part.text.strip():
                    continue
                token = Token(part.text.strip(), to_frame(part.box, angle, width, height), part.box, part.confidence, angle)
                if run and run[-1].angle != angle:
                    by_angle[run[-1].angle].append(run)
                    run = []
                run.append(token)
        if run:
            by_angle[run[0].angle].append(run)
    frames = []
    for angle, runs in sorted(by_angle.items()):
        fw, fh = frame_size(angle, width, height)
        frames.append(Frame(angle, fw, fh, _phrases(runs)))
    return frames


def _is_mark(token: Token) -> bool:
    """Punctuation alone ("=", "-", "&"): its box says nothing about the text height."""
    return not any(ch.isalnum() for ch in token.text)


def _gap_limit(a: Token, b: Token, height: float) -> float:
    """The widest gap between ``a`` and ``b`` that keeps them in one phrase."""
    return (EQUALS_GAP if "=" in (a.text, b.text) else PHRASE_GAP) * height


def _split_run(tokens: list[Token]) -> list[list[Token]]:
    tokens = sorted(tokens, key=lambda t: t.box.left)
    pieces: list[list[Token]] = []
    for token in tokens:
        if pieces:
            last = pieces[-1][-1]
            h = max(token.box.height, last.box.height)
            gap = token.box.left - last.box.right
            overlap = min(token.box.bottom, last.box.bottom) - max(token.box.top, last.box.top)
            ratio = max(token.box.height, last.box.height) / max(1, min(token.box.height, last.box.height))
            if _is_mark(token) or _is_mark(last):
                ratio, overlap = 1.0, max(overlap, min(token.box.height, last.box.height))  # "=", "-": tiny boxes
            if gap <= _gap_limit(token, last, h) and overlap > 0.4 * min(token.box.height, last.box.height) and ratio <= 1.8:
                pieces[-1].append(token)
                continue
        pieces.append([token])
    return pieces


def _phrases(runs: list[list[Token]]) -> list[Phrase]:
    """Split engine lines at wide gaps, then join pieces an engine broke apart on one baseline."""
    pieces = [piece for run in runs for piece in _split_run(run)]
    pieces.sort(key=lambda p: p[0].box.left)
    bucket = 16
    open_ends: dict[int, list[int]] = defaultdict(list)
    merged: list[list[Token]] = []
    for piece in pieces:
        first = piece[0]
        h = first.box.height
        cy = first.box.top + h / 2
        best = None
        for key in range(int((cy - h) // bucket), int((cy + h) // bucket) + 1):
            for index in open_ends.get(key, []):
                last = merged[index][-1]
                gap = first.box.left - last.box.right
                hh = max(h, last.box.height)
                overlap = min(first.box.bottom, last.box.bottom) - max(first.box.top, last.box.top)
                ratio = hh / max(1, min(h, last.box.height))
                if _is_mark(first) or _is_mark(last):
                    ratio, overlap = 1.0, max(overlap, min(h, last.box.height))
                joins = -0.3 * hh <= gap <= _gap_limit(first, last, hh) and overlap > 0.6 * min(h, last.box.height) and ratio <= 1.5
                if joins and (best is None or gap < best[0]):
                    best = (gap, index)
        if best is not None:
            index = best[1]
            old = merged[index]
            old_key = int((old[-1].box.top + old[-1].box.height / 2) // bucket)
            if index in open_ends.get(old_key, []):
                open_ends[old_key].remove(index)
            old.extend(piece)
        else:
            index = len(merged)
            merged.append(list(piece))
        last = merged[index][-1]
        open_ends[int((last.box.top + last.box.height / 2) // bucket)].append(index)
    phrases = [Phrase(tokens, tokens[0].angle) for tokens in merged if tokens]
    phrases.sort(key=lambda p: (p.box.top, p.box.left))
    return phrases


def stacked_below(upper: TokenRun, lower: TokenRun, max_gap: float) -> bool:
    """Whether ``lower`` sits under ``upper`` like the next line of the same text."""
    ub, lb = upper.box, lower.box
    gap = lb.top - ub.bottom
    if gap < -0.3 * min(ub.height, lb.height) or gap > max_gap:
        return False
    overlap = min(ub.right, lb.right) - max(ub.left, lb.left)
    aligned_left = abs(ub.left - lb.left) <= 1.5 * max(ub.height, lb.height)
    aligned_center = abs((ub.left + ub.right) - (lb.left + lb.right)) / 2 <= 1.5 * max(ub.height, lb.height)
    return overlap > 0 and (aligned_left or aligned_center or overlap > 0.6 * min(ub.width, lb.width))
