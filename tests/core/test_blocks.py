"""The ``pages.ocr_blocks`` codec: the stored format, and reading back what was written."""

from __future__ import annotations

import json

from planocr.core import blocks
from planocr.core.fields import Field, TitleBlockResult
from planocr.core.page import Box, Line, OcrResult, Word

#: A document as the service has always stored it (and the FastAPI app reads it).
STORED = {
    "blocks": [
        {
            "text": "A-101",
            "bbox": [2800, 2000, 120, 40],
            "confidence": 0.912,
            "angle": 0,
            "words": [["A-101", 2800, 2000, 120, 40, 0.912]],
        },
        {
            "text": "FLOOR PLAN",
            "bbox": [40, 300, 30, 200],
            "confidence": 0.8,
            "angle": 90,
            "words": [["FLOOR", 40, 410, 30, 90, 0.85], ["PLAN", 40, 300, 30, 80, 0.8]],
        },
    ],
    "detected_scales": ["1:100"],
    "detected_sheet_numbers": ["A-101", "A-1"],
    "detected_titles": ["FLOOR PLAN"],
    "title_block": {
        "sheet_number": "A-101",
        "scale": "1:100",
        "fields": {
            "sheet_number": {"value": "A-101", "confidence": 0.9, "bbox": [2800, 2000, 120, 40]},
            "scale": {"value": "1:100", "confidence": 0.667, "bbox": None},
        },
        "region": [2600, 1800, 400, 400],
    },
    "width": 3300,
    "height": 2550,
    "rotation": 90,
}


def _reading() -> tuple[OcrResult, TitleBlockResult]:
    lines = [
        Line((Word("A-101", Box(2800, 2000, 120, 40), 0.91234),)),
        Line((Word("FLOOR", Box(40, 410, 30, 90), 0.85, 90), Word("PLAN", Box(40, 300, 30, 80), 0.8, 90))),
    ]
    ocr = OcrResult(width=3300, height=2550, lines=lines, rotation=90, engine="tesseract")
    title_block = TitleBlockResult(
        fields={"sheet_number": Field("A-101", 0.9, Box(2800, 2000, 120, 40)), "scale": Field("1:100", 0.66666)},
        region=Box(2600, 1800, 400, 400),
        detected_sheet_numbers=["A-101", "A-1"],
        detected_titles=["FLOOR PLAN"],
        detected_scales=["1:100"],
    )
    return ocr, title_block


def test_encode_writes_the_stored_format():
    ocr, title_block = _reading()
    assert json.loads(json.dumps(blocks.encode(ocr, title_block))) == STORED


def test_decode_reads_back_what_encode_wrote():
    ocr, title_block = _reading()
    stored = blocks.decode(json.loads(json.dumps(blocks.encode(ocr, title_block))))
    assert [line.text for line in stored.lines] == [line.text for line in ocr.lines]
    assert [[w.box for w in line.words] for line in stored.lines] == [[w.box for w in line.words] for line in ocr.lines]
    assert [w.angle for w in stored.lines[1].words] == [90, 90]
    assert (stored.width, stored.height, stored.rotation) == (3300, 2550, 90)
    assert stored.title_block.value("sheet_number") == "A-101"
    assert stored.title_block.fields["sheet_number"].box == Box(2800, 2000, 120, 40)
    assert stored.title_block.fields["scale"].box is None
    assert stored.title_block.region == Box(2600, 1800, 400, 400)
    assert stored.title_block.detected_sheet_numbers == ["A-101", "A-1"]
    assert stored.blocks[1].box == Box(40, 300, 30, 200)
    assert stored.blocks[1].confidence == 0.8


def test_round_trip_is_stable():
    stored = blocks.decode(STORED)
    again = blocks.encode(OcrResult(stored.width or 0, stored.height or 0, stored.lines, stored.rotation),
                          stored.title_block)
    assert json.loads(json.dumps(again)) == STORED


def test_with_title_block_replaces_only_the_title_block():
    _, title_block = _reading()
    new = TitleBlockResult(fields={"sheet_number": Field("A-102", 0.7)}, detected_sheet_numbers=["A-102"])
    updated = blocks.with_title_block(STORED, new)
    assert updated["blocks"] == STORED["blocks"]
    assert (updated["width"], updated["height"], updated["rotation"]) == (3300, 2550, 90)
    assert updated["title_block"] == {
        "sheet_number": "A-102",
        "fields": {"sheet_number": {"value": "A-102", "confidence": 0.7, "bbox": None}},
        "region": None,
    }
    assert updated["detected_sheet_numbers"] == ["A-102"]
    assert updated["detected_titles"] == [] and updated["detected_scales"] == []
    assert STORED["title_block"]["sheet_number"] == "A-101"  # the stored document is not changed


def test_older_and_empty_documents_read_with_defaults():
    empty = blocks.decode(None)
    assert empty.blocks == [] and empty.lines == [] and empty.width is None and empty.rotation == 0
    assert empty.title_block == TitleBlockResult()
    old = blocks.decode({"blocks": [{"text": "A-1", "bbox": [1, 2, 3, 4], "confidence": 0.5}]})
    assert old.blocks[0].text == "A-1" and old.blocks[0].angle == 0
    assert old.lines == []  # blocks stored without words give no word boxes
