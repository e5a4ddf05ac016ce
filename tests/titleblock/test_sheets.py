"""The sheet generator: files and truth in the evaluation format, and sheets the parser reads back."""

from __future__ import annotations

import json
import random

import pytest

from planocr.media import pdf, textlayer
from planocr.titleblock import parse_title_block
from planocr.titleblock.scales import scale_key
from testkit import sheets


def _parse_vector(data: bytes, page: int = 0):
    rendered = list(pdf.render_pages(data, 100, 50_000_000))[page]
    ocr = textlayer.result_from_words(rendered.words, rendered.image.width, rendered.image.height)
    return parse_title_block(ocr.lines, ocr.width, ocr.height)


def test_write_set_makes_files_and_truth(tmp_path):
    truth = sheets.write_set(tmp_path, 8, seed=5)
    on_disk = json.loads((tmp_path / "truth.json").read_text())
    assert on_disk == truth
    assert len(truth["sheets"]) == 8
    for sheet in truth["sheets"]:
        assert set(sheet) >= {"file", "page", "sheet_number", "title", "scale"}
        assert (tmp_path / sheet["file"]).stat().st_size > 1000
        assert sheet["scale"] is None or isinstance(sheet["scale"], list)


def test_same_seed_same_set(tmp_path):
    a = sheets.write_set(tmp_path / "a", 4, seed=9)
    b = sheets.write_set(tmp_path / "b", 4, seed=9)
    assert a == b


@pytest.mark.parametrize("layout", ["corner", "right", "right-rotated", "bottom", "left"])
@pytest.mark.parametrize("language", ["en", "de"])
def test_parser_reads_generated_vector_sheets(layout, language):
    spec = sheets.random_spec(random.Random(len(layout) * 7 + len(language)), 1, layout=layout, language=language)
    result = _parse_vector(sheets.draw_pdf(spec))
    assert result.value("sheet_number") == spec.sheet_number
    assert result.value("sheet_title").upper() == spec.truth_title().upper()
    if spec.scale_truth:
        assert scale_key(result.value("scale")) in {scale_key(s) for s in spec.scale_truth}


def test_degraded_raster_keeps_size_and_mode():
    spec = sheets.random_spec(random.Random(4), 1, layout="corner")
    image = sheets.sheet_image(spec, dpi=50)
    worse = sheets.degrade(image, random.Random(1))
    assert worse.size == image.size and worse.mode == "L"
    assert worse.tobytes() != image.tobytes()


@pytest.mark.slow
def test_ocr_reads_a_clean_raster_sheet():
    from planocr.engines.registry import EngineRegistry

    spec = sheets.random_spec(random.Random(11), 1, layout="corner", language="en")
    spec = sheets.replace(spec, page_size=sheets.PAGE_SIZES["ANSI B"], number_size=22, sheet_number="A-201")
    image = sheets.sheet_image(spec, dpi=150)
    engine = EngineRegistry("tesseract").get()
    ocr = engine.recognize(image, dpi=150)
    result = parse_title_block(ocr.lines, ocr.width, ocr.height)
    assert result.value("sheet_number") == "A-201"
    assert result.value("sheet_title").upper() == spec.truth_title().upper()


# --- the kinds of sheet beyond the classic ones: drawn as their truth says, whatever the parser reads ---

_KIND_CLASS = {
    "labelled": "classic", "label-free": "label-free", "multi-line": "multi-line-title", "cover": "cover-sheet",
    "no-number": "no-number", "civil": "bubble-number", "number-in-title": "number-in-title",
    "date-near-number": "date-near-number", "view-scale": "view-scale", "drawing-list": "drawing-list",
    "spec-page": "spec-page", "map": "map-page",
}


def _pdf_text(data: bytes, page: int = 0) -> str:
    """The PDF's text layer on one page, whitespace runs made single spaces."""
    import pypdfium2 as pdfium

    with pdf.PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            text = document[page].get_textpage().get_text_range()
        finally:
            document.close()
    return " ".join(text.split())


def _dark(image, box=None) -> int:
    """Dark pixels in ``image`` (or the part of it in ``box``)."""
    part = image.crop(box) if box else image
    return sum(part.convert("L").point(lambda v: 255 if v < 128 else 0).histogram()[255:])


@pytest.mark.parametrize("kind", sheets.KINDS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_kind_draws_what_its_truth_records(kind, seed):
    spec = sheets.random_spec(random.Random(seed * 101 + len(kind)), seed, kind=kind)
    data = sheets.draw_pdf(spec)
    text = _pdf_text(data)
    classes = sheets.sheet_classes(spec, "vector")
    assert classes[0] == "vector" and classes[2] == spec.language
    assert classes[1] == ("none" if not spec.has_block else "labelled" if spec.block_style == "labelled" else "label-free")
    if kind == "foreign":
        assert spec.language in ("it", "fr", "es", "nl")
    else:
        assert _KIND_CLASS[kind] in classes
    if not spec.has_block:
        assert (spec.sheet_number, spec.truth_title(), spec.scale_truth) == ("", "", [] if kind != "labelled" else None)
        assert len(text) > (30 if kind == "map" else 200)  # street names, a table or prose: not an empty page
        return
    for line in spec.title:  # each line as drawn; the truth joins them with single spaces
        assert line in text
    assert spec.truth_title() == " ".join(spec.title) and "  " not in spec.truth_title()
    if spec.number_style == "in-title":
        assert f"{spec.title[-1]}: {spec.sheet_number}" in text
    elif spec.sheet_number and not spec.number_split:
        assert spec.sheet_number in text
    if spec.number_date:
        assert spec.number_date in text
    if spec.scale:
        assert spec.scale in text
    if spec.scale_truth and not spec.scale:  # the scale is only under the view title
        assert spec.views and spec.views[0][1] in text
    if kind == "cover":
        assert spec.index and all(number in text for number, _ in spec.index)


def test_label_free_blocks_carry_no_title_number_or_scale_label():
    for seed in range(6):
        spec = sheets.random_spec(random.Random(seed), seed, kind="label-free", language="en")
        spec = sheets.replace(spec, distractors=False)  # view titles keep their "SCALE:" as real sheets do
        text = _pdf_text(sheets.draw_pdf(spec)).upper()
        assert spec.sheet_number in text and spec.title[0] in text
        for label in ("SHEET TITLE", "DRAWING TITLE", "SHEET NAME", "SHEET NO", "SHEET NUMBER", "DWG NO", "SCALE"):
            assert label not in text, (seed, label)


def test_civil_sheet_numbers_only_in_the_corner_bubble():
    spec = sheets.random_spec(random.Random(7), 7, kind="civil")
    assert spec.number_style == "bubble" and spec.sheet_total and int(spec.sheet_number) <= spec.sheet_total
    image = sheets.sheet_image(sheets.replace(spec, distractors=False), dpi=40)
    W = image.width
    corner = (int(W * 0.93), 0, W, int(image.height * 0.1))
    assert _dark(image, corner) > 50  # the bubble is drawn
    text = _pdf_text(sheets.draw_pdf(spec))
    assert spec.truth_title() in text and all(line in text for line in spec.subtitle[:-1])


def test_outline_text_has_no_text_layer_but_renders_its_glyphs():
    spec = sheets.random_spec(random.Random(5), 5, kind="label-free", language="en", layout="corner")
    as_text = sheets.draw_pdf(spec)
    outlined = sheets.draw_pdf(sheets.replace(spec, text_mode="outline"))
    assert spec.sheet_number in _pdf_text(as_text)
    assert _pdf_text(outlined) == ""
    a, b = sheets.render(as_text, 50), sheets.render(outlined, 50)
    assert a.size == b.size
    W, H = a.size
    block = (int(W * 0.55), int(H * 0.78), W, H)
    assert _dark(b, block) > 0.6 * _dark(a, block) > 0  # the outlined block shows about as much ink
    assert sheets.sheet_classes(sheets.replace(spec, text_mode="outline"), "vector")[0] == "outline"


def test_an_outlined_block_on_a_sheet_with_real_text():
    spec = sheets.random_spec(random.Random(8), 8, kind="labelled", language="en", layout="corner")
    mixed = sheets.replace(spec, block_text_mode="outline")
    text = _pdf_text(sheets.draw_pdf(mixed))
    assert "GENERAL NOTES" in text  # the drawing area keeps its text layer
    assert spec.project_name not in text and spec.firm not in text  # the block has none
    classes = sheets.sheet_classes(mixed, "vector")
    assert classes[0] == "outline" and "outline-block" in classes


def test_a_registered_text_mode_draws_sheets_and_names_their_page_kind(monkeypatch, tmp_path):
    from testkit.sheets import text as text_modes

    drawn: list[str] = []

    def draw(canvas, x, y, text, font, size):
        drawn.append(text)
        text_modes.TEXT_MODES["text"].draw(canvas, x, y, text, font, size)

    mode = sheets.TextMode("recorded", draw, text_modes.TEXT_MODES["text"].width, "recorded-page")
    monkeypatch.setitem(text_modes.TEXT_MODES, "recorded", None)  # restored afterwards
    mixed_before = list(text_modes.MIXED_MODES)
    try:
        sheets.register_text_mode(mode, mixed=True)
        spec = sheets.replace(sheets.random_spec(random.Random(2), 2, kind="label-free"), block_text_mode="recorded")
        sheets.draw_pdf(spec)
        assert spec.sheet_number in drawn and spec.title[0] in drawn
        assert "recorded-page" in sheets.known_classes()
        assert sheets.sheet_classes(spec, "vector")[0] == "recorded-page"
        drawn.clear()
        truth = sheets.write_set(tmp_path, 1, seed=3, classes=["recorded-page"])  # now part of the mix
        assert truth["sheets"][0]["file"].endswith(".pdf") and drawn
    finally:
        text_modes.MIXED_MODES[:] = mixed_before
    with pytest.raises(ValueError, match="unknown text mode"):
        sheets.draw_pdf(sheets.replace(spec, text_mode="nonesuch"))


def test_one_bit_scans_are_group4_tiffs_at_200_dpi(tmp_path):
    from PIL import Image

    truth = sheets.write_set(tmp_path, 1, seed=4, classes=["g4-tiff"])
    entry = truth["sheets"][0]
    assert entry["file"].endswith(".tif") and "scan" in entry["classes"]
    with Image.open(tmp_path / entry["file"]) as image:
        assert image.mode == "1"
        assert image.info["dpi"] == (200, 200) and image.info["compression"] == "group4"
        assert 0.001 < _dark(image) / (image.width * image.height) < 0.3


def test_a_scan_lying_on_its_side_is_a_turned_image_in_a_pdf(tmp_path):
    import pypdfium2 as pdfium

    truth = sheets.write_set(tmp_path, 1, seed=6, classes=["rotated-page"])
    entry = truth["sheets"][0]
    data = (tmp_path / entry["file"]).read_bytes()
    assert entry["file"].endswith(".pdf") and _pdf_text(data) == ""
    with pdf.PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            page = document[0]
            width, height = page.get_size()
            rotation = page.get_rotation()
            images = [obj for obj in page.get_objects() if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
            pixels = images[0].get_px_size()
        finally:
            document.close()
    assert height > width and rotation == 0  # the landscape sheet lies on its side, not turned by /Rotate
    assert len(images) == 1 and pixels[0] / (width / 72) == pytest.approx(200, rel=0.02)


def test_write_set_keeps_only_the_classes_asked_for(tmp_path):
    truth = sheets.write_set(tmp_path, 3, seed=2, classes=["label-free", "vector"])
    assert len(truth["sheets"]) == 3
    for entry in truth["sheets"]:
        assert {"label-free", "vector"} <= set(entry["classes"])
    with pytest.raises(ValueError, match="unknown classes"):
        sheets.write_set(tmp_path / "x", 1, seed=2, classes=["purple"])
    with pytest.raises(ValueError, match="no generated sheet has all of"):
        sheets.write_set(tmp_path / "y", 1, seed=2, classes=["g4-tiff", "vector"], tries=2000)


def test_pages_without_a_title_block_are_recorded_as_empty(tmp_path):
    truth = sheets.write_set(tmp_path, 3, seed=3, classes=["none"])
    for entry in truth["sheets"]:
        assert entry["sheet_number"] == "" and entry["title"] == ""
        assert entry["scale"] in ([], None)  # [] for the new pages: no scale may be read either


def test_every_truth_entry_names_one_page_kind_block_style_and_language(tmp_path):
    truth = sheets.write_set(tmp_path, 10, seed=11)
    for entry in truth["sheets"]:
        classes = entry["classes"]
        assert len(set(classes)) == len(classes) and set(classes) <= sheets.known_classes()
        assert sum(c in ("vector", "outline", "raster", "scan") for c in classes) == 1
        assert sum(c in ("labelled", "label-free", "none") for c in classes) == 1
        assert sum(c in ("en", "de", "it", "fr", "es", "nl") for c in classes) == 1
        assert entry["language"] in classes


def test_same_seed_same_files(tmp_path):
    a = sheets.write_set(tmp_path / "a", 2, seed=12, classes=["scan"])  # noise, skew and JPEG included
    b = sheets.write_set(tmp_path / "b", 2, seed=12, classes=["scan"])
    assert a == b
    for entry in a["sheets"]:
        assert (tmp_path / "a" / entry["file"]).read_bytes() == (tmp_path / "b" / entry["file"]).read_bytes()
    c = sheets.write_set(tmp_path / "c", 1, seed=13, classes=["scan"])
    assert c["sheets"][0] != a["sheets"][0]


def test_command_line_writes_the_set_and_counts_its_classes(tmp_path, capsys):
    sheets.main(["--out", str(tmp_path), "--count", "2", "--seed", "3", "--classes", "spec-page"])
    out = capsys.readouterr().out
    assert "wrote 2 sheets" in out and "spec-page" in out
    assert len(json.loads((tmp_path / "truth.json").read_text())["sheets"]) == 2
    with pytest.raises(SystemExit):
        sheets.main(["--out", str(tmp_path), "--classes", "purple"])


def test_a_sheet_drawn_without_its_block_records_no_fields():
    spec = sheets.random_spec(random.Random(1), 1, kind="label-free", layout="none")
    assert (spec.sheet_number, spec.title, spec.scale_truth, spec.has_block) == ("", [], None, False)
    text = _pdf_text(sheets.draw_pdf(spec))
    assert spec.firm not in text and spec.project_name not in text
    assert "none" in sheets.sheet_classes(spec, "vector")


def test_a_spec_with_an_unknown_style_is_refused():
    with pytest.raises(ValueError, match="block_style 'fancy'"):
        sheets.SheetSpec(block_style="fancy")
    with pytest.raises(ValueError, match="unknown sheet kind"):
        sheets.random_spec(random.Random(1), kind="nonesuch")
