"""Benchmark pages, generated: drawing-like sheets as vector PDFs and as raster images.

Every sheet has what the service is for: a border, a title block with sheet
number, title and scale, room labels, dimension strings, grid bubbles and a
column of general notes. The same sheets exist as

* one multi-page vector PDF with a real text layer (:func:`vector_pdf`);
* rasters rendered from it at a given DPI (:func:`raster_pages`), written
  as PNG files, as one multi-page TIFF and as one image-only PDF, so every
  tool reads the same pixels.

Deterministic for a given seed; the font is the Helvetica every PDF reader has.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

POINTS_PER_INCH = 72

#: Sheet sizes in inches (width x height, landscape).
ARCH_D = (36.0, 24.0)
ARCH_E1 = (42.0, 30.0)

_ROOMS = ["OFFICE", "CONFERENCE", "STORAGE", "CORRIDOR", "LOBBY", "TOILET", "JANITOR", "MECH", "ELEC", "BREAK ROOM"]
_TITLES = ["FIRST FLOOR PLAN", "SECOND FLOOR PLAN", "ROOF PLAN", "BUILDING ELEVATIONS", "WALL SECTIONS",
           "ENLARGED TOILET PLANS", "REFLECTED CEILING PLAN", "DOOR SCHEDULE", "STAIR DETAILS", "SITE PLAN"]
_NOTES = [
    "VERIFY ALL DIMENSIONS AND CONDITIONS IN FIELD PRIOR TO CONSTRUCTION.",
    "ALL DIMENSIONS ARE TO FACE OF STUD UNLESS NOTED OTHERWISE.",
    "REFER TO STRUCTURAL DRAWINGS FOR FOOTING AND FRAMING SIZES.",
    "PROVIDE BLOCKING AT ALL WALL MOUNTED ACCESSORIES AND CASEWORK.",
    "SEAL ALL PENETRATIONS THROUGH RATED ASSEMBLIES PER UL LISTING.",
    "COORDINATE FLOOR DRAIN LOCATIONS WITH PLUMBING DRAWINGS.",
    "GYPSUM BOARD AT WET AREAS SHALL BE MOISTURE RESISTANT TYPE.",
    "CONTRACTOR SHALL PATCH AND REPAIR ALL SURFACES DAMAGED BY WORK.",
]


@dataclass(frozen=True)
class SheetSpec:
    number: str
    title: str
    scale: str
    size: tuple[float, float]
    seed: int


def sheet_specs(count: int, size: tuple[float, float] = ARCH_D, seed: int = 8) -> list[SheetSpec]:
    rng = random.Random(seed)
    return [
        SheetSpec(
            number=f"A-{101 + i}",
            title=_TITLES[i % len(_TITLES)],
            scale=rng.choice(["1/8\" = 1'-0\"", "1/4\" = 1'-0\"", "1/2\" = 1'-0\"", "AS NOTED"]),
            size=size,
            seed=seed * 1000 + i,
        )
        for i in range(count)
    ]


def _draw_sheet(c: canvas.Canvas, spec: SheetSpec) -> None:
    rng = random.Random(spec.seed)
    w, h = spec.size[0] * POINTS_PER_INCH, spec.size[1] * POINTS_PER_INCH
    c.setPageSize((w, h))
    m = 0.5 * POINTS_PER_INCH
    c.setLineWidth(2)
    c.rect(m, m, w - 2 * m, h - 2 * m)
    # Title block along the bottom right.
    tb_w, tb_h = 7.5 * POINTS_PER_INCH, 3.2 * POINTS_PER_INCH
    tx, ty = w - m - tb_w, m
    c.setLineWidth(1.5)
    c.rect(tx, ty, tb_w, tb_h)
    c.line(tx, ty + tb_h * 0.45, tx + tb_w, ty + tb_h * 0.45)
    c.line(tx + tb_w * 0.62, ty, tx + tb_w * 0.62, ty + tb_h * 0.45)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(tx + 10, ty + tb_h - 22, "ACME ARCHITECTS LLP")
    c.setFont("Helvetica", 9)
    c.drawString(tx + 10, ty + tb_h - 38, "1200 HARBOR BOULEVARD, SUITE 400, PORTLAND OR 97201")
    c.drawString(tx + 10, ty + tb_h - 54, f"PROJECT: RIVERSIDE CLINIC    PROJECT NO: 2024-{118 + spec.seed % 50}")
    c.setFont("Helvetica", 7)
    c.drawString(tx + 10, ty + tb_h * 0.45 - 14, "SHEET TITLE")
    c.setFont("Helvetica-Bold", 16)
    c.drawString(tx + 10, ty + tb_h * 0.45 - 36, spec.title)
    c.setFont("Helvetica", 9)
    c.drawString(tx + 10, ty + 30, f"SCALE: {spec.scale}")
    c.drawString(tx + 10, ty + 14, f"DATE: 2024-0{1 + spec.seed % 9}-15    DRAWN: JM    CHECKED: RK")
    c.setFont("Helvetica", 7)
    c.drawString(tx + tb_w * 0.62 + 10, ty + tb_h * 0.45 - 14, "SHEET NUMBER")
    c.setFont("Helvetica-Bold", 40)
    c.drawString(tx + tb_w * 0.62 + 14, ty + 30, spec.number)
    # Column grid with bubbles.
    plan_l, plan_r = m + 1.5 * POINTS_PER_INCH, w - m - tb_w - 1.0 * POINTS_PER_INCH
    plan_b, plan_t = m + 1.5 * POINTS_PER_INCH, h - m - 1.5 * POINTS_PER_INCH
    c.setLineWidth(0.5)
    c.setDash(12, 4)
    columns = 7
    for i in range(columns):
        x = plan_l + i * (plan_r - plan_l) / (columns - 1)
        c.line(x, plan_b, x, plan_t)
        c.circle(x, plan_t + 20, 14)
        c.setFont("Helvetica-Bold", 12)
        c.drawCentredString(x, plan_t + 16, str(i + 1))
    for j, letter in enumerate("ABCDE"):
        y = plan_b + j * (plan_t - plan_b) / 4
        c.line(plan_l, y, plan_r, y)
        c.circle(plan_l - 20, y, 14)
        c.drawCentredString(plan_l - 20, y - 4, letter)
    c.setDash()
    # Walls and rooms.
    c.setLineWidth(4)
    for _ in range(14):
        x0 = rng.uniform(plan_l, plan_r)
        y0 = rng.uniform(plan_b, plan_t)
        if rng.random() < 0.5:
            c.line(x0, y0, min(plan_r, x0 + rng.uniform(100, 500)), y0)
        else:
            c.line(x0, y0, x0, min(plan_t, y0 + rng.uniform(100, 400)))
    for k in range(24):
        x = rng.uniform(plan_l + 30, plan_r - 120)
        y = rng.uniform(plan_b + 30, plan_t - 30)
        c.setFont("Helvetica-Bold", 10)
        c.drawString(x, y, rng.choice(_ROOMS))
        c.setFont("Helvetica", 9)
        c.drawString(x, y - 12, str(100 + k))
    c.setFont("Helvetica", 8)
    for _ in range(20):
        x = rng.uniform(plan_l, plan_r - 60)
        y = rng.uniform(plan_b, plan_t)
        c.drawString(x, y, f"{rng.randint(2, 60)}'-{rng.randint(0, 11)}\"")
    # General notes down the right side, above the title block.
    nx, ny = w - m - tb_w + 10, h - m - 0.8 * POINTS_PER_INCH
    c.setFont("Helvetica-Bold", 12)
    c.drawString(nx, ny, "GENERAL NOTES")
    c.setFont("Helvetica", 8)
    for i in range(18):
        c.drawString(nx, ny - 18 - i * 13, f"{i + 1}. {_NOTES[(i + spec.seed) % len(_NOTES)]}")


def vector_pdf(specs: list[SheetSpec]) -> bytes:
    """One PDF, one page per sheet, with real text (a text layer PDF readers can select)."""
    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1)
    for spec in specs:
        _draw_sheet(c, spec)
        c.showPage()
    c.save()
    return out.getvalue()


def raster_pages(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Every page of ``pdf`` rendered to greyscale at ``dpi``."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            image = page.render(scale=dpi / POINTS_PER_INCH, grayscale=True).to_pil().convert("L")
            image.info["dpi"] = (dpi, dpi)
            pages.append(image)
            page.close()
        return pages
    finally:
        document.close()


def png_bytes(image: Image.Image, dpi: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), compress_level=6)
    return out.getvalue()


def tiff_bytes(images: list[Image.Image], dpi: int) -> bytes:
    """A multi-page TIFF (lossless) of the rasters: one upload carries the whole set."""
    frames = []
    for image in images:
        frame = image.copy()
        frame.info = {}  # Pillow's libtiff writer trips over a dpi in info next to dpi=
        frames.append(frame)
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_adobe_deflate", dpi=(dpi, dpi))
    return out.getvalue()


def image_pdf(images: list[Image.Image], dpi: int) -> bytes:
    """An image-only PDF (no text layer) holding the rasters losslessly at ``dpi``, like a scanned set."""
    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1)
    for image in images:
        w, h = image.width * POINTS_PER_INCH / dpi, image.height * POINTS_PER_INCH / dpi
        c.setPageSize((w, h))
        c.drawImage(ImageReader(image), 0, 0, w, h)
        c.showPage()
    c.save()
    return out.getvalue()


@dataclass
class PageSet:
    """The same sheets in every form the benchmarks feed to the tools."""

    folder: Path
    specs: list[SheetSpec]
    dpi: int
    vector_pdf: Path
    png_files: list[Path]
    tiff: Path
    image_pdf: Path


def write_page_set(folder: Path, count: int, dpi: int, size: tuple[float, float] = ARCH_D) -> PageSet:
    folder.mkdir(parents=True, exist_ok=True)
    specs = sheet_specs(count, size)
    pdf = vector_pdf(specs)
    (folder / "vector.pdf").write_bytes(pdf)
    images = raster_pages(pdf, dpi)
    pngs = []
    for index, image in enumerate(images, start=1):
        path = folder / f"page-{index:03d}.png"
        path.write_bytes(png_bytes(image, dpi))
        pngs.append(path)
    (folder / "raster.tif").write_bytes(tiff_bytes(images, dpi))
    (folder / "raster.pdf").write_bytes(image_pdf(images, dpi))
    return PageSet(folder, specs, dpi, folder / "vector.pdf", pngs, folder / "raster.tif", folder / "raster.pdf")
