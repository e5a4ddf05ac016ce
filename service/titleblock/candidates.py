"""Candidates for the sheet number, title and scale of one page, each with what speaks for and against it.

Nothing here decides. Every token that could be a sheet number, every run
of lines that could be a title, every scale expression becomes a
:class:`Candidate` with *features*: plain measurements of the evidence
(the label it sits under, where it is on the page and in the title block,
how large it is against the page's other text, what its words say, how it
relates to the chosen sheet number). :mod:`planocr.titleblock.ranker`
weighs them with weights fitted on generated and real sheets
(``make train``), so no rule here is tuned by hand to one sheet.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from planocr.core.page import Box
from planocr.titleblock.labels import is_label_text, word_pattern
from planocr.titleblock.patterns import (
    clean_token,
    is_continuation,
    is_date,
    is_written_date,
    repair_ocr_number,
    shape_class,
    sheet_number_shape,
    split_lead_number,
    split_trailing_number,
)
from planocr.titleblock.reading import PageReading, Piece
from planocr.titleblock.scales import find_scales, partial_scale, repair_fraction, scale_key

_ADDRESS = re.compile(
    r"@|www\.|https?:|\b(STREET|ST\.|AVENUE|AVE|ROAD|RD|SUITE|BLVD|DRIVE|STRASSE|STR\.|WEG|PLATZ|GASSE|VIA|PIAZZA|"
    r"RUE|CALLE|STRAAT)\b|\b\d{4,5}\s+[A-ZÄÖÜ][a-zäöü]+|\(\d{3}\)|\d{3}[-. ]\d{3}[-. ]\d{4}|\b[A-Z]{2}\s+\d{5}\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Candidate:
    """One possible value of a field, where it is, and its features (name to number)."""

    field: str  # "sheet_number", "sheet_title" or "scale"
    text: str
    page_box: Box
    height: float  # text height in the reading frame
    features: dict[str, float] = dataclasses.field(default_factory=dict)
    score: float = 0.0  # the ranker's probability that this is the field's value


#: Number-shaped texts aligned in one column with a candidate that make it a row of a table.
TABLE_PEERS = 3

#: A ruled area larger than this share of the page is a drawing area, not a title-block cell.
MOST_CELL = 0.08


# --- shared measurements ---------------------------------------------------------------------------


def _position(box: Box, reading: PageReading) -> dict[str, float]:
    """Where a box sits: page fractions, closeness to the bottom-right and any corner, and to the edge."""
    width, height = reading.width, reading.height
    cx, cy = box.center
    u, v = cx / width, cy / height
    corner = max(0.0, 1.0 - math.hypot(1 - u, 1 - v) / 0.35)
    any_corner = max(max(0.0, 1.0 - math.hypot(a - u, b - v) / 0.25) for a in (0, 1) for b in (0, 1))
    edge = min(u, 1 - u, v, 1 - v)
    out = {"u": u, "v": v, "corner": corner, "any_corner": any_corner, "edge": min(1.0, edge / 0.25)}
    region = reading.region
    if region is None:
        out.update(region_none=1.0, inside=0.0, near=0.0)
    else:
        dx = max(0, region.left - cx, cx - region.right)
        dy = max(0, region.top - cy, cy - region.bottom)
        within = dx == 0 and dy == 0
        out.update(region_none=0.0, inside=float(within),
                   near=float(not within and math.hypot(dx, dy) <= 0.04 * max(width, height)))
    block = reading.block
    out["in_block"] = float(block is not None and box.centre_in(block))
    return out


def _size(height: float, reading: PageReading) -> float:
    return max(-3.0, min(3.0, math.log2(max(height, 0.5) / max(1.0, reading.text_height))))


def _cell_features(box: Box, reading: PageReading, prefix: str) -> dict[str, float]:
    """The ruled cell a box sits in: how much of it the text fills, how large it is, how much else is in it."""
    if reading.cells is None:
        return {f"{prefix}cell": 0.0, f"{prefix}cell_fill": 0.0, f"{prefix}cell_alone": 0.0, f"{prefix}cell_area": 0.0}
    cell = reading.cells.cell_of(box)
    if cell is not None and cell.width * cell.height > MOST_CELL * reading.width * reading.height:
        cell = None  # a drawing area, not a cell of the title block
    if cell is None:
        return {f"{prefix}cell": 0.0, f"{prefix}cell_fill": 0.0, f"{prefix}cell_alone": 0.0, f"{prefix}cell_area": 0.0}
    fill = (box.width * box.height) / max(1, cell.width * cell.height)
    others = _pieces_in(cell, reading) - sum(1 for p in _pieces_by_cell(reading).get(cell, ()) if p.page_box.centre_in(box))
    area = cell.width * cell.height / max(1, reading.width * reading.height)
    return {f"{prefix}cell": 1.0, f"{prefix}cell_fill": min(1.0, fill), f"{prefix}cell_alone": float(others == 0),
            f"{prefix}cell_area": min(1.0, area * 20)}


def _nearby(piece: Piece, reading: PageReading, reach: float) -> list[Piece]:
    """Pieces of ``piece``'s frame whose boxes come within ``reach`` pixels of it (a grid over the frame, made once)."""
    size = reading.memo.get("grid_size")
    if size is None:
        size = reading.memo["grid_size"] = max(32.0, 8 * reading.text_height)
        grid: dict[tuple[int, int, int], list[Piece]] = {}
        for p in reading.pieces:
            b = p.box
            for gx in range(int(b.left // size), int(b.right // size) + 1):
                for gy in range(int(b.top // size), int(b.bottom // size) + 1):
                    grid.setdefault((id(p.frame), gx, gy), []).append(p)
        reading.memo["grid"] = grid
    grid = reading.memo["grid"]
    b = piece.box
    seen: dict[int, Piece] = {}
    for gx in range(int((b.left - reach) // size), int((b.right + reach) // size) + 1):
        for gy in range(int((b.top - reach) // size), int((b.bottom + reach) // size) + 1):
            for p in grid.get((id(piece.frame), gx, gy), ()):
                seen[id(p)] = p
    return list(seen.values())


def _pieces_by_cell(reading: PageReading) -> dict[Box, list[Piece]]:
    """The page's pieces by the ruled cell they sit in (worked out once a page)."""
    by_cell = reading.memo.get("pieces_by_cell")
    if by_cell is None:
        by_cell = {}
        for piece in reading.pieces:
            cell = reading.cells.cell_of(piece.page_box) if reading.cells is not None else None
            if cell is not None:
                by_cell.setdefault(cell, []).append(piece)
        reading.memo["pieces_by_cell"] = by_cell
    return by_cell


def _pieces_in(cell: Box, reading: PageReading) -> int:
    return len(_pieces_by_cell(reading).get(cell, ()))


# --- sheet numbers ---------------------------------------------------------------------------------


def number_candidates(reading: PageReading) -> list[Candidate]:
    """Every sheet-number reading on the page, one per text (the best-placed occurrence), unranked."""
    counts = Counter(clean_token(t.text).upper() for p in reading.pieces for t in p.tokens)
    shaped = [(p, i) for p in reading.pieces for i, t in enumerate(p.tokens) if sheet_number_shape(clean_token(t.text)) >= 0.8]
    tallest_page = max((p.tokens[i].box.height for p, i in shaped), default=0.0)
    shaped_boxes = [p.tokens[i].page_box for p, i in shaped]
    tallest_block = max((p.tokens[i].box.height for p, i in shaped if p.tokens[i].page_box.centre_in(reading.region)),
                        default=0.0)
    out: list[Candidate] = []
    for piece in reading.pieces:
        label = piece.label
        for index in range(len(piece.tokens)):
            token = piece.tokens[index]
            for text, box, shape, how in _number_texts(piece, index, reading):
                f: dict[str, float] = {"shape": shape}
                for name in ("discipline", "short", "compound", "dotted", "digits"):
                    f[f"class_{name}"] = float(shape_class(text) == name)
                labelled = label is not None and label.field == "sheet_number"
                f["lab_number_first"] = float(labelled and piece.cell_rank == 0 and index <= 1)
                f["lab_number_later"] = float(labelled and not f["lab_number_first"])
                f["lab_other_first"] = float(label is not None and not labelled and piece.cell_rank == 0)
                f["lab_other_later"] = float(label is not None and not labelled and piece.cell_rank > 0)
                f["lab_colon"] = float(labelled and label is not None and label.colon)
                f.update(_position(box, reading))
                f["size"] = _size(token.box.height, reading)
                f["tallest_block"] = float(shape >= 0.8 and tallest_block > 0 and box.centre_in(reading.region)
                                           and token.box.height >= 0.95 * tallest_block)
                f["tallest_page"] = float(shape >= 0.8 and token.box.height >= 0.95 * tallest_page > 0)
                f["phrase_words"] = min(1.0, len(piece.phrase.tokens) / 8)
                f["in_note"] = float(len(piece.phrase.tokens) >= 5)
                f["callout"] = float(_callout_neighbour(piece, reading))
                f["repeated"] = float(counts[text.upper()] >= 3)
                f["twice"] = float(counts[text.upper()] == 2)
                f["family"] = float(_family(text) in reading.ref_families)
                f["confidence"] = token.confidence
                f["joined"] = float(how == "joined")
                f["repaired"] = float(how == "repaired")
                f["after_text"] = float(how == "trailing")
                f["prefixed"] = float(how == "prefixed")
                f["s_guess"] = float(how == "s_guess")
                f["date"] = float(is_date(text))
                f["excluded"] = float(id(token) in reading.excluded)
                over, under = _stacked_number(piece, token, reading)
                f["in_bubble"] = float(any(box.centre_in(place) for place in reading.bubbles))
                if f["class_digits"] and not (labelled or f["in_bubble"] or (over and not f["callout"])):
                    # A bare number is a sheet number only under its label, in a corner bubble's number
                    # place or over the set's total (5 over 24); elsewhere it is a grid line, a zone, a room, a count
                    # or a detail's number over the sheet it is drawn on.
                    continue
                if f["lab_other_first"]:
                    continue  # the value of another field's label (DATE, PROJECT NO., SIZE: A1) is that field's
                if not labelled and is_written_date(text):
                    continue  # 12.03.19 beside the number is the date it was issued
                f["shaped_on_page"] = min(1.0, math.log2(1 + len(shaped)) / 6)
                peers = _column_peers(token.page_box, shaped_boxes)
                if peers >= TABLE_PEERS and not labelled:
                    continue  # one row of a table of sheets (a drawing list, under its SHEET NO. header)
                f["column_peers"] = min(1.0, peers / 5)
                f["over_number"] = float(over)
                f["under_number"] = float(under)
                f.update(_cell_features(box, reading, ""))
                out.append(Candidate("sheet_number", text, box, token.box.height, f))
    return _without_joined_parts(out)


def _without_joined_parts(candidates: list[Candidate]) -> list[Candidate]:
    """A number that OCR or a narrow cell split (``AF 101``, ``TR14`` over ``-07C``, ``4821 A_GR_UG_473``)
    is one candidate, joined; its pieces on their own are not read as numbers of their own."""
    joined = [c for c in candidates if c.features.get("joined")]
    if not joined:
        return candidates
    return [c for c in candidates if c.features.get("joined") or not any(
        j.text != c.text and c.text in j.text and c.page_box.centre_in(j.page_box) for j in joined)]


def _number_texts(piece: Piece, index: int, reading: PageReading) -> list[tuple[str, Box, float, str]]:
    """Sheet-number readings that start at token ``index`` of ``piece``: (text, page box, shape, how made)."""
    token = piece.tokens[index]
    raw = clean_token(token.text)
    text = repair_ocr_number(raw)
    shape = sheet_number_shape(text)
    out = []
    if shape > 0:
        out.append((text, token.page_box, shape, "repaired" if text != raw else "plain"))
        cont = _continuation_below(piece, token, reading)
        if cont is not None and shape >= 0.45:
            joined = text + cont[0] if cont[0][0] in "-_." or text[-1] in "-_." else f"{text}-{cont[0]}"
            out.append((joined, Box.union([token.page_box, cont[1]]), max(shape, 0.9), "joined"))
    # OCR reads the underscores of "4821_A_GR_UG_473" at the baseline as spaces.
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
                    out.append((joined, Box.union([t.page_box for t in tokens]), joined_shape, "joined"))
    # Letters and digits split by OCR or by wide letter spacing: "AF 101", "S 2.10", "W 3", "A 301".
    if index + 1 < len(piece.tokens):
        second = clean_token(piece.tokens[index + 1].text)
        if raw.isalpha() and raw.isupper() and len(raw) <= 3 and second[:1].isdigit():
            joined = repair_ocr_number(raw + second)
            joined_shape = sheet_number_shape(joined)
            if joined_shape >= 0.45:
                out.append((joined, Box.union([token.page_box, piece.tokens[index + 1].page_box]), joined_shape, "joined"))
    # Large or outlined numbers lose or garble their discipline letter in OCR ("S1.0" read "91.0",
    # "52.21" or "1.0"); the sheets the page refers to ("2/S5.0") say which letters this set uses, and
    # an S read as 5, 9 or $ is the commonest slip of all.
    if len(piece.tokens) <= 3 and re.fullmatch(r"[$§95]?\d{1,3}(?:[.\-]\d{1,3})?[A-Z]?", raw):
        bare = raw[1:] if raw[0] in "$§95" and len(raw) > 1 and raw[1].isdigit() else raw
        # (the S guess only inside a title block, and never for a body of zeros: "S00" from "500" on a map)
        s_guess = bare != raw and reading.region is not None and bare.strip("0.-")
        prefixes = set(reading.ref_prefixes) | ({"S"} if s_guess else set())
        for prefix in sorted(prefixes):
            bodies = {bare} if bare != raw else {raw}
            for body in bodies:
                variant = prefix + body
                if variant != text and sheet_number_shape(variant) >= 0.8:
                    out.append((variant, token.page_box, sheet_number_shape(variant),
                                "prefixed" if prefix in reading.ref_prefixes else "s_guess"))
    # A number printed at the end of a name field: "FLOOR PLAN: A2.01".
    if index == len(piece.tokens) - 1 and index >= 1:
        trailing = split_trailing_number(piece.text)
        if trailing is not None and trailing[0] == text and shape >= 0.8:
            out.append((text, token.page_box, shape, "trailing"))
    return out


def _column_peers(box: Box, others: Sequence[Box]) -> int:
    """Sheet-number-shaped texts left-aligned with ``box`` above or below it: a table's column (a drawing list)."""
    h = max(1, box.height)
    return sum(
        1 for o in others
        if o != box and abs(o.left - box.left) <= 1.5 * h and abs(o.height - box.height) <= 0.5 * h
        and abs(o.center[1] - box.center[1]) <= 40 * h
    )


def _family(text: str) -> str:
    """A sheet number's pattern: letters kept, digits as 9 (``S5.01`` and ``S2.10`` are both ``S9.99``)."""
    return re.sub(r"\d", "9", text.upper())


def _underscored_neighbour(piece: Piece, reading: PageReading) -> list:
    """The tokens of an ``A_GR_UG_473`` piece on ``piece``'s baseline just right of it (its lost ``_`` left a gap)."""
    box, h = piece.box, piece.height
    for other in _nearby(piece, reading, 4 * h):
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
    for other in _nearby(piece, reading, 2 * tb.height):
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


def _callout_neighbour(piece: Piece, reading: PageReading) -> bool:
    """A detail callout: a short mark (``5``) stacked right over or under the candidate, centred."""
    box = piece.box
    h = box.height
    for other in _nearby(piece, reading, 3 * h):
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


def _stacked_number(piece: Piece, token, reading: PageReading) -> tuple[bool, bool]:
    """Whether a bare number sits over (or under) another bare number of about its size, centred: ``5`` over ``24``."""
    text = clean_token(token.text)
    if not text.isdigit() or len(piece.tokens) != 1:
        return False, False
    tb = token.box
    over = under = False
    for other in _nearby(piece, reading, 3 * tb.height):
        if other is piece or other.frame is not piece.frame or len(other.tokens) != 1:
            continue
        o = other.tokens[0]
        if not clean_token(o.text).isdigit():
            continue
        ob = o.box
        if max(ob.height, tb.height) > 1.6 * min(ob.height, tb.height):
            continue
        centred = abs((ob.left + ob.right) - (tb.left + tb.right)) / 2 <= 1.2 * max(tb.height, ob.height)
        if not centred:
            continue
        if 0 <= ob.top - tb.bottom <= 1.5 * tb.height and int(clean_token(o.text)) >= int(text):
            over = True
        if 0 <= tb.top - ob.bottom <= 1.5 * tb.height and int(clean_token(o.text)) <= int(text):
            under = True
    return over, under


# --- titles ---------------------------------------------------------------------------------------

_KIND = word_pattern("drawing")
_LEVEL = word_pattern("level")
_STAMP = word_pattern("stamp")
_COMPANY = word_pattern("company")
_PROJECT = word_pattern("project")


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


def _same_cell(a: Piece, b: Piece, reading: PageReading) -> bool:
    if reading.cells is None:
        return True
    ca, cb = reading.cells.cell_of(a.page_box), reading.cells.cell_of(b.page_box)
    return ca == cb


def _free_blocks(reading: PageReading) -> list[list[Piece]]:
    """Chains of unlabelled pieces stacked like lines of one paragraph (and, where rules are known, of one cell)."""
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
                if id(lower) not in has_pred and _stacked(upper, lower) and _same_cell(upper, lower, reading):
                    successor[id(upper)] = lower
                    has_pred.add(id(lower))
                    break
        for piece in pieces:
            if id(piece) in has_pred:
                continue
            chain = [piece]
            while id(chain[-1]) in successor and len(chain) < 6:
                chain.append(successor[id(chain[-1])])
            blocks.append(chain)
    return blocks


def _wording(text: str) -> dict[str, float] | None:
    """What the words alone say about a title candidate; None when it cannot be a title."""
    letters = sum(ch.isalpha() for ch in text)
    if letters < 3 or is_label_text(text) or is_date(text) or find_scales(text):
        return None
    words = text.split()
    if len(words) == 1 and sheet_number_shape(clean_token(words[0])) >= 0.3:
        return None
    digits = sum(ch.isdigit() for ch in text)
    upper = sum(ch.isupper() for ch in text)
    return {
        "kind_word": float(bool(_KIND.search(text))),
        "level_word": float(bool(_LEVEL.search(text))),
        "stamp": float(bool(_STAMP.search(text))),
        "company": float(bool(_COMPANY.search(text))),
        "address": float(bool(_ADDRESS.search(text))),
        "project": float(bool(_PROJECT.search(text))),
        "digits": digits / max(1, letters + digits),
        "words": min(1.0, len(words) / 12),
        "long": float(len(words) > 10),
        "sentence": float(text.rstrip().endswith((".", ":")) and len(words) > 4),
        "caps": upper / max(1, letters),
        "colon": float(":" in text),
    }


def title_candidates(reading: PageReading, number: Candidate | None) -> list[Candidate]:
    """Every title candidate on the page, with features relative to the chosen sheet ``number`` (if any)."""
    diag = math.hypot(reading.width, reading.height)
    texts_seen = Counter(piece.text.upper() for piece in reading.pieces)
    heights = sorted({round(p.height, 1) for p in reading.pieces if p.page_box.centre_in(reading.region)}, reverse=True)
    out: list[Candidate] = []
    seen: dict[tuple[str, int, int], Candidate] = {}

    def add(pieces: Sequence[Piece], source: str, text: str | None = None, cut: bool = False) -> None:
        text = text if text is not None else " ".join(p.text for p in pieces)
        if not cut and (m := LEAD_NUMBER.match(text)):
            # "1 GROUND FLOOR PLAN": a view's title after its number; the title may be the view's name
            add(pieces, source, text[m.end():], cut=True)
        text = re.sub(r"\s+", " ", text).strip(" :-|")
        if number is not None:
            # "FLOOR PLAN: A2.01" across lines: the number printed after the name is no part of it
            text = re.sub(r"\s*(?:[:|\u2013\u2014]|\s-)?\s*" + re.escape(number.text) + r"$", "", text).strip(" :-|")
        wording = _wording(text)
        if wording is None:
            return
        box = Box.union(p.page_box for p in pieces)
        height = sum(p.height for p in pieces) / len(pieces)
        f: dict[str, float] = {"src_" + name: float(source == name) for name in TITLE_SOURCES}
        f.update(wording)
        f.update(_position(box, reading))
        f["size"] = _size(height, reading)
        f["largest_in_block"] = float(bool(heights) and round(height, 1) >= heights[0] * 0.95)
        f["lines"] = min(1.0, len(pieces) / 4)
        f["repeated"] = float(texts_seen.get(pieces[0].text.upper(), 0) >= 2 and len(pieces) == 1)
        if number is not None:
            nb = number.page_box
            d = math.hypot(box.center[0] - nb.center[0], box.center[1] - nb.center[1]) / diag
            f["has_number"] = 1.0
            f["near_number"] = max(0.0, 1.0 - d / 0.15)
            across = min(box.right, nb.right) - max(box.left, nb.left)
            f["above_number"] = float(across > 0 and 0 <= nb.top - box.bottom <= 6 * max(height, number.height))
            f["left_of_number"] = float(0 <= nb.left - box.right <= 8 * height
                                        and min(box.bottom, nb.bottom) - max(box.top, nb.top) > 0)
            cells = reading.cells
            cell = cells.cell_of(box) if cells is not None else None
            f["same_cell_number"] = float(cell is not None and cells is not None and cell.width * cell.height
                                          <= MOST_CELL * reading.width * reading.height and cell == cells.cell_of(nb))
            f["bigger_than_number"] = float(height > 1.1 * number.height)
        else:
            f.update(has_number=0.0, near_number=0.0, above_number=0.0, left_of_number=0.0, same_cell_number=0.0,
                     bigger_than_number=0.0)
        f.update(_cell_features(box, reading, ""))
        f["lead_number"] = float(bool(LEAD_NUMBER.match(text)))
        f["lead_number_cut"] = float(cut)
        key = (text.upper(), box.left // 8, box.top // 8)
        old = seen.get(key)
        candidate = Candidate("sheet_title", text, box, height, f)
        if old is None or _source_rank(source) < _source_rank(_source_of(old)):
            if old is not None:
                out.remove(old)
            seen[key] = candidate
            out.append(candidate)

    for label in reading.labels:
        if label.field == "sheet_title" and label.values:
            for rank, run in enumerate(_runs(label.values)):
                add(run, "label_first" if rank == 0 else "label_later")
        if label.field == "sheet_number":
            for piece in label.values[:1]:
                split = split_lead_number(piece.text)
                if split:
                    add([piece], "number_rest", split[1])
    for piece in reading.pieces:
        trailing = split_trailing_number(piece.text)
        if trailing is not None:
            add([piece], "number_rest", trailing[1])
    for block in _free_blocks(reading):
        for start in range(len(block)):
            # A block may start with a line that is not part of the title (a project name above it).
            for end in range(len(block), start, -1):
                add(block[start:end], "free" if start == 0 and end == len(block) else "free_part")
    return out


#: A view number before a view's name: "1 FLOOR PLAN", "A3 - SECTION".
LEAD_NUMBER = re.compile(r"^(?:[A-Z]?\d{1,2})\s*(?:[-.:]\s+|\s+)(?=[A-Za-zÀ-ÿ]{2})")

TITLE_SOURCES = ("label_first", "label_later", "number_rest", "free", "free_part")


def _source_of(candidate: Candidate) -> str:
    return next(name for name in TITLE_SOURCES if candidate.features.get("src_" + name))


def _source_rank(source: str) -> int:
    return TITLE_SOURCES.index(source)


# --- scales ---------------------------------------------------------------------------------------

SCALE_KINDS = ("architectural", "engineering", "metric", "nts", "words")


def scale_candidates(reading: PageReading, number: Candidate | None) -> list[Candidate]:
    """Every scale expression on the page, with where and how it is written."""
    diag = math.hypot(reading.width, reading.height)
    found: list[tuple[str, str, Piece, float]] = []
    for piece in reading.pieces:
        label = piece.label
        labelled = label is not None and label.field == "scale"
        matches = [(m.text, m.kind, 0.0) for m in find_scales(piece.text)]
        if not matches and labelled and piece.cell_rank == 0 and (partial := partial_scale(piece.text)):
            matches = [(partial, "architectural", 1.0)]  # the cell's start: "3/32\"" (OCR lost the rest)
        for text, kind, partial_flag in matches:
            found.append((text, kind, piece, partial_flag))
    texts = [text for text, _, _, _ in found]
    keys = Counter(scale_key(t) for t in texts)
    out: list[Candidate] = []
    for text, kind, piece, partial_flag in found:
        mended, changed = repair_fraction(text, texts)
        label = piece.label
        labelled = label is not None and label.field == "scale"
        f: dict[str, float] = {"kind_" + k: float(kind == k) for k in SCALE_KINDS}
        f["labelled"] = float(labelled)
        f["lab_first"] = float(labelled and piece.cell_rank == 0)
        f["lab_other"] = float(label is not None and not labelled)
        f["partial"] = partial_flag
        f["repaired"] = float(changed)
        f.update(_position(piece.page_box, reading))
        f["size"] = _size(piece.height, reading)
        f["distinct"] = min(1.0, (len(keys) - 1) / 4)
        f["same"] = min(1.0, (keys[scale_key(text)] - 1) / 3)
        f["only_one"] = float(len(keys) == 1)
        f["view_title"] = float(_under_view_title(piece, reading))
        f["extra_words"] = min(1.0, max(0, len(piece.tokens) - 4) / 6)
        if number is not None:
            (x0, y0), (x1, y1) = piece.page_box.center, number.page_box.center
            f["has_number"] = 1.0
            f["near_number"] = max(0.0, 1.0 - math.hypot(x1 - x0, y1 - y0) / diag / 0.2)
        else:
            f["has_number"] = f["near_number"] = 0.0
        f.update(_cell_features(piece.page_box, reading, ""))
        out.append(Candidate("scale", mended, piece.page_box, piece.height, f))
    return out


def _under_view_title(piece: Piece, reading: PageReading) -> bool:
    """Whether a scale sits just under a view title (larger text naming a kind of drawing)."""
    pb = piece.box
    for other in _nearby(piece, reading, 8 * piece.height):
        if other is piece or other.frame is not piece.frame:
            continue
        ob = other.box
        if not (0 <= pb.top - ob.bottom <= 2.5 * max(other.height, piece.height)):
            continue
        if abs(ob.left - pb.left) > 3 * other.height and min(ob.right, pb.right) - max(ob.left, pb.left) <= 0:
            continue
        if other.height >= 1.05 * piece.height and _KIND.search(other.text):
            return True
    return False
