"""Title-block parsing: OCR lines with boxes in, sheet number, title and scale out."""

from planocr.titleblock.model import FIELD_NAMES, Field, TitleBlockResult
from planocr.titleblock.parser import parse_title_block

__all__ = ["FIELD_NAMES", "Field", "TitleBlockResult", "parse_title_block"]
