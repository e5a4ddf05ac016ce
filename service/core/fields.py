"""What is read from a sheet's title block: its fields and every candidate seen on the sheet.

The title-block parser (:mod:`planocr.titleblock`) returns these; the page
record stores them (:mod:`planocr.core.blocks`) and the service answers with
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planocr.core.page import Box

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


__all__ = ["FIELD_NAMES", "Field", "TitleBlockResult"]
