"""The PDF's own text layer as a text source: exact words and positions, no OCR.

Upload stores each PDF page's text-layer words (``words_to_json``); at
processing time the pipeline asks :func:`assess` whether they can be trusted
and, if so, builds the page's result with :func:`result_from_words`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from planocr.engines.base import Box, OcrResult, Word, group_lines

TEXT_SOURCE = "text-layer"


def words_to_json(words: Sequence[Word]) -> bytes:
    return json.dumps([[w.text, *w.box.to_list(), w.angle] for w in words], separators=(",", ":")).encode()


def words_from_json(data: bytes) -> list[Word]:
    return [Word(text, Box(x, y, w, h), 1.0, angle) for text, x, y, w, h, angle in json.loads(data)]


def assess(words: Sequence[Word], width: int, height: int) -> tuple[bool, str]:
    """Whether the text layer is usable, and why not when it is not."""
    if not words:
        return False, "no text layer"
    chars = "".join(w.text for w in words)
    readable = sum(ch.isalnum() for ch in chars)
    if readable < 0.5 * len(chars):
        return False, "text layer is mostly symbols"
    return True, ""


def result_from_words(words: Sequence[Word], width: int, height: int) -> OcrResult:
    return OcrResult(width=width, height=height, lines=group_lines(words), engine="", text_source=TEXT_SOURCE)
