"""Words grouped into lines, and pages of running text told from drawings."""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence

from planocr.core.page import Line, Word


def group_words(words: Iterable[Word]) -> list[Line]:
    """Group loose words into lines, ordered top to bottom, then left to right.

    Words of one angle that sit on the same band (vertical overlap for
    horizontal text, horizontal overlap for vertical text) form a line,
    split where the gap is wider than three text heights. Words of different
    angles never share a line.
    """
    by_angle: dict[int, list[Word]] = defaultdict(list)
    for word in words:
        by_angle[word.angle % 360].append(word)
    lines: list[Line] = []
    for angle, group in by_angle.items():
        vertical = angle in (90, 270)
        rows: list[tuple[float, float, list[Word]]] = []
        for word in sorted(group, key=lambda w: _across(w, vertical)[0] + _across(w, vertical)[1]):
            lo, hi = _across(word, vertical)
            for r in range(len(rows) - 1, max(-1, len(rows) - 4), -1):
                rlo, rhi, members = rows[r]
                if min(hi, rhi) - max(lo, rlo) > 0.5 * min(hi - lo, rhi - rlo):
                    members.append(word)
                    break
            else:
                rows.append((lo, hi, [word]))
        for row_lo, row_hi, members in rows:
            for stacked in _unstack(members, vertical):
                # Gaps are judged by the line's own text height, not by the band a speck may have set.
                height = max(row_hi - row_lo, statistics.median(b - a for a, b in (_across(w, vertical) for w in stacked)))
                lines.extend(_split_row(stacked, angle, max(1.0, height)))
    lines.sort(key=lambda line: (line.box.top, line.box.left))
    return lines


def _across(word: Word, vertical: bool) -> tuple[int, int]:
    b = word.box
    return (b.left, b.right) if vertical else (b.top, b.bottom)


def _unstack(members: list[Word], vertical: bool) -> list[list[Word]]:
    """A band's words as the lines stacked in it: words that cover each other along the line are on different ones.

    Boxes drawn too tall (a small label over a large value) put two lines in one band; words of one
    line never overlap by half their length.
    """
    # Each stack's words and their spans along the line, kept in order: a new word is checked against its neighbours.
    stacks: list[tuple[list[Word], list[tuple[int, int]]]] = []
    # Longest words first: a speck read as a letter never splits a line.
    for word in sorted(members, key=lambda w: _along(w, vertical)[0] - _along(w, vertical)[1]):
        lo, hi = _along(word, vertical)
        for stack, spans in stacks:
            at = bisect.bisect_left(spans, (lo, hi))
            near = spans[max(0, at - 1) : at + 2]
            if all(min(hi, b) - max(lo, a) <= 0.5 * min(hi - lo, b - a) for a, b in near):
                stack.append(word)
                spans.insert(at, (lo, hi))
                break
        else:
            stacks.append(([word], [(lo, hi)]))
    return [stack for stack, _ in stacks]


def _along(word: Word, vertical: bool) -> tuple[int, int]:
    b = word.box
    return (b.top, b.bottom) if vertical else (b.left, b.right)


def _split_row(members: list[Word], angle: int, height: float) -> list[Line]:
    """Order a row's words in reading direction and cut it at wide gaps."""
    if angle == 90:
        ordered = sorted(members, key=lambda w: -w.box.bottom)
        gaps = [a.box.top - b.box.bottom for a, b in zip(ordered, ordered[1:], strict=False)]
    elif angle == 270:
        ordered = sorted(members, key=lambda w: w.box.top)
        gaps = [b.box.top - a.box.bottom for a, b in zip(ordered, ordered[1:], strict=False)]
    elif angle == 180:
        ordered = sorted(members, key=lambda w: -w.box.right)
        gaps = [a.box.left - b.box.right for a, b in zip(ordered, ordered[1:], strict=False)]
    else:
        ordered = sorted(members, key=lambda w: w.box.left)
        gaps = [b.box.left - a.box.right for a, b in zip(ordered, ordered[1:], strict=False)]
    lines: list[Line] = []
    current = [ordered[0]]
    for word, gap in zip(ordered[1:], gaps, strict=False):
        if gap > 3 * height:
            lines.append(Line(tuple(current)))
            current = []
        current.append(word)
    lines.append(Line(tuple(current)))
    return lines


#: Share of the page covered by word boxes from which it is running text, not a drawing.
RUNNING_TEXT_SHARE = 0.08


def is_running_text(lines: Sequence[Line], width: int, height: int) -> bool:
    """Whether a page is mostly lines of prose (a letter, a spec page) rather than a sparse drawing."""
    words = [w for line in lines for w in line.words if w.confidence >= 0.5]
    if len(words) < 40:
        return False
    # Word boxes cover 1-5 % of real drawing sheets and 15 % or more of prose pages.
    ink = sum(w.box.width * w.box.height for w in words)
    return ink > RUNNING_TEXT_SHARE * width * height


__all__ = ["RUNNING_TEXT_SHARE", "group_words", "is_running_text"]
