"""The ``pages.ocr_blocks`` JSON document: written and read here only.

The existing FastAPI app reads this document, so its format is fixed::

    {
      "blocks": [{"text": str, "bbox": [left, top, width, height], "confidence": float, "angle": int,
                  "words": [[text, left, top, width, height, confidence], ...]}, ...],
      "detected_scales": [str, ...], "detected_sheet_numbers": [str, ...], "detected_titles": [str, ...],
      "title_block": {<field name>: value, ...,
                      "fields": {<field name>: {"value": str, "confidence": float, "bbox": [...] | null}},
                      "region": [left, top, width, height] | null},
      "width": int, "height": int, "rotation": int
    }

One block is one line of the page's reading; confidences are rounded to
three places. :func:`encode` writes it, :func:`decode` reads it back
(documents written before some keys existed read with defaults), and
:func:`with_title_block` replaces the title block of a stored document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from planocr.core.fields import Field, TitleBlockResult
from planocr.core.page import Box, Line, OcrResult, Word


@dataclass(frozen=True, slots=True)
class Block:
    """One stored block: a line of the page's reading, with its words."""

    text: str
    box: Box | None
    confidence: float
    angle: int
    words: tuple[Word, ...] = ()


@dataclass(slots=True)
class OcrBlocks:
    """A decoded ``ocr_blocks`` document. ``width`` and ``height`` are None when it does not have them."""

    blocks: list[Block] = field(default_factory=list)
    title_block: TitleBlockResult = field(default_factory=TitleBlockResult)
    width: int | None = None
    height: int | None = None
    rotation: int = 0

    @property
    def lines(self) -> list[Line]:
        """The page's lines with their word boxes (blocks stored without words are left out)."""
        return [Line(block.words) for block in self.blocks if block.words]


def encode(ocr: OcrResult, title_block: TitleBlockResult) -> dict[str, Any]:
    """The ``ocr_blocks`` document of a page's reading and its title block."""
    return {
        "blocks": [
            {
                "text": line.text,
                "bbox": line.box.to_list(),
                "confidence": round(line.confidence, 3),
                "angle": line.angle,
                "words": [[w.text, *w.box.to_list(), round(w.confidence, 3)] for w in line.words],
            }
            for line in ocr.lines
        ],
        **_detected_json(title_block),
        "title_block": _title_block_json(title_block),
        "width": ocr.width,
        "height": ocr.height,
        "rotation": ocr.rotation,
    }


def decode(data: dict[str, Any] | None) -> OcrBlocks:
    """Read a stored ``ocr_blocks`` document (None or ``{}`` reads as an empty one)."""
    data = data or {}
    blocks = []
    for block in data.get("blocks", []):
        angle = block.get("angle", 0)
        words = tuple(Word(t, Box(x, y, w, h), c, angle) for t, x, y, w, h, c in block.get("words", []))
        bbox = block.get("bbox")
        blocks.append(Block(block.get("text", ""), Box(*bbox) if bbox else None, block.get("confidence", 0.0), angle, words))
    return OcrBlocks(
        blocks=blocks,
        title_block=_title_block(data.get("title_block"), data),
        width=data.get("width"),
        height=data.get("height"),
        rotation=data.get("rotation", 0),
    )


def with_title_block(data: dict[str, Any] | None, title_block: TitleBlockResult) -> dict[str, Any]:
    """A copy of a stored document with ``title_block`` (and its candidates) in place of its own."""
    return {**(data or {}), **_detected_json(title_block), "title_block": _title_block_json(title_block)}


def _detected_json(title_block: TitleBlockResult) -> dict[str, list[str]]:
    return {
        "detected_scales": title_block.detected_scales,
        "detected_sheet_numbers": title_block.detected_sheet_numbers,
        "detected_titles": title_block.detected_titles,
    }


def _title_block_json(result: TitleBlockResult) -> dict[str, Any]:
    data: dict[str, Any] = {name: f.value for name, f in result.fields.items()}
    data["fields"] = {
        name: {"value": f.value, "confidence": round(f.confidence, 3), "bbox": f.box.to_list() if f.box else None}
        for name, f in result.fields.items()
    }
    data["region"] = result.region.to_list() if result.region else None
    return data


def _title_block(data: dict[str, Any] | None, detected: dict[str, Any]) -> TitleBlockResult:
    data = data or {}
    region = data.get("region")
    return TitleBlockResult(
        fields={name: _field(f) for name, f in (data.get("fields") or {}).items()},
        region=Box(*region) if region else None,
        detected_sheet_numbers=list(detected.get("detected_sheet_numbers", [])),
        detected_titles=list(detected.get("detected_titles", [])),
        detected_scales=list(detected.get("detected_scales", [])),
    )


def _field(data: dict[str, Any]) -> Field:
    bbox = data.get("bbox")
    return Field(data.get("value", ""), float(data.get("confidence", 0.0)), Box(*bbox) if bbox else None)


__all__ = ["Block", "OcrBlocks", "decode", "encode", "with_title_block"]
