"""Title blocks: the classic labelled cells, modern blocks (labelled or label-free) and civil blocks.

Each ``draw_*_block`` function draws the block of a spec on its page and
returns the drawing area left over, as (x0, y0, x1, y1) in top-down points.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from reportlab.pdfgen import canvas as rl_canvas

from testkit.sheets import vocabulary as vocab
from testkit.sheets.pen import Pen
from testkit.sheets.spec import SheetSpec

Area = tuple[float, float, float, float]


# --- classic labelled cells ----------------------------------------------------------------------


@dataclass
class Cell:
    label: str | None
    lines: list[tuple[str, str, float]]  # text, font, size
    align: str = "left"


def _cells(spec: SheetSpec, rng: random.Random) -> dict[str, Cell]:
    regular, bold = spec.fonts
    labels = dict(vocab.DE_LABELS if spec.language == "de" else vocab.EN_LABELS)
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
        size = pen.fit(text, font, size, w - 2 * pad)
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
    for key, ch in zip(keys, heights, strict=False):
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


def corner_box(spec: SheetSpec) -> tuple[float, float]:
    """Width and height of the classic bottom-right block."""
    W, H = spec.page_size
    return max(0.36 * W, 330), max(0.17 * H, 150)


def draw_classic_block(c: rl_canvas.Canvas, pen: Pen, spec: SheetSpec, rng: random.Random, m: float) -> Area:
    """The classic block: every field in a labelled cell, in one of five places."""
    W, H = spec.page_size
    cells = _cells(spec, rng)
    area = (m, m, W - m, H - m)
    strip = max(0.1 * W, 150)
    if spec.layout == "corner":
        bw, bh = corner_box(spec)
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
        _draw_horizontal_strip(Pen(c, 0.0, pen.mode), cells, 0, 0, H - 2 * m, thick, spec)
        c.restoreState()
        area = (m, m, W - m - thick, H - m)
    return area


# --- modern blocks: boxes that may or may not carry labels ---------------------------------------


@dataclass
class Box:
    """A cell of a modern title block: an optional label over lines of text, or a small drawing."""

    label: str | None = None
    lines: list[tuple[str, str, float]] = field(default_factory=list)
    align: str = "left"  # left, center
    valign: str = "top"  # top, center, bottom
    aside: tuple[str, str, float] | None = None  # small text at the right end of the first line
    art: Callable[[Pen, float, float, float, float], None] | None = None
    natural: float = 0.0  # the height an art box wants


def _box_height(box: Box, spec: SheetSpec) -> float:
    if box.art:
        return box.natural
    return 8 + (1.7 * spec.label_size if box.label else 0) + sum(size * 1.3 for _, _, size in box.lines)


def _draw_box(pen: Pen, box: Box, x: float, y: float, w: float, h: float, spec: SheetSpec) -> None:
    pen.rect(x, y, w, h)
    if box.art:
        box.art(pen, x, y, w, h)
        return
    pad = 3.0
    top = y + pad
    if box.label:
        size = pen.fit(box.label, spec.fonts[0], spec.label_size, w - 2 * pad, 3.0)
        pen.text(x + pad, top + size, box.label, spec.fonts[0], size)
        top += 1.7 * spec.label_size
    if not box.lines:
        return
    room_h = y + h - pad - top
    need = sum(size * 1.3 for _, _, size in box.lines)
    shrink = min(1.0, room_h / need) if need else 1.0
    room_w = w - 2 * pad
    aside_w = 0.0
    if box.aside:
        aside_w = pen.width(box.aside[0], box.aside[1], box.aside[2]) + 2 * pad
        room_w -= aside_w
    sizes = [pen.fit(text, font, max(3.5, size * shrink), room_w, 3.5) for text, font, size in box.lines]
    height = sum(s * 1.3 for s in sizes)
    if box.valign == "center":
        cursor = top + max(0.0, (room_h - height) / 2)
    elif box.valign == "bottom":
        cursor = top + max(0.0, room_h - height)
    else:
        cursor = top
    first_baseline = None
    for (text, font, _), size in zip(box.lines, sizes, strict=False):
        cursor += size * 1.05
        first_baseline = first_baseline or cursor
        if box.align == "center":
            pen.text(x + (w - aside_w) / 2, cursor, text, font, size, "center")
        else:
            pen.text(x + pad, cursor, text, font, size)
        cursor += 0.25 * size
    if box.aside and first_baseline:
        pen.text(x + w - pad, first_baseline, *box.aside, align="right")


def _stamp_art(spec: SheetSpec, rng: random.Random) -> Callable[[Pen, float, float, float, float], None]:
    head, region = vocab.STAMPS.get(spec.language, vocab.STAMPS["en"])
    name = rng.choice(vocab.STAMP_NAMES)
    licence = f"No. {rng.randint(1000, 99999)}"
    regular = spec.fonts[0]

    def draw(pen: Pen, x: float, y: float, w: float, h: float) -> None:
        r = min(w, h) * 0.42
        cx, cy = x + w / 2, y + h / 2
        pen.circle(cx, cy, r, 0.8)
        pen.circle(cx, cy, r * 0.8, 0.5)
        size = max(3.0, r * 0.13)
        for i, line in enumerate((head, name, licence, region)):
            text_size = pen.fit(line, regular, size, 1.5 * r, 2.5)
            pen.text(cx, cy + (i - 1.5) * size * 1.5 + size * 0.4, line, regular, text_size, "center")

    return draw


def _revisions_art(spec: SheetSpec, rng: random.Random) -> Callable[[Pen, float, float, float, float], None]:
    heads = vocab.REVISION_HEADS.get(spec.language, vocab.REVISION_HEADS["en"])
    lang = vocab.LANGUAGE[spec.language]
    notes = vocab.EN_REVISIONS if spec.language == "en" else lang.phases
    rows = [(str(i + 1), rng.choice(notes), vocab.date_text(rng, lang)) for i in range(rng.randint(1, 3))]
    regular = spec.fonts[0]

    def draw(pen: Pen, x: float, y: float, w: float, h: float) -> None:
        n = 6
        rh = h / n
        cols = (x, x + w * 0.14, x + w * 0.7, x + w)
        for i in range(1, n):
            pen.line(x, y + i * rh, x + w, y + i * rh, 0.3)
        for cx in cols[1:-1]:
            pen.line(cx, y, cx, y + h, 0.3)
        size = min(5.5, rh * 0.6)
        for j, head in enumerate(heads):
            pen.text(cols[j] + 2, y + rh * 0.75, head, regular, pen.fit(head, regular, size, cols[j + 1] - cols[j] - 3, 2.5))
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                pen.text(cols[j] + 2, y + rh * (i + 1.75), value, regular,
                         pen.fit(value, regular, size, cols[j + 1] - cols[j] - 3, 2.5))

    return draw


def _modern_boxes(spec: SheetSpec, rng: random.Random) -> dict[str, Box]:
    """The cells of a modern block; label-free blocks leave the title, number and scale unlabelled."""
    lang = vocab.LANGUAGE[spec.language]
    labelled = spec.block_style == "labelled"
    bare_others = not labelled and rng.random() < 0.65

    def label(key: str) -> str | None:
        if not labelled and (key in ("title", "number", "scale") or bare_others):
            return None
        return rng.choice(lang.labels[key])

    regular, bold = spec.fonts
    vs = spec.value_size
    boxes: dict[str, Box] = {}
    firm_address = rng.choice(lang.addresses)
    boxes["firm"] = Box(None, [(spec.firm, bold, vs + 1.5), (firm_address, regular, vs - 1.5),
                               (f"T {rng.randint(200, 989)} {rng.randint(200, 989)} {rng.randint(1000, 9999)}", regular, vs - 1.5)])
    project_lines = vocab.title_lines(spec.project_name, 2 if len(spec.project_name) > 22 else 1)
    boxes["project"] = Box(label("project"), [(line, bold, vs + 2) for line in project_lines]
                           + [(spec.address or rng.choice(lang.addresses), regular, vs - 0.5)], align="center" if not labelled else "left")
    if spec.client:
        boxes["client"] = Box(label("client"), [(spec.client, regular, vs)])
    if rng.random() < 0.6:
        boxes["revisions"] = Box(art=_revisions_art(spec, rng), natural=48)
    if spec.stamp:
        boxes["stamp"] = Box(art=_stamp_art(spec, rng), natural=70)
    boxes["project_number"] = Box(label("project_number"), [(spec.project_number, regular, vs)])
    boxes["date"] = Box(label("date"), [(spec.date, regular, vs)])
    boxes["drawn"] = Box(label("drawn"), [(spec.drawn_by, regular, vs)])
    boxes["checked"] = Box(label("checked"), [(spec.checked_by, regular, vs)])
    if spec.scale:
        boxes["scale"] = Box(label("scale"), [(spec.scale, regular, vs)])
    if spec.phase:
        boxes["phase"] = Box(label("phase"), [(spec.phase, regular, vs)])
    if spec.paper:
        boxes["paper"] = Box(label("paper"), [(spec.paper, regular, vs)])
    if spec.inline_fields:
        # "DATA: 14/07/2017  SCALA: 1:50" / "REV: A  FORMATO: A1": labels and values on one line.
        def pair(key: str, value: str) -> str:
            return f"{lang.labels[key][0].rstrip(':').rstrip()}: {value}"

        first = [pair("date", spec.date)] + ([pair("scale", spec.scale)] if spec.scale else [])
        second = [pair("revision", spec.revision)] + ([pair("paper", spec.paper)] if spec.paper else [])
        boxes["footer"] = Box(None, [("   ".join(first), regular, vs), ("   ".join(second), regular, vs)])
        for key in ("date", "scale", "paper"):
            boxes.pop(key, None)
    drawn_title = list(spec.title)
    if spec.number_style == "in-title" and drawn_title:
        drawn_title[-1] = f"{drawn_title[-1]}: {spec.sheet_number}"
    boxes["title"] = Box(label("title"), [(line, bold, spec.title_size) for line in drawn_title],
                         align=rng.choice(["left", "center"]), valign="top" if labelled else "bottom")
    if spec.sheet_number and spec.number_style == "cell":
        lines = [(spec.sheet_number, bold, spec.number_size)]
        aside = None
        if spec.number_date and spec.number_date_place == "beside":
            aside = (spec.number_date, regular, vs)
        elif spec.number_date:
            lines.append((spec.number_date, regular, vs))
        boxes["number"] = Box(label("number"), lines, align="center", valign="center", aside=aside)
    if spec.sheet_of:
        word, of = lang.sheet_of
        boxes["sheet_of"] = Box(None, [(f"{word} {spec.sheet_of[0]} {of} {spec.sheet_of[1]}", regular, vs)], align="center")
    return boxes


_INFO = ("project_number", "date", "drawn", "checked", "scale", "phase", "paper", "footer")


def _consultants_art(spec: SheetSpec, rng: random.Random) -> Callable[[Pen, float, float, float, float], None] | None:
    if spec.language != "en" or rng.random() < 0.5:
        return None
    names = rng.sample(vocab.CONSULTANTS, rng.randint(2, 4))

    def draw(pen: Pen, x: float, y: float, w: float, h: float) -> None:
        for i, name in enumerate(names):
            pen.text(x + 4, y + 12 + 9 * i, name, spec.fonts[0], pen.fit(name, spec.fonts[0], 5.5, w - 8, 3.0))

    return draw


def _draw_modern_vertical(pen: Pen, spec: SheetSpec, rng: random.Random, boxes: dict[str, Box],
                          x: float, y: float, w: float, h: float) -> None:
    """Cells stacked top to bottom, the title right above the number at the foot of the strip."""
    groups: list[list[str]] = [["firm"], ["<filler>"]]
    info = [k for k in _INFO if k in boxes]
    if spec.crowded:
        groups += [["client"]] if "client" in boxes else []
        groups += [["revisions"]] if "revisions" in boxes else []
        groups += [info[i:i + 2] for i in range(0, len(info), 2)]
        groups += [["project"], ["title", "stamp"] if "stamp" in boxes else ["title"]]
    else:
        groups += [["project"]] + ([["client"]] if "client" in boxes else [])
        groups += [["revisions"]] if "revisions" in boxes else []
        groups += [["stamp"]] if "stamp" in boxes else []
        groups += [info[i:i + 2] for i in range(0, len(info), 2)]
        groups += [["title"]]
    groups += [["number"]] if "number" in boxes else []
    groups += [["sheet_of"]] if "sheet_of" in boxes else []
    art = _consultants_art(spec, rng)
    boxes = dict(boxes, **{"<filler>": Box(art=art, natural=0) if art else Box()})
    heights = []
    for group in groups:
        natural = max(_box_height(boxes[k], spec) for k in group)
        heights.append(natural * (1.25 if group[0] in ("title", "number") else 1.0))
    fixed = sum(hh for g, hh in zip(groups, heights, strict=False) if g[0] != "<filler>")
    spare = h - fixed
    if spare < 0:
        heights = [hh * h / fixed for hh in heights]
        spare = 0
    heights[1] = spare
    pen.rect(x, y, w, h, 1.2)
    top = y
    for group, gh in zip(groups, heights, strict=False):
        if group == ["title", "stamp"]:
            _draw_box(pen, boxes["title"], x, top, w * 0.62, gh, spec)
            _draw_box(pen, boxes["stamp"], x + w * 0.62, top, w * 0.38, gh, spec)
        else:
            bw = w / len(group)
            for i, key in enumerate(group):
                _draw_box(pen, boxes[key], x + i * bw, top, bw, gh, spec)
        top += gh


def _draw_modern_horizontal(pen: Pen, spec: SheetSpec, boxes: dict[str, Box], x: float, y: float, w: float, h: float,
                            corner: bool) -> None:
    """Columns left to right, each a stack of cells; the title sits on the number in the last column."""
    info = [k for k in _INFO if k in boxes]
    per = 3 if corner else 4
    info_cols = [(info[i:i + per], 0.13) for i in range(0, len(info), per)]
    title_col = ["title"] + (["number"] if "number" in boxes else []) + (["sheet_of"] if "sheet_of" in boxes else [])
    columns: list[tuple[list[str], float]]
    if spec.crowded:
        columns = [(["firm"] + (["client"] if "client" in boxes else []), 0.15), *info_cols, (["project"], 0.17),
                   (["title"], 0.24)]
        columns += [(["stamp"], 0.09)] if "stamp" in boxes else []
        tail = [k for k in title_col if k != "title"]
        columns += [(tail, 0.12)] if tail else []
    elif corner:
        columns = [(["firm", "project"], 0.3)]
        columns += [(["stamp"], 0.12)] if "stamp" in boxes else []
        columns += [(info[i:i + per], 0.17) for i in range(0, len(info), per)] + [(title_col, 0.34)]
    else:
        columns = [(["firm"], 0.15), (["project"] + (["client"] if "client" in boxes else []), 0.18)]
        columns += [(["revisions"], 0.14)] if "revisions" in boxes else []
        columns += [(["stamp"], 0.08)] if "stamp" in boxes else []
        columns += info_cols + [(title_col, 0.24)]
    total = sum(weight for _, weight in columns)
    pen.rect(x, y, w, h, 1.2)
    cursor = x
    for keys, weight in columns:
        cw = w * weight / total
        if keys == title_col and "number" in keys:
            shares = {"title": 0.55, "number": 0.45, "sheet_of": 0.0}
            if "sheet_of" in keys:
                shares = {"title": 0.5, "number": 0.36, "sheet_of": 0.14}
        else:
            natural = {k: _box_height(boxes[k], spec) or 1.0 for k in keys}
            shares = {k: v / sum(natural.values()) for k, v in natural.items()}
        top = y
        for key in keys:
            ch = h * shares[key]
            _draw_box(pen, boxes[key], cursor, top, cw, ch, spec)
            top += ch
        cursor += cw


def draw_modern_block(c: rl_canvas.Canvas, pen: Pen, spec: SheetSpec, rng: random.Random, m: float) -> Area:
    """A modern block (labelled or label-free) along the right or left edge, at the bottom, or in the corner."""
    W, H = spec.page_size
    boxes = _modern_boxes(spec, rng)
    strip = max(0.1 * W, 150)
    if spec.layout in ("right", "left"):
        x = W - m - strip if spec.layout == "right" else m
        _draw_modern_vertical(pen, spec, rng, boxes, x, m, strip, H - 2 * m)
        return (m, m, W - m - strip, H - m) if spec.layout == "right" else (m + strip, m, W - m, H - m)
    if spec.layout == "bottom":
        bh = max(0.1 * H, 100)
        _draw_modern_horizontal(pen, spec, boxes, m, H - m - bh, W - 2 * m, bh, corner=False)
        return (m, m, W - m, H - m - bh)
    if spec.layout == "right-rotated":
        thick = max(0.08 * W, 110)
        c.saveState()
        c.translate(W - m - thick, m)
        c.rotate(90)
        _draw_modern_horizontal(Pen(c, 0.0, pen.mode), spec, boxes, 0, 0, H - 2 * m, thick, corner=False)
        c.restoreState()
        return (m, m, W - m - thick, H - m)
    bw, bh = max(0.42 * W, 380), max(0.18 * H, 160)
    _draw_modern_horizontal(pen, spec, boxes, W - m - bw, H - m - bh, bw, bh, corner=True)
    return (m, m, W - m, H - m - bh)


# --- civil (highway department) blocks -----------------------------------------------------------


def civil_box(spec: SheetSpec) -> tuple[float, float]:
    W, H = spec.page_size
    return max(0.3 * W, 330), max(0.16 * H, 150)


def draw_civil_block(c: rl_canvas.Canvas, pen: Pen, spec: SheetSpec, rng: random.Random, m: float) -> Area:
    """A highway department block: agency, a large title, lines about the structure, a sign-off row.

    No field is labelled but the sign-off row; the sheet number is only in the
    bubble at the top-right corner of the sheet.
    """
    W, H = spec.page_size
    regular, bold = spec.fonts
    bw, bh = civil_box(spec)
    x, y = W - m - bw, H - m - bh
    pen.rect(x, y, bw, bh, 1.4)
    cx = x + bw / 2
    row_h = bh * 0.17
    cursor = y + 4
    agency_size = bh * 0.05
    for i, line in enumerate(spec.agency):
        size = agency_size * (1.15 if i == 0 else 0.9)
        cursor += size * 1.2
        pen.text(cx, cursor, line, regular, pen.fit(line, regular, size, bw - 10), "center")
    cursor += 5
    pen.line(x, cursor, x + bw, cursor, 1.0)
    title = spec.truth_title()
    size = pen.fit(title, bold, min(spec.title_size * 2.0, bh * 0.13), bw - 16)
    sub_size = bh * 0.062
    lines = spec.subtitle[:-1]
    room = (y + bh - row_h - sub_size * 1.6) - cursor - size * 1.3
    step = min(sub_size * 1.9, max(sub_size * 1.2, room / max(1, len(lines))))
    cursor += size * 1.3
    pen.text(cx, cursor, title, bold, size, "center")
    for line in lines:
        cursor += step
        pen.text(cx, cursor, line, regular, pen.fit(line, regular, sub_size, bw - 16), "center")
    if spec.subtitle:
        county, station = spec.subtitle[-1].split("|")
        base = y + bh - row_h - 5
        pen.text(x + 4, base, county.strip(), regular, sub_size)
        pen.text(x + bw - 4, base, station.strip(), regular, sub_size, "right")
    top = y + bh - row_h
    pen.line(x, top, x + bw, top, 1.0)
    heads = ("DESIGNED", "DRAWN", "TRACED", "CHECKED", "REVIEWED", "DATE", "REVISED")
    date = spec.date
    values = (rng.choice(vocab.CIVIL_SIGNERS), rng.choice(vocab.CIVIL_SIGNERS), "", rng.choice(vocab.CIVIL_SIGNERS),
              rng.choice(vocab.CIVIL_SIGNERS), date, spec.revision)
    cw = bw / len(heads)
    pen.line(x, top + row_h * 0.4, x + bw, top + row_h * 0.4, 0.5)
    for i, (head, value) in enumerate(zip(heads, values, strict=False)):
        hx = x + i * cw
        if i:
            pen.line(hx, top, hx, y + bh, 0.5)
        pen.text(hx + cw / 2, top + row_h * 0.3, head, regular, pen.fit(head, regular, row_h * 0.25, cw - 4, 3), "center")
        pen.text(hx + cw / 2, top + row_h * 0.85, value, regular, pen.fit(value, regular, row_h * 0.35, cw - 4, 3), "center")
    return (m, m, W - m, H - m)


def draw_number_bubble(pen: Pen, spec: SheetSpec, rng: random.Random, m: float) -> tuple[float, float, float, float]:
    """The sheet number over the sheet count in a double circle at the top-right corner; returns its box."""
    W, _ = spec.page_size
    regular, _ = spec.fonts
    r = max(18.0, W * 0.012)
    cx, cy = W - m - r - 12, m + r + 12
    pen.circle(cx, cy, r, 1.2)
    pen.circle(cx, cy, r * 0.86, 0.8)
    pen.line(cx - r * 0.86, cy, cx + r * 0.86, cy, 0.8)
    size = r * 0.62
    pen.text(cx, cy - r * 0.14, spec.sheet_number, regular, size, "center")
    pen.text(cx, cy + r * 0.62, str(spec.sheet_total or ""), regular, size, "center")
    # The small project table that sits beside the bubble on highway sheets.
    tw, th = r * 9, r * 1.5
    tx, ty = cx - r - 14 - tw, cy - th / 2
    heads = ("COUNTY", "ROUTE", "SECTION", "PROJECT")
    values = (rng.choice(("FRA", "HAR", "MAR", "DEL", "LAK")), str(rng.randint(1, 99)),
              f"{rng.randint(1, 40)}.{rng.randint(10, 99)}", f"FI-{rng.randint(10, 99)}-{rng.randint(1, 9)}({rng.randint(10, 99)}){rng.randint(100, 199)}")
    widths = (0.18, 0.16, 0.22, 0.44)
    pen.rect(tx, ty, tw, th, 1.0)
    pen.line(tx, ty + th * 0.45, tx + tw, ty + th * 0.45, 0.5)
    hx = tx
    for head, value, share in zip(heads, values, widths, strict=False):
        cw = tw * share
        if hx > tx:
            pen.line(hx, ty, hx, ty + th, 0.5)
        pen.text(hx + cw / 2, ty + th * 0.33, head, regular, pen.fit(head, regular, th * 0.22, cw - 3, 3), "center")
        pen.text(hx + cw / 2, ty + th * 0.88, value, regular, pen.fit(value, regular, th * 0.34, cw - 3, 3), "center")
        hx += cw
    return (cx - r, cy - r, cx + r, cy + r)
