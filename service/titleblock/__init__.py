"""Title-block parsing: OCR lines with boxes in, sheet number, title and scale out.

``parse_title_block`` reads one page; ``context.refine_document`` re-reads a
document's uncertain pages where its confident pages keep their number and
title, and ``context.duplicate_sheet_numbers`` lists numbers used twice.
"""

from planocr.core.fields import FIELD_NAMES, Field, TitleBlockResult
from planocr.titleblock.parser import LayoutHint, parse_title_block

__all__ = ["FIELD_NAMES", "Field", "LayoutHint", "TitleBlockResult", "parse_title_block"]
