"""Small drawn pages for core tests: text at known places on a white sheet."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont


def draw_page(texts: Sequence[tuple[str, int, int, int]], size: tuple[int, int] = (1700, 1100), fmt: str = "PNG") -> bytes:
    """An image with each (text, x, y, font_px) drawn in black; returned encoded as ``fmt``."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for text, x, y, px in texts:
        draw.text((x, y), text, font=ImageFont.load_default(size=px), fill=0)
    draw.rectangle((size[0] - 560, size[1] - 300, size[0] - 20, size[1] - 20), outline=0, width=3)
    out = io.BytesIO()
    image.save(out, format=fmt, dpi=(150, 150))
    return out.getvalue()


def sheet(number: str = "A-101", title: str = "FIRST FLOOR PLAN", scale: str = "1/4\" = 1'-0\"", size=(1700, 1100)) -> bytes:
    """A sheet with a title block in the bottom-right corner."""
    w, h = size
    return draw_page(
        [
            ("GENERAL NOTES: VERIFY ALL DIMENSIONS IN FIELD", 80, 80, 28),
            ("SHEET TITLE", w - 540, h - 290, 18),
            (title, w - 540, h - 260, 30),
            (f"SCALE: {scale}", w - 540, h - 200, 24),
            ("SHEET NO.", w - 540, h - 150, 18),
            (number, w - 540, h - 120, 64),
        ],
        size,
    )
