"""The title-block parser: words with boxes and the page size in, fields with confidence out.

1. The page's words become phrases in the frame their text runs in
   (:mod:`layout`), labels are found in the vocabulary of six languages and
   given their values, and the title block is located from its labels and,
   when the page's ruling lines are known, from its ruled cells (:mod:`reading`).
2. Every token that could be a sheet number, every run of lines that could
   be a title and every scale expression becomes a candidate with features
   (:mod:`candidates`): label, position, size against the page's text,
   wording, cell, closeness to the number.
3. A logistic model per field, fitted on generated and real sheets
   (:mod:`ranker`, ``make train``), gives each candidate the probability of
   being the field's value; the most probable is reported when it passes
   the field's threshold, with that probability as its confidence. The
   number is chosen first; title and scale candidates are then measured
   against it.

A page without a title block (a drawing list, a specification page, a
map) yields no fields rather than a guess: its candidates stay below the
thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from planocr.core.fields import Field, TitleBlockResult
from planocr.core.lines import is_running_text
from planocr.core.page import Box, Line
from planocr.titleblock.candidates import Candidate, number_candidates, scale_candidates, title_candidates
from planocr.titleblock.layout import build_frames
from planocr.titleblock.patterns import is_date
from planocr.titleblock.ranker import Ranker, default_ranker
from planocr.titleblock.reading import PageReading, read_page
from planocr.titleblock.scales import scale_key

#: How much a document's layout hint adds to a candidate's logit where it matches, and takes where far off.
HINT_NEAR = 2.0
HINT_FAR = -0.5


@dataclass(frozen=True, slots=True)
class LayoutHint:
    """Where a document's confident sheets keep their number and title (page fractions, 0 to 1).

    Built by :mod:`planocr.titleblock.context`; candidates near a hinted
    position score higher, and an uncertain sheet whose best number falls
    short takes the best one at its siblings' place, so it is read like them.
    """

    number_at: tuple[float, float] | None = None
    title_at: tuple[float, float] | None = None
    tolerance: float = 0.04


@dataclass(slots=True)
class Ranked:
    """A page's reading and its candidates for each field, best first (scores set)."""

    reading: PageReading
    numbers: list[Candidate]
    titles: list[Candidate]
    scales: list[Candidate]
    number: Candidate | None  # the number reported (score at or above its threshold)


def rank_page(
    lines: Sequence[Line], width: int, height: int, *, hint: LayoutHint | None = None, cells=None,
    block: Box | None = None, bubbles: Sequence[Box] = (), ranker: Ranker | None = None,
) -> Ranked:
    """Candidates for every field of one page, weighed by ``ranker`` (default: the fitted model)."""
    ranker = ranker or default_ranker()
    reading = read_page(build_frames(lines, width, height), width, height, cells, block, bubbles)
    numbers = ranker.rank(number_candidates(reading), _hint_bonus(hint, "number", width, height))
    threshold = ranker.threshold("sheet_number")
    if hint is not None and hint.number_at is not None and numbers and numbers[0].score < threshold:
        # The document's confident sheets keep their number at one place: a number-shaped candidate
        # there on an uncertain sheet is its number, reported with the least confidence that is.
        near = [c for c in numbers if _hint_distance(c, hint.number_at, width, height) <= hint.tolerance]
        if near:
            near[0].score = threshold
            numbers.remove(near[0])
            numbers.insert(0, near[0])
    number = numbers[0] if numbers and numbers[0].score >= threshold else None
    titles = title_candidates(reading, number)
    if reading.region is None and number is None and is_running_text(lines, width, height):
        # a page of prose (a specification, a letter) with no title block: its headings are no sheet title
        titles = [c for c in titles if not (c.features.get("src_free") or c.features.get("src_free_part"))]
    titles = ranker.rank(titles, _hint_bonus(hint, "title", width, height))
    scales = ranker.rank(scale_candidates(reading, number))
    return Ranked(reading, numbers, titles, scales, number)


def parse_title_block(
    lines: Sequence[Line], width: int, height: int, *, hint: LayoutHint | None = None, cells=None,
    block: Box | None = None, bubbles: Sequence[Box] = (), ranker: Ranker | None = None,
) -> TitleBlockResult:
    """Read the title block of one page.

    ``lines`` are the engine's (or text layer's) lines with boxes in the
    upright page frame, ``width``/``height`` the page size in the same
    pixels; ``cells`` (:class:`planocr.titleblock.rules.CellIndex`) and
    ``block`` come from the page's ruling lines when they are known, ``bubbles``
    (where corner bubbles hold a sheet number) from a look at its corners.
    Returns the fields found, each with a confidence from 0 to 1, and every
    candidate seen, best first.
    """
    result = TitleBlockResult()
    if width <= 0 or height <= 0 or not lines:
        return result
    ranker = ranker or default_ranker()
    ranked = rank_page(lines, width, height, hint=hint, cells=cells, block=block, bubbles=bubbles, ranker=ranker)
    result.region = ranked.reading.region or block
    result.detected_sheet_numbers = _distinct(c.text for c in ranked.numbers if c.score >= 0.1)
    if ranked.number is not None:
        result.fields["sheet_number"] = _field(ranked.number)
    result.detected_titles = _distinct(c.text for c in ranked.titles if c.score >= 0.1)
    if ranked.titles and ranked.titles[0].score >= ranker.threshold("sheet_title"):
        result.fields["sheet_title"] = _field(ranked.titles[0])
    result.detected_scales = _distinct_scales(c.text for c in ranked.scales)
    if ranked.scales and ranked.scales[0].score >= ranker.threshold("scale"):
        result.fields["scale"] = _field(ranked.scales[0])
    _read_other_fields(ranked.reading, result)
    return result


def _field(candidate: Candidate) -> Field:
    return Field(candidate.text, round(min(0.99, candidate.score), 3), candidate.page_box)


def _hint_bonus(hint: LayoutHint | None, what: str, width: int, height: int):
    if hint is None:
        return None
    at = hint.number_at if what == "number" else hint.title_at
    if at is None:
        return None
    reach = hint.tolerance if what == "number" else 2 * hint.tolerance

    def bonus(candidate: Candidate) -> float:
        d = _hint_distance(candidate, at, width, height)
        return HINT_NEAR if d <= reach else HINT_FAR if d > 4 * reach else 0.0

    return bonus


def _hint_distance(candidate: Candidate, at: tuple[float, float], width: int, height: int) -> float:
    """How far ``candidate``'s centre is from a hinted position, in page fractions."""
    cx, cy = candidate.page_box.center
    return math.hypot(cx / width - at[0], cy / height - at[1])


def _distinct(texts) -> list[str]:
    seen: dict[str, str] = {}
    for text in texts:
        seen.setdefault(text.upper(), text)
    return list(seen.values())[:10]


def _distinct_scales(texts) -> list[str]:
    seen: dict[str, str] = {}
    for text in texts:
        seen.setdefault(scale_key(text), text)
    return list(seen.values())


def _first_run(pieces):
    run = pieces[:1]
    for piece in pieces[1:]:
        if abs(piece.height - run[-1].height) > 0.25 * run[-1].height:
            break
        run.append(piece)
    return run


# --- the other fields -------------------------------------------------------------------------

_SIMPLE_FIELDS = ("project_name", "project_number", "date", "revision", "drawn_by", "checked_by")


def _read_other_fields(reading: PageReading, result: TitleBlockResult) -> None:
    for name in _SIMPLE_FIELDS:
        best: tuple[float, str, Box] | None = None
        for label in reading.labels:
            if label.field != name or not label.values:
                continue
            values = _first_run(label.values) if name == "project_name" else label.values[:1]
            text = " ".join(v.text for v in values).strip(" :")
            if name in ("drawn_by", "checked_by") and ("@" in text or sum(ch.isdigit() for ch in text) > 2):
                continue
            if not text or (name == "date" and not is_date(text) and not any(ch.isdigit() for ch in text)):
                continue
            if name in ("revision", "drawn_by", "checked_by") and len(text) > 24:
                continue
            score = 0.8 if label.page_box.centre_in(reading.region) else 0.45
            if best is None or score > best[0]:
                best = (score, text, Box.union(v.page_box for v in values))
        if best is not None:
            result.fields[name] = Field(best[1], best[0], best[2])
