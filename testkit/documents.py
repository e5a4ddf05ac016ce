"""Small multi-page documents whose pages the counting engine tells apart by their width."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

#: The height of every page of :func:`tiff_document`.
PAGE_HEIGHT = 100


def page_width(number: int) -> int:
    """The width of page ``number`` (from 1): every page has its own, so the engine log names the page it read."""
    return 200 + number


def page_number(width: int) -> int:
    """The page of :func:`tiff_document` that is ``width`` pixels wide."""
    return width - 200


def tiff_document(pages: int) -> bytes:
    """A multi-page TIFF: small pages with no text layer, so every page goes to the engine."""
    frames = []
    for number in range(1, pages + 1):
        image = Image.new("L", (page_width(number), PAGE_HEIGHT), 255)
        ImageDraw.Draw(image).text((5, 5), f"P{number}", fill=0)
        frames.append(image)
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], dpi=(150, 150))
    return out.getvalue()
