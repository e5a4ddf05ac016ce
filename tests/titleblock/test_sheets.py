"""The sheet generator: files and truth in the evaluation format, and sheets the parser reads back."""

from __future__ import annotations

import json
import random

import pytest

from planocr import pdf
from planocr.engines import textlayer
from planocr.titleblock import parse_title_block
from planocr.titleblock.scales import scale_key
from tests.support import sheets


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


def test_sheet_without_title_block_reads_empty():
    spec = sheets.random_spec(random.Random(3), 1, layout="none")
    result = _parse_vector(sheets.draw_pdf(spec))
    assert result.value("sheet_number") == ""
    assert result.value("sheet_title") == ""


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
