"""PDFs drawn for tests with reportlab: vector pages with text, encrypted, empty (a raster one: testkit.pages.raster_pdf)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfgen import canvas

LANDSCAPE_LETTER = landscape(letter)


def text_pdf(pages: Sequence[Sequence[str]], size=LANDSCAPE_LETTER, encrypt: str | None = None) -> bytes:
    """One page per entry, each line of text drawn large enough to OCR; a real text layer."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=size, encrypt=encrypt)
    width, height = size
    for lines in pages:
        y = height - 72
        for line in lines:
            c.setFont("Helvetica-Bold", 24)
            c.drawString(72, y, line)
            y -= 40
        c.rect(width - 300, 20, 280, 120)
        c.showPage()
    c.save()
    return out.getvalue()


def zero_page_pdf() -> bytes:
    """A syntactically complete PDF whose page tree is empty."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
