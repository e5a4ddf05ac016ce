"""Synthetic construction sheets with known title blocks, for tests and evaluation.

Draws sheets with reportlab (vector PDFs with a text layer), renders them with
pypdfium2 (clean rasters) and degrades some like a scan (noise, blur, slight
rotation, JPEG). Title blocks vary in position (bottom-right corner, right
edge strip with upright or rotated text, bottom strip, left strip), in
labels (English and German), fonts, sizes, sheet-number and scale styles;
the drawing area carries the usual look-alikes: grid bubbles, detail
callouts, view titles with their scales, notes, room numbers.

Run ``python -m tests.support.sheets --out DIR --count 200 --seed 1`` to
write a set with a ``truth.json`` in the evaluation format.
"""

from __future__ import annotations

import argparse
import io
import json
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter
from reportlab.pdfgen import canvas as rl_canvas

POINTS_PER_INCH = 72.0
PAGE_SIZES = {
    "ARCH D": (36 * 72, 24 * 72),
    "ANSI D": (34 * 72, 22 * 72),
    "ARCH C": (24 * 72, 18 * 72),
    "ANSI B": (17 * 72, 11 * 72),
    "A1": (2384, 1684),
    "A2": (1684, 1191),
    "A3": (1191, 842),
}
FONTS = [("Helvetica", "Helvetica-Bold"), ("Times-Roman", "Times-Bold"), ("Courier", "Courier-Bold"), ("Helvetica", "Helvetica")]
LAYOUTS = ("corner", "right", "right-rotated", "bottom", "left", "none")


@dataclass
class SheetSpec:
    """Everything drawn on one sheet; the truth comes from here."""

    sheet_number: str = "A-101"
    title: list[str] = field(default_factory=lambda: ["FIRST FLOOR PLAN"])  # lines as drawn
    scale: str | None = '1/4" = 1\'-0"'  # the title-block scale as drawn; None: no scale cell
    scale_truth: list[str] | None = None  # canonical; None: not scored
    layout: str = "corner"
    language: str = "en"
    page_size: tuple[float, float] = PAGE_SIZES["ANSI B"]
    fonts: tuple[str, str] = FONTS[0]
    number_label: str | None = "SHEET NO."
    number_size: float = 24.0
    number_split: bool = False  # "TR14" over "-07C" in a narrow box
    number_inline: bool = False  # "Plan-Nr.: 2" in small print, as some German blocks do
    title_size: float = 11.0
    label_size: float = 5.5
    value_size: float = 7.5
    project_name: str = "RIVERSIDE MEDICAL OFFICE BUILDING"
    project_number: str = "2023-014"
    firm: str = "NORTHWIND ARCHITECTS LLC"
    date: str = "05/22/2024"
    revision: str = "2"
    drawn_by: str = "JD"
    checked_by: str = "MK"
    views: list[tuple[str, str]] = field(default_factory=lambda: [("FLOOR PLAN", '1/4" = 1\'-0"')])
    sheet_of: tuple[int, int] | None = None
    distractors: bool = True
    seed: int = 0

    def truth_title(self) -> str:
        return " ".join(self.title)


# --- vocabulary --------------------------------------------------------------------------------

_EN_LEVELS = ["FIRST FLOOR", "SECOND FLOOR", "THIRD FLOOR", "GROUND FLOOR", "BASEMENT", "ROOF", "MEZZANINE", "LEVEL 2", "SITE"]
_EN_KINDS = ["PLAN", "REFLECTED CEILING PLAN", "FURNITURE PLAN", "FINISH PLAN", "DEMOLITION PLAN", "FRAMING PLAN",
             "POWER PLAN", "LIGHTING PLAN", "PLUMBING PLAN", "MECHANICAL PLAN", "FIRE PROTECTION PLAN"]
_EN_OTHER = ["BUILDING SECTIONS", "EXTERIOR ELEVATIONS", "INTERIOR ELEVATIONS", "WALL SECTIONS", "DOOR SCHEDULE",
             "DOOR AND WINDOW SCHEDULES", "GENERAL NOTES", "ENLARGED TOILET ROOM PLANS", "STAIR DETAILS",
             "ROOF DETAILS", "COVER SHEET", "LIFE SAFETY", "PARTITION TYPES", "RISER DIAGRAM",
             "FOUNDATION PLAN AND DETAILS", "SITE UTILITIES", "CODE ANALYSIS", "DOOR HARDWARE"]
_DE_TITLES = ["Grundriss Erdgeschoss", "Grundriss Obergeschoss", "Grundriss 1. Obergeschoss", "Grundriss Untergeschoss",
              "Grundriss Dachgeschoss", "Schnitt A-A", "Schnitte A-A und B-B", "Ansichten Nord und Süd",
              "Ansicht West", "Lageplan", "Dachaufsicht", "Deckenspiegel Erdgeschoss", "Details Fassade",
              "Fundamentplan", "Bewehrungsplan Decke über EG", "Baubeschreibung", "Freiflächengestaltung"]
_EN_PROJECTS = ["RIVERSIDE MEDICAL OFFICE BUILDING", "LINCOLN ELEMENTARY SCHOOL ADDITION", "HARBOR VIEW APARTMENTS",
                "CITY HALL RENOVATION", "WESTGATE FIRE STATION NO. 4", "OAK STREET RESIDENCE", "MAPLE COMMONS RETAIL"]
_DE_PROJECTS = ["Neubau Wohnanlage Am Park", "Umbau Rathaus Nord", "Ersatzneubau Schulhaus Linde",
                "Bürogebäude ST12 / Verwaltung", "Sanierung Sporthalle Süd"]
_EN_FIRMS = ["NORTHWIND ARCHITECTS LLC", "STONE & PARTNERS ARCHITECTURE", "BLUE RIDGE ENGINEERING INC",
             "HALVERSON DESIGN GROUP"]
_DE_FIRMS = ["Müller Partner Architekten AG", "Schneider + Weber Architekten GmbH", "Planungsbüro Keller"]
_PEOPLE = ["JD", "MK", "AB", "R. SMITH", "T. NGUYEN", "KL", "smo", "ABC"]
_DISCIPLINES = ["A", "S", "M", "E", "P", "C", "L", "FP", "AF", "ID", "G", "T"]


def _sheet_number(rng: random.Random, language: str) -> tuple[str, bool]:
    """A sheet number in one of the real styles; True when it is drawn split over two lines."""
    d = rng.choice(_DISCIPLINES)
    style = rng.randrange(14)
    n = rng.randint(1, 9)
    if language == "de":
        return rng.choice([
            f"{rng.randint(1000, 9999)}_A_{rng.choice(['GR', 'SN', 'AN'])}_{rng.choice(['EG', 'OG', 'UG', 'DG'])}_{rng.randint(100, 999)}",
            f"{rng.randint(10, 99)}-{rng.choice('ABC')}-{rng.randint(1, 9):02d}{rng.choice('abc')}-{rng.randint(100, 399)}",
            f"{rng.randint(1, 3)}.{rng.randint(1, 9)}.{rng.randint(10, 40)}",
            f"A-{rng.randint(100, 399)}",
            str(rng.randint(1, 40)),
            f"TR{rng.randint(10, 30)}-{rng.randint(1, 20):02d}{rng.choice('ABC')}",
        ]), False
    if style == 0:
        return f"{d}-{n}{rng.randint(0, 99):02d}", False
    if style == 1:
        return f"{d}{n}{rng.randint(0, 99):02d}", False
    if style == 2:
        return f"{d}{n}.{rng.randint(1, 20):02d}", False
    if style == 3:
        return f"{d}-{rng.randint(0, 9):03d}", False
    if style == 4:
        return f"{d}-{n}", False
    if style == 5:
        return f"{d}{n}.{rng.randint(1, 9)}", False
    if style == 6:
        return f"{rng.randint(1, 5)}.{rng.randint(1, 9)}.{rng.randint(10, 30)}", False
    if style == 7:
        return f"TR{rng.randint(10, 30)}-{rng.randint(1, 20):02d}{rng.choice('ABC')}", True
    if style == 8:
        return f"{d}{rng.randint(0, 9):03d}.{rng.randint(0, 9):02d}", False
    if style == 9:
        return f"{d}{d if len(d) == 1 else ''}{rng.randint(100, 999)}", False
    if style == 10:
        return f"{rng.choice(['TSDE', 'PSDE', 'EL'])}{rng.randint(1, 30):02d}", False
    return f"{d}-{n}{rng.randint(0, 99):02d}", False


_ARCH_SCALES = ['1/4" = 1\'-0"', '1/8" = 1\'-0"', '3/16" = 1\'-0"', '1/2" = 1\'-0"', '3/4" = 1\'-0"',
                '1 1/2" = 1\'-0"', '3" = 1\'-0"', '3/32" = 1\'-0"']
_ENG_SCALES = ['1" = 20\'', '1" = 40\'', '1" = 10\'', '1" = 50\'']
_METRIC = ["1:50", "1:100", "1:200", "1:20", "1:500", "1:10"]


def _drawn_scale(canonical: str, rng: random.Random) -> str:
    """The same scale as a drafter (or a font) might write it."""
    variant = rng.randrange(5)
    if "=" in canonical:
        if variant == 1:
            return canonical.replace(" = ", "=")
        if variant == 2:
            return canonical.replace('"', "\u201d").replace("'", "\u2019")
        if variant == 3 and canonical.endswith("'-0\""):
            return canonical[: -len("-0\"")]
        return canonical
    if variant <= 1 and canonical.startswith("1:"):
        return f"M {canonical}"
    return canonical


def random_spec(rng: random.Random, seed: int = 0, *, layout: str | None = None, language: str | None = None) -> SheetSpec:
    """One random sheet (layout and language can be fixed)."""
    language = language or ("de" if rng.random() < 0.3 else "en")
    layout = layout or rng.choices(LAYOUTS, weights=[30, 16, 14, 18, 12, 4])[0]
    number, split = _sheet_number(rng, language)
    if language == "de":
        title = rng.choice(_DE_TITLES)
        view_scale = rng.choice(_METRIC)
    else:
        kind = rng.random()
        title = f"{rng.choice(_EN_LEVELS)} {rng.choice(_EN_KINDS)}" if kind < 0.55 else rng.choice(_EN_OTHER)
        view_scale = rng.choice(_ENG_SCALES) if "SITE" in title else rng.choice(_ARCH_SCALES)
    title_lines = [title]
    if len(title) > 22 and rng.random() < 0.45:
        words = title.split()
        cut = max(1, len(words) // 2)
        title_lines = [" ".join(words[:cut]), " ".join(words[cut:])]
    views = [(title.upper() if language == "en" else title, view_scale)]
    if rng.random() < 0.35:
        views.append(("DETAIL" if language == "en" else "Detail", rng.choice(_ARCH_SCALES if language == "en" else _METRIC)))
    scale_kind = rng.random()
    if scale_kind < 0.6:
        scale, truth = view_scale, [view_scale]
    elif scale_kind < 0.7:
        scale, truth = rng.choice(["NTS", "NOT TO SCALE", "N.T.S."]), ["NTS"]
        views = [(views[0][0], "NTS")]
    elif scale_kind < 0.82:
        scale, truth = ("AS NOTED" if language == "en" else "wie angegeben"), None
        if language == "en":
            truth = ["AS NOTED"]
    else:
        scale = None
        distinct = {v[1] for v in views}
        truth = [views[0][1]] if len(distinct) == 1 else None
    fonts = rng.choice(FONTS)
    page_name = rng.choice(list(PAGE_SIZES))
    page = PAGE_SIZES[page_name]
    big = page[0] > 2000
    if language == "de":
        number_label = rng.choice(["Plan-Nr.", "Plannummer", "Blatt", "Plan-Nr.:", None])
    else:
        number_label = rng.choice(["SHEET NO.", "SHEET", "DWG NO.", "DRAWING NUMBER", "PLAN REF NO", "SHEET NUMBER", None])
    if number.isdigit() and number_label is None:
        number_label = "Plan-Nr."
    inline = language == "de" and number_label is not None and rng.random() < 0.15 and not split
    spec = SheetSpec(
        sheet_number=number,
        title=title_lines,
        scale=_drawn_scale(scale, rng) if scale else None,
        scale_truth=truth,
        layout=layout,
        language=language,
        page_size=page,
        fonts=fonts,
        number_label=number_label,
        number_size=rng.uniform(16, 34) if big else rng.uniform(14, 24),
        number_split=split,
        number_inline=inline,
        title_size=rng.uniform(9, 15) if big else rng.uniform(8, 12),
        label_size=rng.uniform(5, 7),
        value_size=rng.uniform(7, 9),
        project_name=rng.choice(_DE_PROJECTS if language == "de" else _EN_PROJECTS),
        project_number=rng.choice([f"20{rng.randint(10, 25)}-{rng.randint(1, 99):03d}", f"{rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(100, 999)}", str(rng.randint(10000, 99999))]),
        firm=rng.choice(_DE_FIRMS if language == "de" else _EN_FIRMS),
        date=(f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.20{rng.randint(10, 25)}" if language == "de"
              else rng.choice([f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/20{rng.randint(10, 25)}", f"MAY {rng.randint(1, 28)}, 2024"])),
        revision=rng.choice(["0", "1", "2", "A", "B", "C"]),
        drawn_by=rng.choice(_PEOPLE),
        checked_by=rng.choice(_PEOPLE),
        views=views,
        sheet_of=(rng.randint(1, 9), rng.randint(10, 40)) if rng.random() < 0.3 else None,
        seed=seed,
    )
    if layout == "none":
        spec = replace(spec, sheet_number="", title=[], scale=None, scale_truth=None)
    return spec


# --- drawing -----------------------------------------------------------------------------------


class Pen:
    """Draws in top-down coordinates on a reportlab canvas, optionally inside a rotated strip."""

    def __init__(self, canvas: rl_canvas.Canvas, flip: float):
        self.c = canvas
        self.flip = flip

    def _y(self, y: float) -> float:
        return self.flip - y

    def text(self, x: float, baseline: float, text: str, font: str, size: float, align: str = "left") -> None:
        self.c.setFont(font, size)
        y = self._y(baseline)
        if align == "center":
            self.c.drawCentredString(x, y, text)
        elif align == "right":
            self.c.drawRightString(x, y, text)
        else:
            self.c.drawString(x, y, text)

    def rect(self, x: float, y: float, w: float, h: float, width: float = 0.8) -> None:
        self.c.setLineWidth(width)
        self.c.rect(x, self._y(y + h), w, h, stroke=1, fill=0)

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.6) -> None:
        self.c.setLineWidth(width)
        self.c.line(x0, self._y(y0), x1, self._y(y1))

    def circle(self, x: float, y: float, r: float) -> None:
        self.c.setLineWidth(0.7)
        self.c.circle(x, self._y(y), r, stroke=1, fill=0)

    def width(self, text: str, font: str, size: float) -> float:
        return self.c.stringWidth(text, font, size)


_EN_LABELS = {"project": "PROJECT", "project_number": "PROJECT NO.", "date": "DATE", "drawn": "DRAWN BY",
              "checked": "CHECKED BY", "scale": "SCALE", "title": "SHEET TITLE", "revision": "REV", "firm": "ARCHITECT",
              "client": "CLIENT"}
_DE_LABELS = {"project": "Bauvorhaben", "project_number": "Projekt-Nr.", "date": "Datum", "drawn": "Gezeichnet",
              "checked": "Geprüft", "scale": "Maßstab", "title": "Planinhalt", "revision": "Index", "firm": "Architekt",
              "client": "Bauherr"}


@dataclass
class Cell:
    label: str | None
    lines: list[tuple[str, str, float]]  # text, font, size
    align: str = "left"


def _cells(spec: SheetSpec, rng: random.Random) -> dict[str, Cell]:
    regular, bold = spec.fonts
    labels = dict(_DE_LABELS if spec.language == "de" else _EN_LABELS)
    if spec.language == "en":
        labels["title"] = rng.choice(["SHEET TITLE", "DRAWING TITLE", "TITLE", "SHEET NAME", "DRAWING TITLE:"])
        labels["scale"] = rng.choice(["SCALE", "SCALE:", "DRAWING SCALE"])
    vs = spec.value_size
    cells = {
        "firm": Cell(None, [(spec.firm, bold, vs + 1), ("123 MAIN STREET, SUITE 400" if spec.language == "en" else "Hauptstrasse 12, 8000 Zürich", regular, vs - 1.5)]),
        "project": Cell(labels["project"], [(spec.project_name, bold, vs + 0.5)]),
        "project_number": Cell(labels["project_number"], [(spec.project_number, regular, vs)]),
        "date": Cell(labels["date"], [(spec.date, regular, vs)]),
        "drawn": Cell(labels["drawn"], [(spec.drawn_by, regular, vs)]),
        "checked": Cell(labels["checked"], [(spec.checked_by, regular, vs)]),
        "revision": Cell(labels["revision"], [(spec.revision, regular, vs)]),
        "title": Cell(labels["title"], [(line, bold, spec.title_size) for line in spec.title]),
    }
    if spec.scale:
        cells["scale"] = Cell(labels["scale"], [(spec.scale, regular, vs)])
    if spec.number_inline:
        cells["number"] = Cell(None, [(f"{spec.number_label.rstrip(':')}: {spec.sheet_number}", regular, vs)])
    elif spec.number_split:
        head, _, tail = spec.sheet_number.partition("-")
        cells["number"] = Cell(spec.number_label, [(head, bold, spec.number_size), ("-" + tail, bold, spec.number_size)], "center")
    elif spec.sheet_number:
        cells["number"] = Cell(spec.number_label, [(spec.sheet_number, bold, spec.number_size)], "center")
    if spec.sheet_of:
        of = "OF" if spec.language == "en" else "von"
        word = "SHEET" if spec.language == "en" else "Blatt"
        cells["sheet_of"] = Cell(None, [(f"{word} {spec.sheet_of[0]} {of} {spec.sheet_of[1]}", regular, vs)])
    return cells


def _draw_cell(pen: Pen, cell: Cell, x: float, y: float, w: float, h: float, spec: SheetSpec) -> None:
    pen.rect(x, y, w, h)
    pad = 3.0
    cursor = y + pad
    if cell.label:
        cursor += spec.label_size
        pen.text(x + pad, cursor, cell.label, spec.fonts[0], spec.label_size)
        cursor += 0.6 * spec.label_size
    for text, font, size in cell.lines:
        size = min(size, h - (cursor - y) - 2) if size > h - (cursor - y) - 2 else size
        size = max(size, 4)
        while pen.width(text, font, size) > w - 2 * pad and size > 4:
            size -= 0.5
        cursor += size * 1.05
        if cell.align == "center":
            pen.text(x + w / 2, cursor, text, font, size, "center")
        else:
            pen.text(x + pad, cursor, text, font, size)
        cursor += 0.25 * size


def _strip_order(cells: dict[str, Cell]) -> list[str]:
    order = ["firm", "project", "project_number", "date", "drawn", "checked", "revision", "sheet_of", "scale", "title", "number"]
    return [k for k in order if k in cells]


def _cell_height(cell: Cell, spec: SheetSpec) -> float:
    total = 8 + (1.6 * spec.label_size if cell.label else 0)
    return total + sum(size * 1.35 for _, _, size in cell.lines)


def _draw_vertical_strip(pen: Pen, cells: dict[str, Cell], x: float, y: float, w: float, h: float, spec: SheetSpec) -> None:
    """Cells stacked top to bottom; the number ends up at the bottom of the strip."""
    keys = _strip_order(cells)
    heights = [_cell_height(cells[k], spec) * (1.3 if k in ("title", "number") else 1.0) for k in keys]
    spare = h - sum(heights)
    heights[0] += max(0, spare * 0.7)  # the firm/notes area takes the rest, as in real strips
    top = y + max(0, spare * 0.3) if spare > 0 else y
    pen.rect(x, y, w, h, 1.2)
    for key, ch in zip(keys, heights):
        _draw_cell(pen, cells[key], x, top, w, ch, spec)
        top += ch


def _draw_horizontal_strip(pen: Pen, cells: dict[str, Cell], x: float, y: float, w: float, h: float, spec: SheetSpec) -> None:
    """Cells left to right; small fields in a 2 x n grid; title and number on the right."""
    small = [k for k in ("project_number", "date", "drawn", "checked", "revision", "scale", "sheet_of") if k in cells]
    widths = {"firm": 0.2, "project": 0.22, "grid": 0.28, "title": 0.2, "number": 0.1}
    cursor = x
    pen.rect(x, y, w, h, 1.2)
    for key in ("firm", "project", "grid", "title", "number"):
        cw = w * widths[key]
        if key == "grid":
            cols = (len(small) + 1) // 2
            for i, k in enumerate(small):
                col, row = divmod(i, 2)
                _draw_cell(pen, cells[k], cursor + col * cw / cols, y + row * h / 2, cw / cols, h / 2, spec)
        elif key in cells:
            _draw_cell(pen, cells[key], cursor, y, cw, h, spec)
        cursor += cw


def _draw_corner(pen: Pen, cells: dict[str, Cell], x: float, y: float, w: float, h: float, spec: SheetSpec) -> None:
    """A block of three columns: firm/project, title over the small fields, number."""
    pen.rect(x, y, w, h, 1.2)
    c1, c2 = w * 0.34, w * 0.42
    _draw_cell(pen, cells["firm"], x, y, c1, h * 0.45, spec)
    _draw_cell(pen, cells["project"], x, y + h * 0.45, c1, h * 0.55, spec)
    _draw_cell(pen, cells["title"], x + c1, y, c2, h * 0.5, spec)
    small = [k for k in ("project_number", "date", "drawn", "checked", "revision", "scale", "sheet_of") if k in cells]
    cols = (len(small) + 1) // 2
    for i, k in enumerate(small):
        col, row = divmod(i, 2)
        _draw_cell(pen, cells[k], x + c1 + col * c2 / cols, y + h * 0.5 + row * h * 0.25, c2 / cols, h * 0.25, spec)
    if "number" in cells:
        narrow = spec.number_split
        nx = x + c1 + c2
        nw = w - c1 - c2
        if narrow:
            nw *= 0.6
            nx = x + w - nw
        _draw_cell(pen, cells["number"], nx, y, nw, h, spec)


def _draw_distractors(pen: Pen, spec: SheetSpec, rng: random.Random, area: tuple[float, float, float, float]) -> None:
    """Grid bubbles, a plan outline with rooms, view titles with scales, callouts and notes."""
    x0, y0, x1, y1 = area
    regular, bold = spec.fonts
    size = 7.0
    # grid bubbles along the top and left of the drawing area
    letters = "ABCDEFG"
    for i in range(rng.randint(4, 7)):
        gx = x0 + 60 + i * (x1 - x0 - 120) / 7
        pen.circle(gx, y0 + 18, 9)
        pen.text(gx, y0 + 21, str(i + 1), regular, 9, "center")
        pen.line(gx, y0 + 27, gx, y1 - 60, 0.3)
    for i in range(rng.randint(3, 5)):
        gy = y0 + 60 + i * (y1 - y0 - 140) / 5
        pen.circle(x0 + 18, gy, 9)
        pen.text(x0 + 18, gy + 3, letters[i], regular, 9, "center")
    # plan outline and rooms
    bx0, by0 = x0 + 70, y0 + 60
    bx1, by1 = x0 + (x1 - x0) * 0.55, y0 + (y1 - y0) * 0.6
    pen.rect(bx0, by0, bx1 - bx0, by1 - by0, 1.5)
    rooms = ["OFFICE", "CONF.", "STOR.", "CORR.", "TOILET", "LOBBY"] if spec.language == "en" else ["Büro", "Lager", "Flur", "WC", "Besprechung"]
    for i, room in enumerate(rng.sample(rooms, 3)):
        rx = bx0 + (i + 0.5) * (bx1 - bx0) / 3
        pen.text(rx, by0 + (by1 - by0) / 2, room, regular, size, "center")
        pen.text(rx, by0 + (by1 - by0) / 2 + 9, str(100 + rng.randint(1, 40)), regular, size, "center")
    pen.text((bx0 + bx1) / 2, by0 - 6, f"{rng.randint(10, 90)}'-{rng.randint(0, 11)}\"" if spec.language == "en" else f"{rng.randint(2, 30)}.{rng.randint(10, 99)}", regular, 6, "center")
    # view titles: number bubble, title, scale
    vy = by1 + 40
    for index, (view, scale) in enumerate(spec.views):
        vx = bx0 + index * (x1 - x0) * 0.35
        pen.circle(vx + 10, vy, 10)
        pen.text(vx + 10, vy - 2, str(index + 1), bold, 8, "center")
        pen.line(vx, vy, vx + 20, vy, 0.5)
        pen.text(vx + 10, vy + 7, spec.sheet_number or "A-101", regular, 5, "center")
        pen.text(vx + 26, vy + 3, view, bold, 10)
        label = "SCALE: " if spec.language == "en" else "M "
        pen.text(vx + 26, vy + 13, (label + scale) if not scale.startswith("1:") or spec.language == "en" else f"M {scale}", regular, 6.5)
    # a detail callout to another sheet, and notes that name other sheets
    cx, cy = bx1 - 40, by0 + 30
    pen.circle(cx, cy, 11)
    pen.line(cx - 11, cy, cx + 11, cy, 0.5)
    pen.text(cx, cy - 2, str(rng.randint(1, 9)), bold, 7, "center")
    pen.text(cx, cy + 8, f"{rng.choice('ASM')}-{rng.randint(500, 599)}", regular, 5.5, "center")
    nx = x0 + (x1 - x0) * 0.62
    ny = y0 + 40
    heading = "GENERAL NOTES" if spec.language == "en" else "Allgemeine Hinweise"
    pen.text(nx, ny, heading, bold, 8)
    notes = ([
        f"1. SEE {rng.randint(1, 9)}/A-{rng.randint(500, 599)} FOR TYPICAL WALL DETAILS.",
        "2. ALL DIMENSIONS ARE TO FACE OF STUD UNLESS NOTED OTHERWISE.",
        f"3. REFER TO SHEET S-{rng.randint(100, 299)} FOR STRUCTURAL FRAMING.",
        f"4. VERIFY ALL CONDITIONS IN FIELD BEFORE {rng.randint(2020, 2025)} BID.",
    ] if spec.language == "en" else [
        "1. Alle Masse sind am Bau zu prüfen.",
        f"2. Details siehe Plan {rng.randint(1000, 9999)}_A_DE_{rng.randint(100, 999)}.",
        "3. Unstimmigkeiten sind der Bauleitung zu melden.",
    ])
    for i, note in enumerate(notes):
        pen.text(nx, ny + 11 * (i + 1), note, regular, 6)
    # a revision cloud tag
    tx, ty = bx0 + 30, by1 - 20
    pen.line(tx - 7, ty + 5, tx + 7, ty + 5, 0.6)
    pen.line(tx - 7, ty + 5, tx, ty - 7, 0.6)
    pen.line(tx + 7, ty + 5, tx, ty - 7, 0.6)
    pen.text(tx, ty + 3, spec.revision, regular, 6, "center")


def _draw_sheet(c: rl_canvas.Canvas, spec: SheetSpec) -> None:
    rng = random.Random(spec.seed * 7919 + 17)
    W, H = spec.page_size
    c.setPageSize((W, H))
    pen = Pen(c, H)
    m = 0.015 * W
    pen.rect(m, m, W - 2 * m, H - 2 * m, 1.5)
    cells = _cells(spec, rng)
    area = (m, m, W - m, H - m)
    strip = max(0.1 * W, 150)
    if spec.layout == "corner":
        bw, bh = max(0.36 * W, 330), max(0.17 * H, 150)
        _draw_corner(pen, cells, W - m - bw, H - m - bh, bw, bh, spec)
        area = (m, m, W - m, H - m - bh)
    elif spec.layout == "right":
        _draw_vertical_strip(pen, cells, W - m - strip, m, strip, H - 2 * m, spec)
        area = (m, m, W - m - strip, H - m)
    elif spec.layout == "left":
        _draw_vertical_strip(pen, cells, m, m, strip, H - 2 * m, spec)
        area = (m + strip, m, W - m, H - m)
    elif spec.layout == "bottom":
        bh = max(0.1 * H, 95)
        _draw_horizontal_strip(pen, cells, m, H - m - bh, W - 2 * m, bh, spec)
        area = (m, m, W - m, H - m - bh)
    elif spec.layout == "right-rotated":
        thick = max(0.075 * W, 100)
        c.saveState()
        # The strip's own frame: x runs up the right edge, y runs from the strip's left side to the right.
        c.translate(W - m - thick, m)
        c.rotate(90)
        _draw_horizontal_strip(Pen(c, 0.0), cells, 0, 0, H - 2 * m, thick, spec)
        c.restoreState()
        area = (m, m, W - m - thick, H - m)
    if spec.distractors:
        _draw_distractors(pen, spec, rng, area)


def draw_pdf(specs: list[SheetSpec] | SheetSpec) -> bytes:
    """A vector PDF (real text layer) with one page per spec."""
    specs = [specs] if isinstance(specs, SheetSpec) else specs
    out = io.BytesIO()
    c = rl_canvas.Canvas(out, pagesize=specs[0].page_size, invariant=1)
    for spec in specs:
        _draw_sheet(c, spec)
        c.showPage()
    c.save()
    return out.getvalue()


def mixed_pdf(spec: SheetSpec, dpi: int = 150) -> bytes:
    """A CAD export as it often comes: notes in the text layer, the corner title block only as an image.

    The whole sheet is drawn, the title block cut out of its raster and
    pasted over a page that holds the notes as real text.
    """
    assert spec.layout == "corner", "the pasted block is the corner block"
    W, H = spec.page_size
    m = 0.015 * W
    bw, bh = max(0.36 * W, 330), max(0.17 * H, 150)
    image = render(draw_pdf(spec), dpi)
    scale = dpi / POINTS_PER_INCH
    x0, y0 = W - m - bw - 2, H - m - bh - 2
    block = image.crop((round(x0 * scale), round(y0 * scale), round((W - m + 2) * scale), round((H - m + 2) * scale)))
    out = io.BytesIO()
    c = rl_canvas.Canvas(out, pagesize=(W, H), invariant=1)
    c.setFont("Helvetica-Bold", 9)
    c.drawString(0.55 * W, H - 60, "GENERAL NOTES")
    c.setFont("Helvetica", 7)
    notes = ["1. ALL DIMENSIONS ARE TO FACE OF STUD UNLESS NOTED OTHERWISE.",
             "2. VERIFY ALL CONDITIONS IN FIELD BEFORE STARTING WORK.",
             "3. REFER TO STRUCTURAL DRAWINGS FOR FRAMING AND FOUNDATIONS."]
    for i, note in enumerate(notes):
        c.drawString(0.55 * W, H - 75 - 10 * i, note)
    png = io.BytesIO()
    block.save(png, format="PNG")
    from reportlab.lib.utils import ImageReader

    c.drawImage(ImageReader(io.BytesIO(png.getvalue())), x0, m - 2, width=bw + 4, height=bh + 4)
    c.showPage()
    c.save()
    return out.getvalue()


def render(pdf: bytes, dpi: int, page: int = 0) -> Image.Image:
    """One page of ``pdf`` as a greyscale image at ``dpi``."""
    import pypdfium2 as pdfium

    from planocr.pdf import PDFIUM_LOCK

    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            image = document[page].render(scale=dpi / 72.0, grayscale=True).to_pil().convert("L")
        finally:
            document.close()
    image.info["dpi"] = (dpi, dpi)
    return image


def sheet_image(spec: SheetSpec, dpi: int = 150) -> Image.Image:
    """The sheet as a clean raster."""
    return render(draw_pdf(spec), dpi)


def degrade(image: Image.Image, rng: random.Random) -> Image.Image:
    """Make a clean raster look scanned: slight rotation, blur, noise."""
    angle = rng.uniform(-1.2, 1.2)
    out = image.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255, expand=False)
    out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    noise = Image.effect_noise(out.size, rng.uniform(8, 22))
    out = ImageChops.add(out, noise, scale=1.0, offset=-128)
    out.info["dpi"] = image.info.get("dpi", (150, 150))
    return out


def _image_bytes(image: Image.Image, fmt: str, rng: random.Random) -> bytes:
    out = io.BytesIO()
    dpi = image.info.get("dpi", (150, 150))
    if fmt == "jpg":
        image.save(out, format="JPEG", quality=rng.randint(45, 80), dpi=dpi)
    elif fmt == "pdf":
        image.save(out, format="PDF", resolution=float(dpi[0]))
    else:
        image.save(out, format="PNG", dpi=dpi, compress_level=1)
    return out.getvalue()


def _truth(spec: SheetSpec, file: str, page: int) -> dict:
    return {
        "file": file,
        "page": page,
        "sheet_number": spec.sheet_number,
        "title": spec.truth_title(),
        "scale": spec.scale_truth,
        "layout": spec.layout,
        "language": spec.language,
    }


def write_set(out: Path, count: int, seed: int) -> dict:
    """Write ``count`` sheets to ``out`` with ``truth.json``; returns the truth document."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sheets: list[dict] = []
    made = 0
    index = 0
    while made < count:
        index += 1
        kind = rng.choices(["vector", "vector-set", "raster", "scan"], weights=[40, 10, 25, 25])[0]
        if kind == "vector-set" and count - made >= 3:
            # A small set: one layout, consecutive numbers; exercises document context.
            base = random_spec(rng, seed * 100000 + index, layout=rng.choice([lay for lay in LAYOUTS if lay != "none"]))
            specs = []
            for page in range(3):
                number, _ = _sheet_number(rng, base.language) if page else (base.sheet_number, False)
                label = base.number_label or ("Plan-Nr." if number.isdigit() else None)
                specs.append(replace(base, sheet_number=number, number_split=False, number_label=label,
                                     seed=base.seed + page, sheet_of=None))
            name = f"set-{index:04d}.pdf"
            (out / name).write_bytes(draw_pdf(specs))
            sheets.extend(_truth(s, name, p + 1) for p, s in enumerate(specs))
            made += 3
            continue
        spec = random_spec(rng, seed * 100000 + index)
        if kind in ("raster", "scan"):
            # Rasters on smaller sheets, as scanned sets usually are, to keep OCR time bounded.
            spec = replace(spec, page_size=rng.choice([PAGE_SIZES["ANSI B"], PAGE_SIZES["A3"], PAGE_SIZES["ARCH C"]]))
        pdf = draw_pdf(spec)
        if kind in ("vector", "vector-set"):
            name = f"sheet-{index:04d}.pdf"
            (out / name).write_bytes(pdf)
        else:
            dpi = rng.choice([150, 200]) if spec.page_size[0] < 1500 else 150
            image = render(pdf, dpi)
            if kind == "scan":
                image = degrade(image, rng)
                fmt = rng.choice(["jpg", "jpg", "png", "pdf"])
            else:
                fmt = "png"
            name = f"sheet-{index:04d}.{fmt}"
            (out / name).write_bytes(_image_bytes(image, fmt, rng))
        sheets.append(_truth(spec, name, 1))
        made += 1
    truth = {
        "about": f"Generated by tests.support.sheets (seed {seed}). A null field means: not scored.",
        "sheets": sheets,
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False))
    return truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    truth = write_set(args.out, args.count, args.seed)
    print(f"wrote {len(truth['sheets'])} sheets to {args.out}")


if __name__ == "__main__":
    main()
