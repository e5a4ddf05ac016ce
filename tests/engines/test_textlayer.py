"""The PDF text layer: words and boxes from PDFium, and when to trust them instead of OCR."""

from __future__ import annotations

import io

import pytest
from PIL import ImageStat

from planocr.core.page import Box, Word
from planocr.media import pdf, textlayer
from testkit import pages

DPI = 72
SHEET = pages.drawing_sheet(17, 11)


def render(data: bytes, dpi: int = DPI) -> list[pdf.RenderedPage]:
    return list(pdf.render_pages(data, dpi, 50_000_000))


def texts(words: list[Word]) -> list[str]:
    return [w.text for w in words]


@pytest.fixture(scope="module")
def upright() -> pdf.RenderedPage:
    (page,) = render(pages.vector_pdf(SHEET))
    return page


def test_vector_pdf_uses_the_text_layer(upright):
    ok, why = textlayer.assess(upright.words, *upright.image.size)
    assert ok, why
    result = textlayer.result_from_words(upright.words, *upright.image.size)
    assert result.text_source == "text-layer"
    for text in SHEET.strings:
        assert text in result.text


def test_words_are_boxed_on_their_ink(upright):
    image = upright.image
    for word in upright.words:
        b = word.box
        assert 0 <= b.left < b.right <= image.width and 0 <= b.top < b.bottom <= image.height
        mean = ImageStat.Stat(image.crop((b.left, b.top, b.right, b.bottom))).mean[0]
        assert mean < 235, f"no ink under {word}"
    a101 = next(w for w in upright.words if w.text == "A-101")
    # the sheet number is 40 pt: its box is about as tall at 72 DPI
    assert 35 <= a101.box.height <= 60


def test_vertical_text_has_its_angle(upright):
    vertical = [w for w in upright.words if w.angle]
    assert texts(vertical) == ["PROJECT", "NO", "2024-118"]
    assert {w.angle for w in vertical} == {90}
    assert all(w.box.height > w.box.width for w in vertical)


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotated_page_with_offset_media_box_gives_the_same_boxes(upright, rotate):
    (page,) = render(pages.vector_pdf(SHEET, rotate=rotate, origin=(150.0, -40.0)))
    assert page.image.size == (upright.image.size if rotate == 180 else upright.image.size[::-1])
    # PDFium lists the words in the rotated page's reading order: compare them placed.
    back = sorted(
        ((w.box.from_rotated(rotate, upright.image.size), w.text, (w.angle + rotate) % 360) for w in page.words),
        key=lambda item: (item[0].top, item[0].left),
    )
    want = sorted(((w.box, w.text, w.angle) for w in upright.words), key=lambda item: (item[0].top, item[0].left))
    assert [t for _, t, _ in back] == [t for _, t, _ in want]
    for (box, text, angle), (want_box, _, want_angle) in zip(back, want, strict=True):
        assert max(abs(a - b) for a, b in zip(box.to_list(), want_box.to_list(), strict=True)) <= 1, (text, box, want_box)
        assert angle == want_angle


def test_wide_gap_splits_a_word():
    sheet = pages.Sheet(
        8.5,
        11,
        (
            pages.Text("ROOM", 1.0, 1.0, 12),
            # drawn right after ROOM with no space character, but far away
            pages.Text("101", 1.0 + pages.text_width("ROOM", 12) + 0.3, 1.0, 12),
            pages.Text("A-101", 1.0, 2.0, 12),
        ),
    )
    (page,) = render(pages.vector_pdf(sheet))
    assert texts(page.words) == ["ROOM", "101", "A-101"]


def test_outline_text_has_no_layer_and_falls_back_to_ocr():
    (page,) = render(pages.outline_pdf(SHEET))
    assert ImageStat.Stat(page.image).mean[0] < 254  # the text is drawn ...
    assert page.words == []  # ... but not as text
    assert textlayer.assess(page.words, *page.image.size) == (False, "no text layer")


def test_raster_pdf_falls_back_to_ocr():
    scan = pages.degrade(pages.render_image(SHEET, 100))
    (page,) = render(pages.raster_pdf(scan, 100))
    ok, why = textlayer.assess(page.words, *page.image.size)
    assert not ok and why == "no text layer"


def test_symbol_font_text_falls_back_to_ocr():
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792))
    c.setFont("ZapfDingbats", 14)
    c.drawString(72, 700, "A-101 FIRST FLOOR PLAN SCALE 1/4")
    c.save()
    (page,) = render(buf.getvalue())
    assert page.words
    ok, why = textlayer.assess(page.words, *page.image.size)
    assert not ok and "symbols" in why


def test_invisible_text_of_a_searchable_scan_is_used():
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    scan = pages.render_image(SHEET, 50)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(SHEET.width * 72, SHEET.height * 72))
    c.drawImage(ImageReader(scan), 0, 0, width=SHEET.width * 72, height=SHEET.height * 72)
    text = c.beginText(72, 72)
    text.setTextRenderMode(3)  # invisible, as OCR tools write it over the scan
    text.setFont("Helvetica", 12)
    text.textLine("A-101 FIRST FLOOR PLAN")
    c.drawText(text)
    c.save()
    (page,) = render(buf.getvalue())
    assert texts(page.words) == ["A-101", "FIRST", "FLOOR", "PLAN"]
    assert textlayer.assess(page.words, *page.image.size) == (True, "")


def _words(*texts_: str) -> list[Word]:
    return [Word(t, Box(10 + 60 * i, 10, 50, 12)) for i, t in enumerate(texts_)]


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        ([], "no text layer"),
        (_words("\ufffd\ufffd\ufffd", "\ufffd\ufffdA"), "glyph soup"),
        (_words("\ue001\ue002\ue003", "PLAN", "\ue004\ue005"), "glyph soup"),
        (_words("(cid:12)(cid:40)(cid:7)", "(cid:3)(cid:9)"), "glyph soup"),
        (_words("--", "..", "|", "A-1", "//", "**"), "mostly symbols"),
        (_words("A", "1"), "only 2 letters"),
        ([Word("FIRST", Box(5000, 10, 50, 12)), Word("FLOOR", Box(5000, 40, 50, 12))], "outside the page"),
    ],
)
def test_unusable_layers(words, reason):
    ok, why = textlayer.assess(words, 1000, 800)
    assert not ok
    assert reason in why


def test_usable_layers():
    assert textlayer.assess(_words("A-101", "FIRST", "FLOOR", "PLAN", "1/4\"", "=", "1'-0\""), 1000, 800) == (True, "")
    # a few unmapped characters among many good ones are tolerated
    assert textlayer.assess(_words("GENERAL", "NOTES", "\ufffd", "VERIFY", "ALL", "DIMENSIONS"), 1000, 800)[0]


def test_words_round_trip_through_json(upright):
    again = textlayer.words_from_json(textlayer.words_to_json(upright.words))
    assert [(w.text, w.box, w.angle) for w in again] == [(w.text, w.box, w.angle) for w in upright.words]
