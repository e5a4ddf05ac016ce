"""Synthetic construction sheets with known title blocks, for tests and evaluation.

Sheets are drawn with reportlab as vector PDFs, with their text as a text
layer or as glyph outlines (like CAD stroke fonts), and written as they
are, rendered clean, or degraded like an office scan, a 1-bit Group 4 TIFF
of an old print, or a scan lying on its side inside a PDF.

Besides the classic sheet the title-block parser was written for (labelled
English or German cells in the bottom-right corner, a right or left strip,
a right strip with turned text, a bottom strip), the generator draws the
kinds real sets also hold: label-free blocks, blocks labelled in Italian,
French, Spanish or Dutch, multi-line titles among busy neighbours, cover
sheets with a drawing index, blocks without a number, civil sheets
numbered in a corner bubble, numbers printed after the title or beside a
date, scales only under a view title or written with the paper size, and
pages with no title block (a drawing list, a specification page, a map).

Run ``python -m testkit.sheets --out DIR --count 200 --seed 1`` to
write a set with a ``truth.json`` in the evaluation format; ``--classes
label-free,scan`` keeps only sheets with those classes.

Modules: ``spec`` (what a sheet shows), ``vocabulary`` (words per
language), ``choosing`` (random specs per kind), ``text`` (text modes),
``pen``, ``blocks`` and ``areas`` (drawing), ``drawing`` (whole pages),
``raster`` (renders and scans), ``writing`` (sets, truth, command line).
"""

from dataclasses import replace

from testkit.sheets.choosing import KINDS, random_kind, random_spec
from testkit.sheets.drawing import draw_pdf, mixed_pdf, sheet_image
from testkit.sheets.raster import bilevel_scan, degrade, image_pdf, render, turned_scan_pdf
from testkit.sheets.spec import FONTS, LAYOUTS, PAGE_SIZES, POINTS_PER_INCH, SheetSpec
from testkit.sheets.text import TEXT_MODES, TextMode, register_text_mode
from testkit.sheets.writing import class_counts, known_classes, main, sheet_classes, write_set

__all__ = [
    "FONTS", "KINDS", "LAYOUTS", "PAGE_SIZES", "POINTS_PER_INCH", "TEXT_MODES", "SheetSpec", "TextMode",
    "bilevel_scan", "class_counts", "degrade", "draw_pdf", "image_pdf", "known_classes", "main", "mixed_pdf",
    "random_kind", "random_spec", "register_text_mode", "render", "replace", "sheet_classes", "sheet_image",
    "turned_scan_pdf", "write_set",
]
