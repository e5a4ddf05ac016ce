"""Sheet-title candidates: label values, drawing-type wording, size and closeness to the sheet number."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from planocr.engines.base import Box
from planocr.titleblock.labels import is_label_text
from planocr.titleblock.patterns import is_date, sheet_number_shape, split_lead_number, clean_token
from planocr.titleblock.reading import PageReading, Piece, inside
from planocr.titleblock.scales import find_scales

# Words that name a kind of drawing: the title of a sheet nearly always has one.
_KIND = re.compile(
    r"\b(PLANS?|ELEVATIONS?|SECTIONS?|DETAILS?|SCHEDULES?|DIAGRAMS?|NOTES|LEGENDS?|COVER|INDEX|LAYOUTS?|"
    r"SPECIFICATIONS?|ISOMETRICS?|RISERS?|PROFILES?|ABBREVIATIONS|SYMBOLS|VIEWS?|PERSPECTIVES?|RENDERINGS?|"
    r"SURVEY|RCP|TYPES|ONE-LINE|SINGLE-LINE|SCHEMATICS?|CALCULATIONS|GRADING|DEMOLITION|"
    r"GRUNDRISSE?|SCHNITTE?|ANSICHTEN|ANSICHT|LAGEPLAN|DETAILS?|DECKENSPIEGEL|DACHAUFSICHT|FASSADEN?|"
    r"ÜBERSICHT|UEBERSICHT|ÜBERSICHTSPLAN|SCHALPLAN|BEWEHRUNGSPLAN|POSITIONSPLAN|WERKPLAN|LAGEPLAN|"
    r"\w+PLAN|\w+PLÄNE|\w+SCHNITT|\w+ANSICHT|\w+GRUNDRISS)\b",
    re.IGNORECASE,
)
_LEVEL = re.compile(
    r"\b(FLOOR|LEVEL|ROOF|FOUNDATION|FRAMING|CEILING|SITE|BASEMENT|MEZZANINE|ENLARGED|TYPICAL|FIRST|SECOND|"
    r"THIRD|FOURTH|GROUND|LOWER|UPPER|ELECTRICAL|MECHANICAL|PLUMBING|LIGHTING|POWER|STRUCTURAL|FIRE|"
    r"ERDGESCHOSS|OBERGESCHOSS|UNTERGESCHOSS|KELLERGESCHOSS|DACHGESCHOSS|EG|OG|UG|KG|DG)\b",
    re.IGNORECASE,
)
_STAMP = re.compile(
    r"\b(NOT\s+FOR\s+CONSTRUCTION|FOR\s+CONSTRUCTION|PRELIMINARY|FOR\s+REVIEW|ISSUED\s+FOR|CONCEPTUAL\s+DESIGN|"
    r"NOT\s+FOR|CONSTRUCTION\s+DOCUMENTS|BID\s+SET|PERMIT\s+SET|VORABZUG|ENTWURF|GENEHMIGUNGSPLANUNG|"
    r"AUSFÜHRUNGSPLANUNG|COPYRIGHT|ALL\s+RIGHTS|REVISIONS?|SEAL|STAMP|DRAWN|CHECKED|APPROVED)\b",
    re.IGNORECASE,
)
_COMPANY = re.compile(
    r"\b(INC|LLC|LLP|LTD|CORP|GMBH|AG|PC|PLLC|ARCHITECTS?|ARCHITECTURE|ENGINEERS?|ENGINEERING|ARCHITEKTEN|"
    r"INGENIEURE|PARTNER|ASSOCIATES|CONSULTING|GROUP|STUDIO|DEPARTMENT|ADMINISTRATION)\b\.?",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    r"@|www\.|https?:|\b(STREET|ST\.|AVENUE|AVE|ROAD|RD|SUITE|BLVD|DRIVE|STRASSE|STR\.|WEG|PLATZ|GASSE)\b|"
    r"\b\d{4,5}\s+[A-ZÄÖÜ][a-zäöü]+|\(\d{3}\)|\d{3}[-. ]\d{3}[-. ]\d{4}|\b[A-Z]{2}\s+\d{5}\b",
    re.IGNORECASE,
)
_PROJECT = re.compile(
    r"\b(RENOVATION|RENOVATE|ADDITION|RESIDENCE|HOSPITAL|SCHOOL|CENTER|CENTRE|APARTMENTS?|CAMPUS|"
    r"EXPRESSWAY|HIGHWAY|NEUBAU|ERSATZNEUBAU|UMBAU|SANIERUNG|ERWEITERUNG|REVISIONSPLAN|WOHNHAUS|"
    r"MEHRFAMILIENHAUS|EINFAMILIENHAUS)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class TitleCandidate:
    text: str
    score: float
    page_box: Box


def _runs(pieces: Sequence[Piece]) -> list[list[Piece]]:
    """Split a cell's lines into runs of one text style (a small subtitle is not part of the title)."""
    runs: list[list[Piece]] = []
    for piece in pieces:
        if runs:
            last = runs[-1][-1]
            ratio = max(last.height, piece.height) / max(1.0, min(last.height, piece.height))
            if ratio <= 1.3 and piece.box.top - last.box.bottom <= 1.3 * max(last.height, piece.height):
                runs[-1].append(piece)
                continue
        runs.append([piece])
    return runs


def _stacked(upper: Piece, lower: Piece) -> bool:
    ub, lb = upper.box, lower.box
    h = max(upper.height, lower.height)
    if max(upper.height, lower.height) > 1.3 * min(upper.height, lower.height):
        return False
    gap = lb.top - ub.bottom
    if gap < -0.3 * h or gap > 0.9 * h:
        return False
    overlap = min(ub.right, lb.right) - max(ub.left, lb.left)
    aligned = abs(ub.left - lb.left) <= 1.5 * h or abs((ub.left + ub.right) - (lb.left + lb.right)) <= 3 * h
    return overlap > 0 and aligned


def _free_blocks(reading: PageReading) -> list[list[Piece]]:
    """Chains of unlabelled pieces stacked like lines of one paragraph."""
    free = [p for p in reading.pieces if p.label is None]
    by_frame: dict[int, list[Piece]] = {}
    for piece in free:
        by_frame.setdefault(id(piece.frame), []).append(piece)
    blocks: list[list[Piece]] = []
    for pieces in by_frame.values():
        pieces.sort(key=lambda p: (p.box.top, p.box.left))
        successor: dict[int, Piece] = {}
        has_pred: set[int] = set()
        for i, upper in enumerate(pieces):
            for lower in pieces[i + 1 :]:
                if lower.box.top > upper.box.bottom + 1.0 * upper.height:
                    break
                if id(lower) not in has_pred and _stacked(upper, lower):
                    successor[id(upper)] = lower
                    has_pred.add(id(lower))
                    break
        for piece in pieces:
            if id(piece) in has_pred:
                continue
            chain = [piece]
            while id(chain[-1]) in successor and len(chain) < 5:
                chain.append(successor[id(chain[-1])])
            blocks.append(chain)
    return blocks


def _text_score(text: str) -> float | None:
    """What the wording alone says about a title candidate; None when it cannot be a title."""
    letters = sum(ch.isalpha() for ch in text)
    if letters < 3 or is_label_text(text) or is_date(text) or find_scales(text):
        return None
    words = text.split()
    if len(words) == 1 and sheet_number_shape(clean_token(words[0])) >= 0.3:
        return None
    score = 0.0
    if _KIND.search(text):
        score += 2.2
    elif _LEVEL.search(text):
        score += 0.7
    if _STAMP.search(text):
        score -= 3.0
    if _COMPANY.search(text):
        score -= 2.5
    if _ADDRESS.search(text):
        score -= 3.0
    if _PROJECT.search(text):
        score -= 1.5
    digits = sum(ch.isdigit() for ch in text)
    if digits > 0.3 * (letters + digits):
        score -= 2.0
    if len(words) > 10:
        score -= 2.0
    if text.rstrip().endswith((".", ":")) and len(words) > 4:
        score -= 1.5  # a sentence from the notes
    return score


def title_candidates(
    reading: PageReading, number_box: Box | None, hint_at: tuple[float, float, float] | None = None
) -> list[TitleCandidate]:
    """Every title candidate on the page, best first."""
    width, height = reading.width, reading.height
    diag = math.hypot(width, height)
    texts_seen: dict[str, int] = {}
    for piece in reading.pieces:
        key = piece.text.upper()
        texts_seen[key] = texts_seen.get(key, 0) + 1

    candidates: list[TitleCandidate] = []

    def add(pieces: Sequence[Piece], bonus: float, text: str | None = None) -> None:
        text = text if text is not None else " ".join(p.text for p in pieces)
        text = re.sub(r"\s+", " ", text).strip(" :-|")
        wording = _text_score(text)
        if wording is None:
            return
        box = Box.union(p.page_box for p in pieces)
        score = bonus + wording
        if reading.region is not None:
            score += 1.5 if inside(box, reading.region) else -3.0
        elif number_box is None:
            score -= 2.0
        heights = [p.height for p in pieces]
        rel = (sum(heights) / len(heights)) / max(1.0, reading.text_height)
        score += max(-1.0, min(1.5, math.log2(max(rel, 0.1))))
        if number_box is not None:
            d = math.hypot(box.center[0] - number_box.center[0], box.center[1] - number_box.center[1]) / diag
            score += 1.5 * max(0.0, 1.0 - d / 0.15)
        if texts_seen.get(pieces[0].text.upper(), 0) >= 2 and len(pieces) == 1:
            score += 0.5  # also written as a view title on the sheet
        if hint_at is not None:
            cx, cy = box.center
            d = math.hypot(cx / width - hint_at[0], cy / height - hint_at[1])
            score += 2.5 if d <= 2 * hint_at[2] else 0.0
        candidates.append(TitleCandidate(text, score, box))

    for label in reading.labels:
        if label.field == "sheet_title" and label.values:
            for rank, run in enumerate(_runs(label.values)):
                add(run, 4.5 if rank == 0 else 3.5)
        if label.field == "sheet_number":
            for piece in label.values[:1]:
                split = split_lead_number(piece.text)
                if split:
                    add([piece], 3.0, split[1])
    for block in _free_blocks(reading):
        for start in range(len(block)):
            # A block may start with a line that is not part of the title (a project name above it).
            add(block[start:], 0.0 if start == 0 else -0.3)
    candidates.sort(key=lambda c: -c.score)
    return candidates
