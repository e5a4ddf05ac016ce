"""The PDF's own text layer as a text source: exact words and positions, no OCR.

Upload stores each PDF page's text-layer words, with the page's ruling lines
(``layer_to_json``); at
processing time the pipeline asks :func:`assess` whether they can be trusted
and, if so, builds the page's result with :func:`result_from_words`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence

from planocr.core.lines import group_words
from planocr.core.page import Box, OcrResult, Word
from planocr.core.records import TextSource


def layer_to_json(words: Sequence[Word], rules: Sequence[Sequence[int]] | None = None) -> bytes:
    """A page's text layer, and the ruling lines found when it was rendered (``[x0, y0, x1, y1, thickness]``)."""
    data = {"words": [[w.text, *w.box.to_list(), w.angle] for w in words]}
    if rules is not None:
        data["rules"] = [list(r) for r in rules]
    return json.dumps(data, separators=(",", ":")).encode()


def layer_from_json(data: bytes) -> tuple[list[Word], list[list[int]] | None]:
    """The words and rules :func:`layer_to_json` stored (a bare list of words, as older uploads have, too)."""
    parsed = json.loads(data)
    rows, rules = (parsed, None) if isinstance(parsed, list) else (parsed.get("words", []), parsed.get("rules"))
    return [Word(text, Box(x, y, w, h), 1.0, angle) for text, x, y, w, h, angle in rows], rules


def words_to_json(words: Sequence[Word]) -> bytes:
    return layer_to_json(words)


def words_from_json(data: bytes) -> list[Word]:
    return layer_from_json(data)[0]


# pdfminer-style placeholders for glyphs without a Unicode mapping.
_CID = re.compile(r"\(cid:\d+\)")
_UNMAPPED_CATEGORIES = {"Co", "Cn", "Cs", "Cc"}

#: Share of characters without a Unicode mapping above which a layer is glyph soup.
MAX_UNMAPPED = 0.10
#: Share of letters and digits below which a layer is mostly symbols (a symbol font, dingbats).
MIN_READABLE = 0.5
#: Fewer letters and digits than this and there is nothing worth trusting.
MIN_CHARS = 3


def _unmapped(ch: str) -> bool:
    return ch == "\ufffd" or unicodedata.category(ch) in _UNMAPPED_CATEGORIES


def assess(words: Sequence[Word], width: int, height: int) -> tuple[bool, str]:
    """Whether the text layer is usable, and why not when it is not.

    Refused: no words; glyph soup (characters neither PDFium nor the
    embedded font program maps to Unicode, see :mod:`planocr.media.pdffonts`;
    private-use code points, ``(cid:N)`` placeholders); a layer that
    is mostly punctuation and symbols; a layer whose words lie outside the
    page. Invisible text (the OCR layer of a searchable scan) is accepted:
    it is what a reader would copy.
    """
    if not words:
        return False, "no text layer"
    text = "".join(w.text for w in words)
    placeholders = _CID.findall(text)
    text = _CID.sub("", text)
    total = len(text) + len(placeholders)
    unmapped = sum(_unmapped(ch) for ch in text) + len(placeholders)
    if unmapped > MAX_UNMAPPED * total:
        return False, f"glyph soup: {unmapped} of {total} characters have no Unicode mapping"
    readable = sum(ch.isalnum() for ch in text)
    if readable < MIN_READABLE * total:
        return False, f"text layer is mostly symbols ({readable} of {total} characters are letters or digits)"
    if readable < MIN_CHARS:
        return False, f"text layer has only {readable} letters or digits"
    inside = sum(
        1 for w in words if w.box.right > 0 and w.box.bottom > 0 and w.box.left < width and w.box.top < height
    )
    if inside < 0.5 * len(words):
        return False, f"{len(words) - inside} of {len(words)} text-layer words lie outside the page"
    return True, ""


def result_from_words(words: Sequence[Word], width: int, height: int) -> OcrResult:
    """The page's result from its text-layer words, grouped into lines (vertical ones too)."""
    return OcrResult(width=width, height=height, lines=group_words(words), engine="", text_source=TextSource.TEXT_LAYER)


def complete_with_words(layer: OcrResult, words: Sequence[Word], engine: str, min_confidence: float = 0.6) -> OcrResult | None:
    """The text layer plus the OCR ``words`` (in the layer's frame) where it has none; None when none are added.

    Text-layer words are exact, so they are never replaced; OCR words are
    added only where no layer word is (text drawn as outlines or in an image).
    """
    base = layer.words
    added = [
        w for w in words
        if w.confidence >= min_confidence and not any(w.box.overlap(b.box) > 0.3 for b in base)
    ]
    if not added:
        return None
    lines = group_words([*base, *added])
    return OcrResult(width=layer.width, height=layer.height, lines=lines, engine=engine, text_source=TextSource.TEXT_LAYER_AND_OCR)
