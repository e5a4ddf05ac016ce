"""Text layers in fonts without a Unicode map: read from the embedded font programs."""

from __future__ import annotations

import random
import time

import pypdfium2.raw as pdfium_c
import pytest

from planocr.core.page import Word
from planocr.media import pdf, pdffonts, textlayer
from testkit import pages
from testkit.cidpdf import EmbeddedFont, cid_pdf, reportlab_truetype_pdf, sheet_pdf
from testkit.sheets import PAGE_SIZES, SheetSpec

DPI = 72
PAGE = (612.0, 792.0)
# What CAD sheets print: upright, vertical both ways, slanted, and characters outside ASCII.
TEXTS = [
    ("A-101 FIRST FLOOR PLAN", 72, 700, 12, 0),
    ("SCALE: 1/4\" = 1'-0\"", 72, 660, 10, 0),
    ("PROJECT NO. 2024-118", 560, 300, 9, 90),
    ("DETAIL 3", 40, 500, 9, 270),
    ("Größe Ø12 ±0.00 30°", 72, 600, 11, 0),
    ("SLOPE", 300, 400, 10, 30),
]
WORDS = ["A-101", "FIRST", "FLOOR", "PLAN", "SCALE:", "1/4\"", "=", "1'-0\"", "PROJECT", "NO.", "2024-118",
         "DETAIL", "3", "Größe", "Ø12", "±0.00", "30°", "SLOPE"]


def read(data: bytes, dpi: int = DPI) -> pdf.RenderedPage:
    (page,) = pdf.render_pages(data, dpi, 50_000_000)
    return page


def placed(words: list[Word]) -> list[tuple[str, list[int], int]]:
    return [(w.text, w.box.to_list(), w.angle) for w in words]


def flagged(data: bytes) -> tuple[int, int]:
    """(characters PDFium could not map, characters drawn) on the first page; PDFium's own
    spaces and line breaks between text objects are not counted."""
    with pdf.PDFIUM_LOCK, pdf.open_pdf(data) as document:
        page = document[0]
        textpage = page.get_textpage()
        try:
            drawn = [i for i in range(pdfium_c.FPDFText_CountChars(textpage.raw))
                     if pdfium_c.FPDFText_IsGenerated(textpage.raw, i) != 1]
            count = len(drawn)
            bad = sum(pdfium_c.FPDFText_HasUnicodeMapError(textpage.raw, i) == 1 for i in drawn)
        finally:
            textpage.close()
            page.close()
    return bad, count


FONTS = {
    "type0-cmap": EmbeddedFont(),
    "type0-names-only": EmbeddedFont(cmap=False, glyph_names=True),
    "type0-bold": EmbeddedFont(bold=True),
    "simple-cmap": EmbeddedFont(simple=True),
    "simple-names-only": EmbeddedFont(simple=True, cmap=False, glyph_names=True),
    "type0-short-hmtx": EmbeddedFont(short_hmtx=True),
    "simple-short-hmtx": EmbeddedFont(simple=True, short_hmtx=True),
    "type0-opentype-cff": EmbeddedFont(cff="opentype"),
    "type0-opentype-cff-names-only": EmbeddedFont(cff="opentype", cmap=False),
    "type0-bare-cff": EmbeddedFont(cff="bare"),
}


@pytest.mark.parametrize("font", FONTS.values(), ids=FONTS.keys())
def test_text_without_unicode_map_reads_like_the_same_file_with_one(font):
    texts = TEXTS if not font.simple else TEXTS[:1] + TEXTS[2:4]  # a simple font holds 31 characters
    bare = cid_pdf(texts, PAGE, font=font)
    mapped = cid_pdf(texts, PAGE, font=font, to_unicode=True)
    bad, count = flagged(bare)
    assert bad == count > 0, "PDFium maps this font by itself: the fixture tests nothing"
    assert flagged(mapped)[0] == 0

    page, want = read(bare), read(mapped)
    assert placed(page.words) == placed(want.words)
    expected = WORDS if not font.simple else ["A-101", "FIRST", "FLOOR", "PLAN", "PROJECT", "NO.", "2024-118", "DETAIL", "3"]
    assert [w.text for w in page.words] == expected
    assert textlayer.assess(page.words, *page.image.size) == (True, "")


def test_recovered_words_are_placed_and_turned_as_drawn():
    page = read(cid_pdf(TEXTS, PAGE))
    by_text = {w.text: w for w in page.words}
    a101 = by_text["A-101"].box
    # drawn from (72, 700) pt on a 792 pt page at 12 pt: the box spans the font's ascent and
    # descent around the baseline at y = 92 px
    assert abs(a101.left - 72) <= 1 and a101.top < 92 < a101.bottom and 10 <= a101.height <= 15
    assert {by_text[t].angle for t in ("PROJECT", "NO.", "2024-118")} == {90}
    assert by_text["2024-118"].box.height > by_text["2024-118"].box.width
    assert by_text["DETAIL"].angle == 270
    # reads top to bottom: DETAIL is above 3
    assert by_text["DETAIL"].box.top < by_text["3"].box.top


def test_text_under_a_scaling_transform_is_recovered():
    # AutoCAD plots draw in a frame scaled by 0.24 with large font sizes
    texts = [("A-101 FIRST FLOOR PLAN", 300, 2900, 50, 0), ("DETAIL 3", 2300, 1500, 40, 90)]
    ctm = (0.24, 0.0, 0.0, 0.24, 0.0, 0.0)
    page = read(cid_pdf(texts, PAGE, ctm=ctm))
    assert placed(page.words) == placed(read(cid_pdf(texts, PAGE, ctm=ctm, to_unicode=True)).words)
    assert [w.text for w in page.words] == ["A-101", "FIRST", "FLOOR", "PLAN", "DETAIL", "3"]


@pytest.mark.parametrize("font", [EmbeddedFont(cmap=False), EmbeddedFont(simple=True, cmap=False)], ids=["type0", "simple"])
def test_font_without_cmap_or_names_stays_glyph_soup(font):
    page = read(cid_pdf(TEXTS[:4], PAGE, font=font))
    assert page.words
    assert all(set(w.text) == {"\ufffd"} for w in page.words)
    ok, why = textlayer.assess(page.words, *page.image.size)
    assert not ok and "glyph soup" in why


def _chars(data: bytes) -> tuple[dict[int, str], list[str]]:
    """The first page's recovered characters by index, and what PDFium maps each character to."""
    with pdf.PDFIUM_LOCK, pdf.open_pdf(data) as document:
        page = document[0]
        textpage = page.get_textpage()
        try:
            count = pdfium_c.FPDFText_CountChars(textpage.raw)
            return pdffonts.recover_unmapped(textpage.raw), [chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i)) for i in range(count)]
        finally:
            textpage.close()
            page.close()


def test_a_glyph_that_does_not_fit_its_box_is_not_guessed():
    """CIDs mapped to glyphs by a CIDToGIDMap stream: read as glyph ids they would give wrong letters."""
    texts = TEXTS[:2]
    shuffled = EmbeddedFont(shuffled=True)
    recovered, _ = _chars(cid_pdf(texts, PAGE, font=shuffled))
    _, want = _chars(cid_pdf(texts, PAGE, font=shuffled, to_unicode=True))
    assert "".join(want).startswith("A-101 FIRST")  # the fixture draws the right glyphs
    assert recovered and set(recovered) <= set(range(len(want)))
    # Read as glyph ids, almost no glyph fits its box (the middle one, which the reversed map
    # sends to itself, does): a reading that explains so little is not trusted at all.
    assert set(recovered.values()) == {"\ufffd"}
    page = read(cid_pdf(texts, PAGE, font=shuffled))
    assert not textlayer.assess(page.words, *page.image.size)[0]


def test_reportlab_subset_without_tounicode():
    """reportlab keeps ASCII at its own codes (PDFium maps those) and has no names for the rest."""
    texts = [("A-101 FIRST FLOOR PLAN", 72, 500, 12, 0), ("Größe 30°", 72, 450, 12, 0), ("NOTES", 500, 200, 10, 90)]
    bare = read(reportlab_truetype_pdf(texts))
    want = read(reportlab_truetype_pdf(texts, to_unicode=True))
    assert [w.text for w in want.words] == ["A-101", "FIRST", "FLOOR", "PLAN", "Größe", "30°", "NOTES"]
    assert [(w.box, w.angle) for w in bare.words] == [(w.box, w.angle) for w in want.words]
    # nothing in the program says what the non-ASCII glyphs are: they stay unmapped, never guessed
    assert [w.text for w in bare.words] == ["A-101", "FIRST", "FLOOR", "PLAN", "Gr\ufffd\ufffde", "30\ufffd", "NOTES"]
    assert textlayer.assess(bare.words, *bare.image.size) == (True, "")


def test_pages_with_a_unicode_map_are_untouched():
    data = pages.vector_pdf(pages.drawing_sheet(17, 11))
    assert flagged(data)[0] == 0
    with pdf.PDFIUM_LOCK, pdf.open_pdf(data) as document:
        page = document[0]
        textpage = page.get_textpage()
        try:
            assert pdffonts.recover_unmapped(textpage.raw) == {}
        finally:
            textpage.close()
            page.close()


def test_whole_generated_sheet_in_such_a_font():
    spec = SheetSpec(layout="right-rotated", page_size=PAGE_SIZES["ANSI D"], seed=5)
    bare = read(sheet_pdf(spec), 100)
    want = read(sheet_pdf(spec, to_unicode=True), 100)
    assert flagged(sheet_pdf(spec))[0] > 300
    assert placed(bare.words) == placed(want.words)
    assert "A-101" in {w.text for w in bare.words}


def test_read_program():
    data = cid_pdf([("PLAN 1/4\"", 72, 700, 12, 0)], PAGE)
    with pdf.PDFIUM_LOCK, pdf.open_pdf(data) as document:
        page = document[0]
        textpage = page.get_textpage()
        try:
            font = pdfium_c.FPDFTextObj_GetFont(pdfium_c.FPDFText_GetTextObject(textpage.raw, 0))
            program_bytes = pdffonts._font_data(font)
        finally:
            textpage.close()
            page.close()
    program = pdffonts.read_program(program_bytes)
    assert program is not None
    assert sorted(program.text.values()) == sorted(set("PLAN 1/4\""))
    assert program.units_per_em == 2048
    assert pdffonts.read_program(b"\x00\x01\x00\x00" + b"\x00" * 40) is None  # a damaged program
    assert pdffonts.read_program(b"%!PS-AdobeFont-1.0") is None  # Type 1: PDFium reads its names itself


def test_a_large_sheet_is_fast():
    """An A0 plan with 14,000 characters in such a font (the figure is printed, not asserted)."""
    rng = random.Random(7)
    vocabulary = ["WALL", "DOOR", "A-101", "2'-6\"", "CONC.", "SLAB", "TYP.", "Ø12", "±0.00", "NOTE", "W12x26", "101"]
    texts, count = [], 0
    while count < 14_000:
        text = " ".join(rng.choice(vocabulary) for _ in range(3))
        texts.append((text, rng.uniform(20, 3100), rng.uniform(20, 2350), rng.choice([6, 8, 10]), rng.choice([0, 0, 90])))
        count += len(text.replace(" ", ""))
    data = cid_pdf(texts, (3370.0, 2384.0))
    mapped = cid_pdf(texts, (3370.0, 2384.0), to_unicode=True)
    timings = {}
    for name, pdf_bytes in (("without map", data), ("with map", mapped)):
        with pdf.PDFIUM_LOCK, pdf.open_pdf(pdf_bytes) as document:
            page = document[0]
            start = time.perf_counter()
            words = pdf.text_layer_words(page, 150 / 72)
            timings[name] = time.perf_counter() - start
            page.close()
        timings[name + " chars"] = sum(len(w.text) for w in words)
        assert "\ufffd" not in "".join(w.text for w in words)
    print(f"\n14,000-character A0 page: {timings['without map']:.2f} s without a Unicode map, "
          f"{timings['with map']:.2f} s with one ({timings['without map chars']} characters)")
    assert timings["without map chars"] == timings["with map chars"] >= 14_000
