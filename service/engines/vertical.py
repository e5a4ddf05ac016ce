"""Turned text found by reading a page (or a band of it) turned a quarter: which words are vertical, where they run.

Title blocks along a sheet's edge often carry their text turned a quarter
(reading bottom to top, or top to bottom along the right edge). A reading
of the turned page finds it; these helpers keep the words that really run
vertically, choose one direction where both read, and name the bands they
occupy so that those can be read again closer.
"""

from __future__ import annotations

from planocr.core.page import Line, Word
from planocr.engines.orientation import score


def vertical_bands(words: list[Word], margin: float = 4.0) -> list[tuple[int, int, int]]:
    """Full-height bands ``(left, right, angle)`` around vertical words, ``margin`` text heights wide on each side.

    Text in a rotated title block sits in columns; a band reaches the small
    cells beside the large words a coarse reading found.
    """
    bands: list[tuple[int, int, int]] = []
    for angle in (90, 270):
        spans = sorted(
            (w.box.left - margin * w.box.width, w.box.right + margin * w.box.width) for w in words if w.angle == angle
        )
        merged: list[list[float]] = []
        for left, right in spans:
            if merged and left <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], right)
            else:
                merged.append([left, right])
        bands += [(max(0, round(left)), round(right), angle) for left, right in merged]
    return bands


def one_direction(words: list[Word]) -> list[Word]:
    """Where text was read both up (90) and down (270) in one place, keep the direction that reads better there.

    One of the two readings is the text upside down ("200-S" for "S-007"),
    sometimes with a fair confidence; the words around it decide: the
    direction with more confidently read text across the strip where the
    two readings disagree wins, and the other's words there are dropped.
    """
    up = [w for w in words if w.angle == 90]
    down = [w for w in words if w.angle == 270]
    clashes = [(a, b) for a in up for b in down if a.box.overlap(b.box) > 0.3]
    if not clashes:
        return words
    left = min(min(a.box.left, b.box.left) for a, b in clashes)
    right = max(max(a.box.right, b.box.right) for a, b in clashes)

    def strength(group: list[Word]) -> float:
        return score([Line(tuple(w for w in group if left <= w.box.center[0] <= right))])

    loser = down if strength(up) >= strength(down) else up
    lost = {id(b if loser is down else a) for a, b in clashes}
    return [w for w in words if id(w) not in lost]


def vertical_words(turned: list[Word]) -> list[Word]:
    """The words of a turned reading that are vertical text, with the short ones ("1.", "A") inside their lines."""
    long = [w for w in turned if _runs_vertically(w)]
    short = [w for w in turned if w.angle in (90, 270) and not _runs_vertically(w) and any(_in_column(w, v) for v in long)]
    return long + short


def _in_column(word: Word, vertical: Word) -> bool:
    """Whether ``word`` continues the vertical line of ``vertical``: same angle, same column, a word gap away."""
    if word.angle != vertical.angle:
        return False
    a, b = word.box, vertical.box
    across = min(a.right, b.right) - max(a.left, b.left)
    gap = max(a.top - b.bottom, b.top - a.bottom)
    return across > 0.6 * min(a.width, b.width) and 0.7 < a.width / max(1, b.width) < 1.4 and gap <= 1.5 * b.width


def _runs_vertically(word: Word) -> bool:
    """A word from a turned reading whose box is taller than wide: real vertical text, not a turned label."""
    return word.angle in (90, 270) and word.box.height > 1.5 * word.box.width and len(word.text) >= 2
