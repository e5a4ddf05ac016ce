"""Synthetic OCR lines with boxes, laid out like real title blocks, for parser tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from planocr.core.page import Box, Line, Word

CHAR = 0.6  # glyph width per text height
SPACE = 0.35


@dataclass
class Page:
    """A page being laid out: add text at positions in page pixels (origin top left)."""

    width: int = 3600
    height: int = 2400
    lines: list[Line] = field(default_factory=list)

    def text(self, x: float, y: float, text: str, h: float = 14, angle: int = 0, confidence: float = 0.95) -> Page:
        """Put ``text`` with its top-left reading corner at (x, y) in the frame where it reads left to right.

        For ``angle`` 90 the text runs bottom to top along the right edge:
        (x, y) are then measured in the page turned clockwise (x along the
        page from the bottom, y from the left), as the parser's frames do.
        """
        words = []
        cursor = x
        for token in text.split():
            w = len(token) * CHAR * h
            box = Box(round(cursor), round(y), round(w), round(h))
            words.append(Word(token, self._to_page(box, angle), confidence, angle))
            cursor += w + SPACE * h
        self.lines.append(Line(tuple(words)))
        return self

    def _to_page(self, box: Box, angle: int) -> Box:
        if angle == 90:
            return Box(box.top, self.height - box.right, box.height, box.width)
        if angle == 270:
            return Box(self.width - box.bottom, box.left, box.height, box.width)
        return box

    def labelled(self, x: float, y: float, label: str, value: str, value_h: float = 18, label_h: float = 9, angle: int = 0) -> Page:
        """A cell: a small label with its value under it."""
        self.text(x, y, label, label_h, angle)
        return self.text(x, y + label_h * 1.8, value, value_h, angle)


def drawing_noise(page: Page) -> Page:
    """What the drawing area of a sheet holds: grid bubbles, room tags, a view title, notes, a callout."""
    for i, mark in enumerate("12345"):
        page.text(300 + i * 500, 40, mark, 20)
    for i, mark in enumerate("ABCD"):
        page.text(30, 300 + i * 400, mark, 20)
    page.text(800, 700, "OFFICE", 12).text(810, 716, "104", 12)
    page.text(1200, 900, "FLOOR PLAN", 22).text(1200, 930, 'SCALE: 1/8" = 1\'-0"', 12)
    page.text(1700, 400, "1. SEE 3/A-501 FOR TYPICAL WALL DETAILS.", 11)
    page.text(1700, 420, "2. REFER TO SHEET S-201 FOR FRAMING.", 11)
    # a detail callout: 5 over A-502 in a bubble
    page.text(2000, 1200, "5", 12).text(1985, 1216, "A-502", 10)
    return page


def corner_block(number: str, title: list[str] | str = "FIRST FLOOR PLAN", scale: str = '1/4" = 1\'-0"',
                 number_label: str | None = "SHEET NO.", page: Page | None = None, number_h: float = 48) -> Page:
    """A US title block in the bottom-right corner, with the drawing-area noise."""
    page = drawing_noise(page or Page())
    x0, y0 = 2300, 1950
    page.text(x0, y0, "NORTHWIND ARCHITECTS LLC", 16).text(x0, y0 + 22, "123 MAIN STREET, SUITE 400", 10)
    page.labelled(x0, y0 + 80, "PROJECT", "RIVERSIDE MEDICAL OFFICE BUILDING", 16)
    page.labelled(x0, y0 + 150, "PROJECT NO.", "2023-014", 14)
    page.labelled(x0 + 250, y0 + 150, "DATE", "05/22/2024", 14)
    page.labelled(x0, y0 + 210, "DRAWN BY", "JD", 14)
    page.labelled(x0 + 250, y0 + 210, "CHECKED BY", "MK", 14)
    page.labelled(x0 + 500, y0 + 210, "REV", "2", 14)
    if scale:
        page.labelled(x0 + 500, y0 + 150, "SCALE", scale, 14)
    lines = [title] if isinstance(title, str) else title
    page.text(x0 + 380, y0, "SHEET TITLE", 9)
    for i, line in enumerate(lines):
        page.text(x0 + 380, y0 + 18 + i * 26, line, 20)
    if number_label:
        page.text(x0 + 900, y0, number_label, 9)
    page.text(x0 + 920, y0 + 30, number, number_h)
    return page


def words_of(page: Page) -> list[str]:
    return [w.text for line in page.lines for w in line.words]
