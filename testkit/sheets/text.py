"""How strings are put into a generated PDF: as text (a text layer) or as glyph outlines.

CAD programs often export SHX and other stroke fonts as vector paths: the
page shows the words but the PDF has no text for them, so only OCR reads
them. The "outline" mode draws each glyph of Bitstream Vera (which ships
inside reportlab) as a filled path, turned into reportlab path operations
with a fontTools pen. Further modes (text in CID fonts without a ToUnicode
map, say) are added with :func:`register_text_mode`; a spec names its mode
in ``text_mode`` / ``block_text_mode``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import reportlab
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import FILL_NON_ZERO, Canvas

VERA = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
VERA_BOLD = Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"


@dataclass(frozen=True)
class TextMode:
    """One way of putting a string on a page.

    ``draw(canvas, x, y, text, font, size)`` puts ``text`` with the left end
    of its baseline at (x, y) in the canvas's current coordinates; ``font``
    is one of reportlab's standard font names, which a mode may replace by
    its own face. ``width(text, font, size)`` is the advance width of what
    ``draw`` puts there, in points. ``page_class`` is the page kind the
    truth records for a PDF drawn this way.
    """

    name: str
    draw: Callable[[Canvas, float, float, str, str, float], None]
    width: Callable[[str, str, float], float]
    page_class: str


def _draw_text(canvas: Canvas, x: float, y: float, text: str, font: str, size: float) -> None:
    canvas.setFont(font, size)
    canvas.drawString(x, y, text)


def _is_bold(font: str) -> bool:
    return "Bold" in font


@cache
def _face(bold: bool):
    from fontTools.ttLib import TTFont

    font = TTFont(str(VERA_BOLD if bold else VERA))
    return font.getGlyphSet(), font.getBestCmap(), font["head"].unitsPerEm


@cache
def _glyph(bold: bool, char: str) -> tuple[float, tuple[tuple[str, tuple[float, ...]], ...]]:
    """A glyph's advance and its outline as path operations, in font units."""
    from fontTools.pens.basePen import BasePen

    glyphs, cmap, _ = _face(bold)
    glyph = glyphs[cmap.get(ord(char), ".notdef")]
    ops: list[tuple[str, tuple[float, ...]]] = []

    class Recorder(BasePen):
        # BasePen splits TrueType's quadratic segments into cubic ones for us.
        def _moveTo(self, pt):
            ops.append(("moveTo", pt))

        def _lineTo(self, pt):
            ops.append(("lineTo", pt))

        def _curveToOne(self, p1, p2, p3):
            ops.append(("curveTo", (*p1, *p2, *p3)))

        def _closePath(self):
            ops.append(("close", ()))

        _endPath = _closePath

    glyph.draw(Recorder(glyphs))
    return float(glyph.width), tuple(ops)


def outline_width(text: str, font: str, size: float) -> float:
    _, _, units = _face(_is_bold(font))
    return sum(_glyph(_is_bold(font), ch)[0] for ch in text) * size / units


def draw_outline(canvas: Canvas, x: float, y: float, text: str, font: str, size: float) -> None:
    """``text`` as filled Vera glyph outlines: visible, but no text in the PDF."""
    bold = _is_bold(font)
    _, _, units = _face(bold)
    k = size / units
    path = canvas.beginPath()
    advance = 0.0
    empty = True
    for ch in text:
        width, ops = _glyph(bold, ch)
        for op, args in ops:
            empty = False
            if op == "close":
                path.close()
                continue
            points = [x + (advance + args[i]) * k if i % 2 == 0 else y + args[i] * k for i in range(len(args))]
            getattr(path, op)(*points)
        advance += width
    if not empty:
        canvas.drawPath(path, stroke=0, fill=1, fillMode=FILL_NON_ZERO)


TEXT_MODES: dict[str, TextMode] = {
    "text": TextMode("text", _draw_text, stringWidth, "vector"),
    "outline": TextMode("outline", draw_outline, outline_width, "outline"),
}


# Modes other than "text" that ``write_set`` mixes in, sharing the share of sheets whose text is no text layer.
MIXED_MODES: list[str] = ["outline"]


def register_text_mode(mode: TextMode, *, mixed: bool = False) -> None:
    """Make ``mode`` usable as a spec's ``text_mode`` (a mode of the same name is replaced).

    With ``mixed``, generated sets also draw some of their sheets this way.
    """
    TEXT_MODES[mode.name] = mode
    if mixed and mode.name not in MIXED_MODES:
        MIXED_MODES.append(mode.name)


def text_mode(name: str) -> TextMode:
    try:
        return TEXT_MODES[name]
    except KeyError:
        raise ValueError(f"unknown text mode {name!r}; known: {', '.join(sorted(TEXT_MODES))}") from None
