"""What fills a sheet besides its title block, and the pages that have no title block at all.

The drawing area carries the usual look-alikes of title-block text: grid
bubbles, callouts naming other sheets, view titles with their scales, notes
under a heading, room numbers, bar marks and stations on civil sheets, a
drawing index on cover sheets. Pages without a block (a drawing list, a
specification page, a map) are drawn whole here.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter
from reportlab.lib.utils import ImageReader

from testkit.sheets import vocabulary as vocab
from testkit.sheets.pen import Pen
from testkit.sheets.spec import SheetSpec

Area = tuple[float, float, float, float]


def _view_scale_text(spec: SheetSpec, scale: str, rng: random.Random) -> str:
    if spec.kind == "labelled":  # the classic sheets: English "SCALE: ...", German "M 1:50"
        label = "SCALE: " if spec.language == "en" else "M "
        return (label + scale) if not scale.startswith("1:") or spec.language == "en" else f"M {scale}"
    return f"{rng.choice(vocab.LANGUAGE[spec.language].view_scale)} {scale}"


def draw_distractors(pen: Pen, spec: SheetSpec, rng: random.Random, area: Area) -> None:
    """Grid bubbles, a plan outline with rooms, view titles with scales, callouts and notes."""
    x0, y0, x1, y1 = area
    regular, bold = spec.fonts
    lang = vocab.LANGUAGE.get(spec.language, vocab.EN)
    classic = spec.kind == "labelled"
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
    for i, room in enumerate(rng.sample(list(lang.rooms), 3)):
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
        # the lower half names the sheet the view is on; a sheet without a number leaves it blank
        pen.text(vx + 10, vy + 7, spec.sheet_number, regular, 5, "center")
        pen.text(vx + 26, vy + 3, view, bold, 10)
        pen.text(vx + 26, vy + 13, _view_scale_text(spec, scale, rng), regular, 6.5)
    # a detail callout to another sheet, and notes that name other sheets
    cx, cy = bx1 - 40, by0 + 30
    pen.circle(cx, cy, 11)
    pen.line(cx - 11, cy, cx + 11, cy, 0.5)
    pen.text(cx, cy - 2, str(rng.randint(1, 9)), bold, 7, "center")
    pen.text(cx, cy + 8, f"{rng.choice('ASM')}-{rng.randint(500, 599)}", regular, 5.5, "center")
    nx = x0 + (x1 - x0) * 0.62
    ny = y0 + 40
    if classic:
        heading = "GENERAL NOTES" if spec.language == "en" else "Allgemeine Hinweise"
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
    else:
        heading = rng.choice(lang.notes_heading)
        picked = rng.sample(list(lang.notes), min(len(lang.notes), rng.randint(3, 4)))
        if spec.language == "en":
            picked.insert(1, f"SEE {rng.randint(1, 9)}/{vocab.modern_sheet_number(rng)} FOR TYPICAL DETAILS.")
        notes = [f"{i + 1}. {note}" for i, note in enumerate(picked)]
    pen.text(nx, ny, heading, bold, 8)
    for i, note in enumerate(notes):
        pen.text(nx, ny + 11 * (i + 1), note, regular, 6)
    # a revision cloud tag
    tx, ty = bx0 + 30, by1 - 20
    pen.line(tx - 7, ty + 5, tx + 7, ty + 5, 0.6)
    pen.line(tx - 7, ty + 5, tx, ty - 7, 0.6)
    pen.line(tx + 7, ty + 5, tx, ty - 7, 0.6)
    pen.text(tx, ty + 3, spec.revision, regular, 6, "center")
    if not classic and rng.random() < 0.6:
        _north_arrow(pen, regular, x1 - 80, y1 - 70, 14)


def _north_arrow(pen: Pen, font: str, x: float, y: float, r: float) -> None:
    pen.circle(x, y, r, 0.6)
    pen.line(x, y - r * 1.3, x, y + r, 0.8)
    pen.line(x, y - r * 1.3, x - r * 0.4, y - r * 0.5, 0.8)
    pen.line(x, y - r * 1.3, x + r * 0.4, y - r * 0.5, 0.8)
    pen.text(x, y - r * 1.45, "N", font, r * 0.7, "center")


# --- civil sheets ----------------------------------------------------------------------------------


def draw_civil_area(pen: Pen, spec: SheetSpec, rng: random.Random, area: Area, block: tuple[float, float]) -> None:
    """Views of a structure with stations, elevations and bar marks, each titled and scaled; general notes."""
    x0, y0, x1, y1 = area
    regular, bold = spec.fonts
    bw, bh = block
    right = x1 - bw * 0.7  # the notes column sits above the block
    count = len(spec.views)
    cols = 1 if count == 1 else 2
    rows = (count + cols - 1) // cols
    cell_w, cell_h = (right - x0 - 40) / cols, (y1 - y0 - 60) / rows
    for index, (view, scale) in enumerate(spec.views):
        col, row = index % cols, index // cols
        vw, vh = cell_w * 0.78, cell_h * 0.52
        vx0 = x0 + 50 + col * cell_w + (cell_w - vw) * 0.3
        vy0 = y0 + 60 + row * cell_h
        pen.rect(vx0, vy0, vw, vh, 1.4)
        pen.rect(vx0 + vw * 0.08, vy0 + vh * 0.1, vw * 0.84, vh * 0.8, 0.6)
        for k in range(1, rng.randint(3, 7)):
            px = vx0 + k * vw / 7
            pen.dashed(px, vy0 - 12, px, vy0 + vh + 12, 0.4)
        for k in range(rng.randint(3, 8)):
            py = vy0 + vh * (0.15 + 0.7 * k / 8)
            pen.line(vx0 + vw * 0.1, py, vx0 + vw * 0.9, py, 0.3)
        pen.line(vx0, vy0 - 18, vx0 + vw, vy0 - 18, 0.4)
        for tick in (vx0, vx0 + vw):
            pen.line(tick, vy0 - 22, tick, vy0 - 14, 0.4)
        pen.text(vx0 + vw / 2, vy0 - 21, f"{rng.randint(4, 60)}'-{rng.randint(0, 11)} {rng.choice(['1/4', '3/4', '1/2'])}\"", regular, 7, "center")
        pen.text(vx0 + vw + 8, vy0 + vh * 0.3 + 3, f"ELEV. {rng.randint(700, 990)}.{rng.randint(10, 99)}", regular, 6.5)
        pen.text(vx0 - 6, vy0 + vh + 14, f"STA. {rng.randint(10, 400)}+{rng.randint(0, 99):02d}.{rng.randint(0, 99):02d}", regular, 6.5)
        for _ in range(rng.randint(3, 6)):
            mark = f"A-{rng.choice([5, 6, 7])}{rng.randint(0, 9):02d}"
            mx, my = vx0 + vw * rng.uniform(0.1, 0.9), vy0 + vh * rng.uniform(0.3, 0.9)
            pen.line(mx, my, mx + 16, my - 8, 0.4)
            pen.text(mx + 18, my - 8, mark, regular, 6.5)
        ty = vy0 + vh + 36
        size = rng.uniform(9, 13)
        pen.text(vx0 + vw / 2, ty, view, bold, size, "center")
        width = pen.width(view, bold, size)
        pen.line(vx0 + vw / 2 - width / 2, ty + 2, vx0 + vw / 2 + width / 2, ty + 2, 0.7)
        pen.text(vx0 + vw / 2, ty + 13, f"SCALE: {scale}", regular, 7.5, "center")
    nx, ny = right + 20, y0 + 110
    pen.text(nx, ny, rng.choice(["GENERAL NOTES", "NOTES"]), bold, 8)
    notes = ["CONCRETE SHALL BE CLASS C UNLESS NOTED.", "REINFORCING STEEL SHALL BE GRADE 60.",
             "ALL EXPOSED EDGES SHALL BE CHAMFERED 3/4\".", f"SEE SHEET {rng.randint(1, 30)} FOR BAR SCHEDULE.",
             "ELEVATIONS ARE BASED ON U.S.G.S. DATUM."]
    for i, note in enumerate(rng.sample(notes, 4)):
        pen.text(nx, ny + 10 * (i + 1), f"{i + 1}. {note}", regular, 6.5)


# --- cover sheets ----------------------------------------------------------------------------------


def draw_cover_area(pen: Pen, spec: SheetSpec, rng: random.Random, area: Area) -> None:
    """The project's name large, its phase and team, a vicinity map, and the drawing index."""
    x0, y0, x1, y1 = area
    regular, bold = spec.fonts
    lang = vocab.LANGUAGE[spec.language]
    left = x0 + (x1 - x0) * 0.05
    width = (x1 - x0) * 0.5
    name_lines = vocab.title_lines(spec.project_name, 2 if len(spec.project_name) > 20 else 1)
    size = min(40.0, width / 14)
    cursor = y0 + 40
    for line in name_lines:
        cursor += size * 1.2
        pen.text(left + width / 2, cursor, line, bold, pen.fit(line, bold, size, width), "center")
    cursor += size * 0.9
    pen.text(left + width / 2, cursor, rng.choice(lang.phases), bold, size * 0.45, "center")
    cursor += size * 0.7
    pen.text(left + width / 2, cursor, spec.address or rng.choice(lang.addresses), regular, size * 0.3, "center")
    # the project team
    team_y = cursor + 40
    for i, (role, name) in enumerate([(lang.labels["client"][0].rstrip(":"), spec.client or rng.choice(lang.clients)),
                                      (lang.labels["firm"][0], spec.firm)]):
        pen.text(left, team_y + i * 22, role, bold, 7)
        pen.text(left, team_y + i * 22 + 9, name, regular, 7)
    # a vicinity map
    mx, my, mw, mh = left, team_y + 60, width * 0.55, (y1 - team_y) * 0.4
    if my + mh < y1 - 20:
        pen.rect(mx, my, mw, mh, 0.8)
        for _ in range(5):
            if rng.random() < 0.5:
                yy = my + rng.uniform(0.1, 0.9) * mh
                pen.line(mx, yy, mx + mw, yy, rng.choice([0.6, 1.5]))
            else:
                xx = mx + rng.uniform(0.1, 0.9) * mw
                pen.line(xx, my, xx, my + mh, rng.choice([0.6, 1.5]))
        pen.circle(mx + mw * 0.6, my + mh * 0.45, 6, 1.2)
        pen.text(mx, my + mh + 10, "VICINITY MAP" if spec.language == "en" else lang.index_heads[0].split()[0], bold, 7)
    # the drawing index, with the usual column heads
    tx = x0 + (x1 - x0) * 0.6
    tw = (x1 - x0) * 0.36
    head, number_head, title_head = lang.index_heads
    grow = max(1.0, (x1 - x0) / 1600) ** 0.6  # larger sheets print the index larger
    row, size = 11.0 * grow, 6.5 * grow
    ty = y0 + 50
    pen.text(tx, ty, head, bold, 10 * grow)
    ty += 8
    cols = (tx, tx + tw * 0.25, tx + tw)
    pen.rect(tx, ty, tw, row * (len(spec.index) + 1), 0.8)
    pen.line(cols[1], ty, cols[1], ty + row * (len(spec.index) + 1), 0.5)
    pen.text(cols[0] + 3, ty + row * 0.75, number_head, bold, size)
    pen.text(cols[1] + 3, ty + row * 0.75, title_head, bold, size)
    for i, (number, title) in enumerate(spec.index):
        yy = ty + row * (i + 1)
        pen.line(tx, yy, tx + tw, yy, 0.3)
        pen.text(cols[0] + 3, yy + row * 0.75, number, regular, size)
        pen.text(cols[1] + 3, yy + row * 0.75, title, regular, pen.fit(title, regular, size, cols[2] - cols[1] - 6))


# --- pages without a title block -------------------------------------------------------------------


def draw_drawing_list_page(pen: Pen, spec: SheetSpec, rng: random.Random) -> None:
    """A sheet index on its own page: numbers, levels, titles and scales in a table; no title block."""
    W, H = spec.page_size
    regular, bold = spec.fonts
    lang = vocab.LANGUAGE[spec.language]
    m = 0.01 * W
    pen.rect(m, m, W - 2 * m, H - 2 * m, 0.8)
    x = W * rng.uniform(0.02, 0.06)
    y = H * rng.uniform(0.15, 0.22)
    row = rng.uniform(12, 15)
    size = row * 0.5
    heads = ("", rng.choice([lang.index_heads[1], "SHEET NO.", "NUMBER"]), "LEVEL",
             rng.choice([lang.index_heads[2], "SHEET TITLE", "NAME"]), rng.choice(["SCALE", lang.labels["scale"][0]]))
    widths = (0.05, 0.1, 0.08, 0.3, 0.12)
    table_w = W * 0.5
    ticks = rng.randint(3, 5)
    tick_w = table_w * 0.025
    date = vocab.date_text(rng, lang)
    issue = rng.choice(["ISSUED FOR BID", "1st Drawing Set", "ISSUED FOR PERMIT", "Cost Estimate Set"])
    for k in range(ticks):  # the stair of issue lines above the tick columns
        lx = x + table_w * sum(widths) / sum(widths) + k * tick_w
        top = y - 20 - (ticks - k) * row * 0.9
        pen.line(lx + tick_w / 2, y, lx + tick_w / 2, top, 0.4)
        pen.line(x + table_w * 0.12, top, lx + tick_w / 2, top, 0.4)
    pen.text(x + table_w * 0.13, y - 20 - ticks * row * 0.9 - 3, f"{date} - {issue}", regular, size)
    pen.text(x + 3, y - 4, rng.choice([lang.index_heads[0], "Drawing List", "SHEET INDEX"]), regular, size * 1.4)
    cols = [x]
    for share in widths:
        cols.append(cols[-1] + table_w * share / sum(widths))
    rows = len(spec.index) + 1
    scales = ("NTS", "1:100", "1:50", "(A3)1/150", '1/8" = 1\'-0"', "AS NOTED", "--")
    right = cols[-1] + ticks * tick_w
    for i in range(rows + 1):
        pen.line(x, y + i * row, right, y + i * row, 0.5)
    for cx in cols + [cols[-1] + k * tick_w for k in range(1, ticks + 1)]:
        pen.line(cx, y, cx, y + rows * row, 0.5)
    for j, head in enumerate(heads):
        pen.text(cols[j] + 3, y + row * 0.7, head, regular, size)
    for i, (number, title) in enumerate(spec.index):
        base = y + row * (i + 1.7)
        values = (f"{i + 1:02d}", number, rng.choice(vocab.LEVELS), title, rng.choice(scales))
        for j, value in enumerate(values):
            pen.text(cols[j] + 3, base, value, regular, pen.fit(value, regular, size, cols[j + 1] - cols[j] - 5, 3))
        for k in range(ticks):
            mark = "\u2022" if k == 0 or rng.random() < 0.3 else "--"
            pen.text(cols[-1] + (k + 0.5) * tick_w, base, mark, regular, size, "center")


_SPEC_SECTIONS = (("03 30 00", "CAST-IN-PLACE CONCRETE"), ("09 91 23", "INTERIOR PAINTING"), ("04 20 00", "UNIT MASONRY"),
                  ("08 71 00", "DOOR HARDWARE"), ("07 92 00", "JOINT SEALANTS"), ("05 12 00", "STRUCTURAL STEEL FRAMING"))
_SPEC_ARTICLES = ("SUMMARY", "REFERENCES", "SUBMITTALS", "QUALITY ASSURANCE", "DELIVERY, STORAGE, AND HANDLING",
                  "FIELD CONDITIONS", "WARRANTY", "MATERIALS", "EXAMINATION", "PREPARATION", "INSTALLATION",
                  "FIELD QUALITY CONTROL", "CLEANING AND PROTECTION")
_SPEC_SENTENCES = (
    "This Section includes the materials, installation and testing of the work shown on the Drawings.",
    "Comply with the requirements of the applicable building code and the standards referenced in this Section.",
    "Submit product data for each type of product, including the manufacturer's written installation instructions.",
    "Deliver materials in the manufacturer's original packages with labels intact, and store them off the ground.",
    "Coordinate the work of this Section with adjacent construction so that the schedule is not delayed.",
    "Do not proceed with installation until conditions found unsatisfactory have been corrected.",
    "Protect finished surfaces from damage by other trades until the Owner's final acceptance.",
    "Clean surfaces of dust, oil, curing compounds and other contaminants before application.",
    "Remove and replace work that does not comply with the specified requirements, at no cost to the Owner.",
    "Provide a mockup of each typical condition for the Architect's review before starting the work.",
    "The Installer agrees to repair or replace defective work within the specified warranty period.",
    "Maintain temperature and humidity within the limits recommended by the manufacturer during the work.",
    "Tolerances shall not exceed those permitted by the referenced standard for the class of work specified.",
    "Where conflicts occur between referenced standards, the more stringent requirement shall govern.",
)


def _wrap(pen: Pen, text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and pen.width(candidate, font, size) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + ([line] if line else [])


def draw_spec_page(pen: Pen, spec: SheetSpec, rng: random.Random) -> None:
    """A page of a project manual: a section's running prose in parts, articles and paragraphs."""
    W, H = spec.page_size
    regular, bold = spec.fonts
    number, name = rng.choice(_SPEC_SECTIONS)
    margin = 72.0
    size = rng.uniform(8.5, 10)
    pen.text(margin, 40, spec.project_name, regular, 7)
    pen.text(W - margin, 40, spec.date, regular, 7, "right")
    pen.line(margin, 46, W - margin, 46, 0.4)
    y = margin + 10
    page = rng.randint(1, 9)
    if page == 1:
        pen.text(W / 2, y, f"SECTION {number} - {name}", bold, size + 1, "center")
        y += size * 3
    part = rng.randint(1, 3)
    article = rng.randint(1, 4)
    pen.text(margin, y, f"PART {part} - {['GENERAL', 'PRODUCTS', 'EXECUTION'][part - 1]}", bold, size)
    y += size * 2
    while y < H - margin - 40:
        pen.text(margin, y, f"{part}.{article}", bold, size)
        pen.text(margin + 36, y, rng.choice(_SPEC_ARTICLES), bold, size)
        y += size * 1.8
        for letter in "ABCD"[: rng.randint(2, 4)]:
            text = " ".join(rng.sample(_SPEC_SENTENCES, rng.randint(1, 3)))
            lines = _wrap(pen, text, regular, size, W - 2 * margin - 54)
            pen.text(margin + 36, y, f"{letter}.", regular, size)
            for line in lines:
                pen.text(margin + 54, y, line, regular, size)
                y += size * 1.3
            y += size * 0.6
            if y > H - margin - 40:
                break
        article += 1
    pen.line(margin, H - 50, W - margin, H - 50, 0.4)
    pen.text(W / 2, H - 38, f"{name}    {number} - {page}", regular, 7.5, "center")


def aerial_texture(rng: random.Random, width: int, height: int) -> Image.Image:
    """A greyscale image that looks like an aerial photo: fields, woods, soil, all from ``rng``."""
    image = Image.new("L", (width, height), 150)
    for share, cell in ((0.55, 48), (0.3, 14), (0.2, 4)):
        sw, sh = max(2, width // cell), max(2, height // cell)
        noise = Image.frombytes("L", (sw, sh), rng.randbytes(sw * sh)).resize((width, height), Image.Resampling.BICUBIC)
        image = Image.blend(image, noise, share)
    fields = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(fields)
    for _ in range(rng.randint(6, 14)):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        rw, rh = rng.uniform(0.05, 0.2) * width, rng.uniform(0.05, 0.2) * height
        draw.polygon([(cx - rw, cy - rh), (cx + rw, cy - rh * 0.8), (cx + rw * 0.9, cy + rh), (cx - rw * 1.1, cy + rh)],
                     fill=rng.randint(60, 230))
    image = Image.blend(image, fields, 0.35)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(300, 900)):  # trees, in clumps
        x, y, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(1.0, 3.0)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.randint(20, 70))
    return image.filter(ImageFilter.GaussianBlur(0.8))


def draw_map_page(pen: Pen, spec: SheetSpec, rng: random.Random) -> None:
    """An aerial photo with roads and their names, a north arrow and a bar scale; nothing else."""
    W, H = spec.page_size
    regular, bold = spec.fonts
    m = 0.04 * W
    pw, ph = W - 2 * m, H - 2 * m
    photo = aerial_texture(rng, int(pw * 0.75), int(ph * 0.75))
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=80)  # photos come as JPEG; reportlab embeds it as it is
    pen.c.drawImage(ImageReader(io.BytesIO(buf.getvalue())), m, m, width=pw, height=ph)
    pen.rect(m, m, pw, ph, 1.0)
    streets = ["N REESE ST", "DELL ST", "HWY 69", "MAPLE AVE", "COUNTY RD 12", "MILL CREEK RD", "OAK ST"]
    rng.shuffle(streets)
    pen.c.saveState()
    pen.c.setStrokeGray(1.0)
    for i, street in enumerate(streets[: rng.randint(3, 5)]):
        if i % 2 == 0:
            y = m + ph * rng.uniform(0.15, 0.85)
            pen.line(m, y, m + pw, y, rng.uniform(3, 7))
            lx, ly = m + pw * rng.uniform(0.1, 0.6), y - 6
        else:
            x = m + pw * rng.uniform(0.15, 0.85)
            pen.line(x, m, x, m + ph, rng.uniform(3, 7))
            lx, ly = x + 6, m + ph * rng.uniform(0.1, 0.8)
        width = pen.width(street, bold, 9)
        pen.fill_rect(lx - 2, ly - 10, width + 4, 13, 1.0)
        pen.text(lx, ly, street, bold, 9)
    pen.c.restoreState()
    sx, sy = m + pw * 0.62, m + ph * rng.uniform(0.3, 0.6)
    pen.c.saveState()
    pen.c.setStrokeGray(0.0)
    pen.rect(sx, sy, pw * 0.08, ph * 0.1, 2.0)
    pen.c.restoreState()
    pen.fill_rect(W - m - 60, m + 8, 50, 50, 1.0)
    _north_arrow(pen, bold, W - m - 35, m + 38, 12)
    bar = pw * 0.12
    bx, by = m + 12, m + ph - 24
    pen.fill_rect(bx - 4, by - 14, bar + 40, 30, 1.0)
    pen.fill_rect(bx, by, bar / 2, 4, 0.0)
    pen.rect(bx, by, bar, 4, 0.6)
    for k, label in enumerate(("0", "500", "1000 FT")):
        pen.text(bx + k * bar / 2, by - 3, label, regular, 6, "center" if k else "left")
