"""The title-block parser: words with boxes and the page size in, fields with confidence out.

Evidence is combined into one score per candidate:

* labels: a value right of or under its label (SHEET NO., Plan-Nr., SCALE ...)
  counts most; a value under another field's label (JOB NO., DATE) is
  ruled out for the sheet number;
* position: the title block is the densest cluster of labels near a page
  edge; candidates outside it lose, and the sheet number tends to sit near
  the page's bottom-right corner;
* typography: the sheet number is usually the largest text in the block;
* patterns: what sheet numbers, dates, scales and drawing titles look like.

A page without a title block (no label cluster, no large sheet-number-shaped
text near an edge) yields no fields rather than a guess.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from planocr.engines.base import Box, Line
from planocr.titleblock.layout import build_frames
from planocr.titleblock.model import Field, TitleBlockResult
from planocr.titleblock.patterns import clean_token, is_continuation, is_date, repair_ocr_number, sheet_number_shape
from planocr.titleblock.reading import PageReading, Piece, inside, read_page
from planocr.titleblock.scales import find_scales, partial_scale, repair_fraction, scale_key
from planocr.titleblock.titles import title_candidates

# Scores at or above these are reported as the field's value.
ACCEPT_NUMBER = 3.2
ACCEPT_TITLE = 3.0


@dataclass(frozen=True, slots=True)
class LayoutHint:
    """Where a document's confident sheets keep their number and title (page fractions, 0 to 1).

    Built by :mod:`planocr.titleblock.context`; candidates near a hinted
    position score higher, so an uncertain sheet is read like its siblings.
    """

    number_at: tuple[float, float] | None = None
    title_at: tuple[float, float] | None = None
    number_height: float | None = None  # as a fraction of the page height
    tolerance: float = 0.04


@dataclass(slots=True)
class Candidate:
    text: str
    score: float
    page_box: Box
    height: float


def parse_title_block(
    lines: Sequence[Line], width: int, height: int, *, hint: LayoutHint | None = None
) -> TitleBlockResult:
    """Read the title block of one page.

    ``lines`` are the engine's (or text layer's) lines with boxes in the
    upright page frame, ``width``/``height`` the page size in the same
    pixels. Returns the fields found, each with a confidence from 0 to 1,
    and every candidate seen, best first.
    """
    result = TitleBlockResult()
    if width <= 0 or height <= 0 or not lines:
        return result
    reading = read_page(build_frames(lines, width, height), width, height)
    result.region = reading.region

    numbers = _number_candidates(reading, hint)
    result.detected_sheet_numbers = _distinct(c.text for c in numbers if c.score >= 1.5)
    number = numbers[0] if numbers and numbers[0].score >= ACCEPT_NUMBER else None
    if number is not None:
        runner_up = next((c.score for c in numbers[1:] if c.text != number.text), None)
        result.fields["sheet_number"] = Field(number.text, _confidence(number.score, runner_up, ACCEPT_NUMBER), number.page_box)

    # Without a title-block region only a convincing number says where the block is.
    anchor = number if number is not None and (reading.region is not None or number.score >= 5.0) else None
    titles = title_candidates(reading, anchor.page_box if anchor else None, _hint_box(hint, "title", width, height))
    result.detected_titles = _distinct(c.text for c in titles if c.score >= 1.5)
    if titles and titles[0].score >= ACCEPT_TITLE:
        best = titles[0]
        runner_up = next((c.score for c in titles[1:] if c.text.upper() != best.text.upper()), None)
        result.fields["sheet_title"] = Field(best.text, _confidence(best.score, runner_up, ACCEPT_TITLE), best.page_box)

    _read_scales(reading, result, anchor.page_box if anchor else None)
    _read_other_fields(reading, result)
    return result


def _confidence(score: float, runner_up: float | None, accept: float) -> float:
    base = 1.0 / (1.0 + math.exp(-(score - accept - 1.0) / 1.3))
    if runner_up is not None:
        base *= 0.6 + 0.4 * min(1.0, max(0.0, score - runner_up) / 3.0)
    return round(min(0.99, base), 3)


def _distinct(texts) -> list[str]:
    seen: dict[str, str] = {}
    for text in texts:
        seen.setdefault(text.upper(), text)
    return list(seen.values())[:10]


def _hint_box(hint: LayoutHint | None, what: str, width: int, height: int) -> tuple[float, float, float] | None:
    if hint is None:
        return None
    at = hint.number_at if what == "number" else hint.title_at
    if at is None:
        return None
    return (at[0], at[1], hint.tolerance)


# --- sheet number ---------------------------------------------------------------------------


def _number_texts(piece: Piece, index: int, reading: PageReading) -> list[tuple[str, Box, float]]:
    """Sheet-number readings that start at token ``index`` of ``piece``: (text, page box, shape)."""
    token = piece.tokens[index]
    if id(token) in reading.excluded:
        return []
    text = repair_ocr_number(clean_token(token.text))
    shape = sheet_number_shape(text)
    out = []
    if shape > 0:
        out.append((text, token.page_box, shape))
        cont = _continuation_below(piece, token, reading)
        if cont is not None and shape >= 0.45:
            joined = text + cont[0] if cont[0][0] in "-_." or text[-1] in "-_." else f"{text}-{cont[0]}"
            # the whole of a broken number beats its first line
            out.append((joined, Box.union([token.page_box, cont[1]]), max(shape, 0.9) + 0.15))
    # OCR reads the underscores of "4821_A_GR_UG_473" at the baseline as spaces: "4821 A GR_UG 473",
    # sometimes with a gap wide enough to end the phrase after "4821".
    if index == 0:
        tokens = list(piece.tokens)
        if len(tokens) == 1 and tokens[0].text.isdigit():
            tokens += _underscored_neighbour(piece, reading)
        if 2 <= len(tokens) <= 6 and any("_" in t.text for t in tokens):
            parts = [clean_token(t.text).strip("_") for t in tokens]
            if all(re.fullmatch(r"[A-Za-z0-9_]+", part) for part in parts):
                joined = "_".join(parts)
                joined_shape = sheet_number_shape(joined)
                if joined_shape >= 0.8:
                    out.append((joined, Box.union([t.page_box for t in tokens]), joined_shape))
    # OCR splits "AF101" into "AF 101": a short letter prefix and a number, alone in their piece.
    if len(piece.tokens) == 2 and index == 0:
        second = clean_token(piece.tokens[1].text)
        first = clean_token(token.text)
        if first.isalpha() and first.isupper() and len(first) <= 3 and second[:1].isdigit():
            joined = repair_ocr_number(first + second)
            joined_shape = sheet_number_shape(joined)
            if joined_shape >= 0.8:
                out.append((joined, Box.union([token.page_box, piece.tokens[1].page_box]), 0.75 * joined_shape))
    return out


def _underscored_neighbour(piece: Piece, reading: PageReading) -> list:
    """The tokens of an ``A_GR_UG_473`` piece on ``piece``'s baseline just right of it (its lost ``_`` left a gap)."""
    box, h = piece.box, piece.height
    for other in reading.pieces:
        if other is piece or other.frame is not piece.frame or not any("_" in t.text for t in other.tokens):
            continue
        ob = other.box
        gap = ob.left - box.right
        overlap = min(ob.bottom, box.bottom) - max(ob.top, box.top)
        if 0 <= gap <= 3.5 * h and overlap > 0.5 * min(ob.height, box.height) and other.tokens[0].text[:1].isalpha():
            return list(other.tokens)
    return []


def _continuation_below(piece: Piece, token, reading: PageReading) -> tuple[str, Box] | None:
    """``-07C`` directly under ``TR14`` in the same style: a number broken over two lines."""
    if len(piece.tokens) != 1:
        return None
    tb = token.box
    for other in reading.pieces:
        if other is piece or other.frame is not piece.frame or len(other.tokens) != 1:
            continue
        ob = other.tokens[0].box
        gap = ob.top - tb.bottom
        if not (-0.2 * tb.height <= gap <= 1.2 * tb.height):
            continue
        if max(ob.height, tb.height) > 1.35 * min(ob.height, tb.height):
            continue
        if abs(ob.left - tb.left) > 1.5 * tb.height and abs((ob.left + ob.right) - (tb.left + tb.right)) > 2 * tb.height:
            continue
        text = clean_token(other.tokens[0].text) if not other.tokens[0].text.startswith(("-", "_", ".")) else other.tokens[0].text.rstrip(".,;:")
        if is_continuation(text):
            return text, other.tokens[0].page_box
    return None


def _number_candidates(reading: PageReading, hint: LayoutHint | None) -> list[Candidate]:
    width, height = reading.width, reading.height
    counts = Counter(clean_token(t.text).upper() for p in reading.pieces for t in p.tokens)
    raw: list[tuple[Candidate, Piece, float]] = []
    for piece in reading.pieces:
        label = piece.label
        for index in range(len(piece.tokens)):
            rel = piece.tokens[index].box.height / max(1.0, reading.text_height)
            for text, box, shape in _number_texts(piece, index, reading):
                score = 2.5 * shape
                labelled = label is not None and label.field == "sheet_number"
                if labelled:
                    if piece.cell_rank > 0 or index > 1:
                        score += 1.0
                    else:
                        score += 4.5 if index == 0 else 2.5
                elif label is not None:
                    # The first value under another label is that label's; lines further down may be a new cell.
                    score -= 4.5 if piece.cell_rank == 0 else 1.0
                elif shape < 0.3:
                    continue  # bare numbers only count next to their label
                elif shape <= 0.3 and (not inside(box, reading.region) or rel < 2.0):
                    continue  # 3.2.10 unlabelled: only as large text in the title block (it looks like a date)
                score += _position_score(box, reading, labelled)
                score += max(-1.0, min(2.0, 1.3 * math.log2(max(rel, 0.1))))
                if len(piece.phrase.tokens) >= 5 and not labelled:
                    score -= 1.5  # a reference inside a note: "SEE 3/A-501", "REFER TO A-501"
                if not labelled and _callout_neighbour(piece, reading):
                    score -= 2.5
                if counts[text.upper()] >= 3:
                    score -= 1.0
                if piece.tokens[index].confidence < 0.5:
                    score -= 0.5
                if hint is not None and hint.number_at is not None:
                    cx, cy = box.center
                    d = math.hypot(cx / width - hint.number_at[0], cy / height - hint.number_at[1])
                    score += 3.0 if d <= hint.tolerance else -1.0 if d > 4 * hint.tolerance else 0.0
                raw.append((Candidate(text, score, box, piece.tokens[index].box.height), piece, shape))
    # The largest sheet-number-shaped text of the block is usually the number.
    strong = [c for c, _, shape in raw if shape >= 0.8 and inside(c.page_box, reading.region)]
    if strong:
        tallest = max(c.height for c in strong)
        for c in strong:
            if c.height >= 0.95 * tallest:
                c.score += 0.8
    best: dict[str, Candidate] = {}
    for c, _, _ in raw:
        key = c.text.upper()
        if key not in best or c.score > best[key].score:
            best[key] = c
    return sorted(best.values(), key=lambda c: -c.score)


def _position_score(box: Box, reading: PageReading, labelled: bool) -> float:
    width, height = reading.width, reading.height
    cx, cy = box.center
    u, v = cx / width, cy / height
    corner = max(0.0, 1.0 - math.hypot(1 - u, 1 - v) / 0.35)
    if reading.region is not None:
        if inside(box, reading.region):
            return 1.5 + 0.6 * corner
        r = reading.region
        dx = max(0, r.left - cx, cx - r.right)
        dy = max(0, r.top - cy, cy - r.bottom)
        near = math.hypot(dx, dy) <= 0.04 * max(width, height)
        return (-0.5 if near else -2.5) + 0.6 * corner
    if labelled:
        return 0.0
    if corner > 0:
        return 0.3 + 0.6 * corner
    return -2.5


def _callout_neighbour(piece: Piece, reading: PageReading) -> bool:
    """A detail callout: a short mark (``5``) stacked right over or under the candidate, centred."""
    box = piece.box
    h = box.height
    for other in reading.pieces:
        if other is piece or other.frame is not piece.frame or len(other.tokens) > 6:
            continue
        mark = other.tokens[0]
        text = clean_token(mark.text)
        if not (1 <= len(text) <= 3) or not text.isalnum():
            continue
        ob = mark.box
        gap = min(abs(ob.top - box.bottom), abs(box.top - ob.bottom))
        centred = abs((ob.left + ob.right) - (box.left + box.right)) / 2 <= 0.8 * max(box.width, h) / 2 + h
        if gap <= 1.2 * h and centred and 0.6 * h <= ob.height <= 1.6 * h:
            return True
    return False


# --- scale ------------------------------------------------------------------------------------


def _read_scales(reading: PageReading, result: TitleBlockResult, number_box: Box | None) -> None:
    found: list[tuple[float, str, Box]] = []
    diag = math.hypot(reading.width, reading.height)
    for piece in reading.pieces:
        label = piece.label
        labelled = label is not None and label.field == "scale"
        matches = [(m.text, m.kind, 0.0) for m in find_scales(piece.text)]
        if not matches and labelled and piece.cell_rank == 0 and (partial := partial_scale(piece.text)):
            matches = [(partial, "architectural", -1.5)]  # the cell's start: "3/32\"" (OCR lost the rest)
        for text, kind, score in matches:
            if kind == "words" and not labelled:
                continue
            if labelled:
                score += 4.0
            elif label is not None and label.field != "scale":
                score -= 6.0
            if inside(piece.page_box, reading.region):
                score += 1.5
            elif reading.region is not None:
                score -= 3.0  # a view's own scale
            if number_box is not None and score > 0:
                (x0, y0), (x1, y1) = piece.page_box.center, number_box.center
                score += 1.0 * max(0.0, 1.0 - math.hypot(x1 - x0, y1 - y0) / diag / 0.2)
            found.append((score, text, piece.page_box))
    texts = [text for _, text, _ in found]
    for index, (score, text, box) in enumerate(found):
        mended, changed = repair_fraction(text, texts)
        if changed:
            found[index] = (score - 1.0, mended, box)
    result.detected_scales = _distinct_scales(text for _, text, _ in sorted(found, key=lambda f: -f[0]))
    if not found:
        return
    found.sort(key=lambda f: -f[0])
    score, text, box = found[0]
    if reading.region is None:
        return
    if score >= 1.5:
        result.fields["scale"] = Field(text, 0.9 if score >= 5.5 else 0.75, box)
        return
    # No scale in the title block: one scale shared by every view is the sheet's scale.
    keys = {scale_key(t) for s, t, _ in found if s > -5.0}
    views = [t for s, t, _ in found if s > -5.0]
    if len(keys) == 1 and views and reading.region is not None:
        result.fields["scale"] = Field(views[0], 0.5, None)


def _distinct_scales(texts) -> list[str]:
    seen: dict[str, str] = {}
    for text in texts:
        seen.setdefault(scale_key(text), text)
    return list(seen.values())


def _first_run(pieces: list[Piece]) -> list[Piece]:
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
            score = 0.8 if inside(label.page_box, reading.region) else 0.45
            if best is None or score > best[0]:
                best = (score, text, Box.union(v.page_box for v in values))
        if best is not None:
            result.fields[name] = Field(best[1], best[0], best[2])
