"""A pen that draws in top-down page coordinates on a reportlab canvas, through a text mode."""

from __future__ import annotations

from reportlab.pdfgen import canvas as rl_canvas

from testkit.sheets.text import TEXT_MODES, TextMode


class Pen:
    """Draws in top-down coordinates on a reportlab canvas, optionally inside a rotated strip.

    Strings go through ``mode`` (real text, glyph outlines, ...); lines,
    rectangles and circles are plain vector paths.
    """

    def __init__(self, canvas: rl_canvas.Canvas, flip: float, mode: TextMode | None = None):
        self.c = canvas
        self.flip = flip
        self.mode = mode or TEXT_MODES["text"]

    def _y(self, y: float) -> float:
        return self.flip - y

    def text(self, x: float, baseline: float, text: str, font: str, size: float, align: str = "left") -> None:
        if not text:
            return
        if align == "center":
            x -= self.width(text, font, size) / 2
        elif align == "right":
            x -= self.width(text, font, size)
        self.mode.draw(self.c, x, self._y(baseline), text, font, size)

    def rect(self, x: float, y: float, w: float, h: float, width: float = 0.8) -> None:
        self.c.setLineWidth(width)
        self.c.rect(x, self._y(y + h), w, h, stroke=1, fill=0)

    def fill_rect(self, x: float, y: float, w: float, h: float, grey: float = 0.0) -> None:
        self.c.saveState()
        self.c.setFillGray(grey)
        self.c.rect(x, self._y(y + h), w, h, stroke=0, fill=1)
        self.c.restoreState()

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.6) -> None:
        self.c.setLineWidth(width)
        self.c.line(x0, self._y(y0), x1, self._y(y1))

    def dashed(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.4) -> None:
        self.c.saveState()
        self.c.setDash([8, 3, 2, 3])
        self.line(x0, y0, x1, y1, width)
        self.c.restoreState()

    def circle(self, x: float, y: float, r: float, width: float = 0.7) -> None:
        self.c.setLineWidth(width)
        self.c.circle(x, self._y(y), r, stroke=1, fill=0)

    def width(self, text: str, font: str, size: float) -> float:
        return self.mode.width(text, font, size)

    def fit(self, text: str, font: str, size: float, room: float, smallest: float = 4.0) -> float:
        """The largest size up to ``size`` at which ``text`` fits in ``room`` points."""
        while size > smallest and self.width(text, font, size) > room:
            size -= 0.5
        return size
