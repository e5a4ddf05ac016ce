"""What the title-block parser returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from planocr.engines.base import Box

FIELD_NAMES = (
    "sheet_number",
    "sheet_title",
    "scale",
    "project_name",
    "project_number",
    "date",
    "revision",
    "drawn_by",
    "checked_by",
)


@dataclass(slots=True)
class Field:
    """One value read from the title block, with how sure the parser is (0 to 1)."""

    value: str
    confidence: float
    box: Box | None = None

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "confidence": round(self.confidence, 3), "bbox": self.box.to_list() if self.box else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Field:
        bbox = data.get("bbox")
        return cls(data.get("value", ""), float(data.get("confidence", 0.0)), Box(*bbox) if bbox else None)


@dataclass(slots=True)
class TitleBlockResult:
    """The fields of one sheet's title block and every candidate seen on the sheet.

    ``fields`` only holds fields that were found; a page without a title
    block has none. ``detected_*`` list candidates best first.
    """

    fields: dict[str, Field] = field(default_factory=dict)
    region: Box | None = None
    detected_sheet_numbers: list[str] = field(default_factory=list)
    detected_titles: list[str] = field(default_factory=list)
    detected_scales: list[str] = field(default_factory=list)

    def value(self, name: str) -> str:
        found = self.fields.get(name)
        return found.value if found else ""

    def to_json(self) -> dict[str, Any]:
        """The ``title_block`` object stored in ``pages.ocr_blocks``."""
        data: dict[str, Any] = {name: f.value for name, f in self.fields.items()}
        data["fields"] = {name: f.to_json() for name, f in self.fields.items()}
        data["region"] = self.region.to_list() if self.region else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, detected: dict[str, list[str]] | None = None) -> TitleBlockResult:
        data = data or {}
        detected = detected or {}
        region = data.get("region")
        return cls(
            fields={name: Field.from_json(f) for name, f in (data.get("fields") or {}).items()},
            region=Box(*region) if region else None,
            detected_sheet_numbers=list(detected.get("detected_sheet_numbers", [])),
            detected_titles=list(detected.get("detected_titles", [])),
            detected_scales=list(detected.get("detected_scales", [])),
        )
