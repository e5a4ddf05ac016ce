"""Drawing sheets read by the service against one engine pass and the tools users script, per page kind.

Two sets: the real sheets in ``../shared/eval-real`` (third-party drawings
with a ``truth.json``; the section is skipped when the folder is absent),
and a generated stand-in (``python -m testkit.sheets``) that every
machine can make. From each set up to ``limit`` pages of each kind are
taken (:data:`tools.eval.KINDS`: *vector*, the PDF text layer reads;
*outline*, a PDF whose text is drawn; *raster*, an image or a scan), each
written to a scratch folder as a file of its own (a PDF page extracted
with its text layer, an image frame as PNG), and read, one page after the
other, by:

* **planocr**: the service's reading of a page in this process
  (:func:`tools.sheetcache.read_sheets`: the page rendered or decoded as
  the upload does, then :class:`planocr.reading.sheetreader.SheetReader` with the
  default settings); its time is the reading's, from the decoded page to
  the fields;
* **one engine pass** (the floor): the same engine library and model,
  one sparse-text pass (PSM 11) over the same page image at its own
  resolution, no orientation step, no second look;
* **tesseract**: the command line on the page image as PNG,
  ``OMP_THREAD_LIMIT=1 tesseract page.png out`` (its default automatic
  layout, PSM 3), with the service's model folder;
* **ocrmypdf**: ``ocrmypdf -j 2 --force-ocr --sidecar`` on the page's own
  PDF (it rasterizes PDF pages itself) or, for an image, on the same PNG
  as the command line, when it is installed.

All four run on each page before the next page starts, so a change in the
machine's load falls on all of them alike. Every time is divided by the
floor's time on the same pages in the same run.

Accuracy: planocr's is field accuracy (sheet number, title, scale compared
as ``tools/eval.py`` compares them). The baselines extract no fields; for
them, and for planocr's text beside its fields, *number present* is the
share of pages whose sheet number appears as a word sequence anywhere in
the text read.

Results hold figures per kind and per page, never the sheets' names or text.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import harness

COMMAND = "python -m bench sheets"
REAL = harness.ROOT.parent / "shared" / "eval-real"
#: Pages of each kind taken from each set by default.
LIMIT = 2
#: The generated stand-in: sheets written per page kind (a generator class of that kind), and its seed.
GENERATED_COUNT = 2
GENERATED_SEED = 7
_GENERATOR_CLASSES = {"vector": "vector", "outline": "outline", "raster": "scan"}
TOOLS = ("tesseract", "ocrmypdf")


def _eval():
    if str(harness.ROOT) not in sys.path:
        sys.path.insert(0, str(harness.ROOT))
    from tools import eval as evaluation

    return evaluation


@dataclass
class Page:
    """One page of a set, chosen for the benchmark."""

    folder: Path
    sheet: dict  # its truth entry
    kind: str
    file: str = ""  # its own file in the scratch folder
    measured: dict = field(default_factory=dict)


# --- choosing pages -----------------------------------------------------------------------------


def guess_kind(folder: Path, sheet: dict, render_dpi: int = 36) -> str:
    """The page's kind from the truth's classes, else from the file: an image, a scan in a PDF, or
    a PDF page whose text layer reads (vector) or does not (outline). The reading itself may still
    find a vector page's layer lacking and complete it by OCR; the tables use the kind it reports."""
    evaluation = _eval()
    kind = evaluation.page_classes(sheet, {"kind": "?", "lines": []})["kind"] if sheet.get("classes") else "?"
    if kind in evaluation.KINDS:
        return kind
    from planocr.media import imaging, pdf, textlayer
    from tools.sheetcache import pdf_has_images

    data = (folder / sheet["file"]).read_bytes()
    if imaging.sniff_media_type(data[:1024]) != imaging.PDF:
        return "raster"
    index = int(sheet.get("page", 1)) - 1
    if pdf_has_images(data, index):
        return "raster"
    with pdf.PDFIUM_LOCK, pdf.open_pdf(data) as document:
        page = document[index]
        try:
            width, height = page.get_size()
            scale = render_dpi / 72
            words = pdf.text_layer_words(page, scale, (round(width * scale), round(height * scale)))
        finally:
            page.close()
    size = (round(width * scale), round(height * scale))
    if not (words and textlayer.assess(words, *size)[0]):
        return "outline"
    # A layer that reads but lacks the title block on a drawing-size page is completed by OCR: outline.
    from planocr.reading.sheetreader import SheetReader

    reader = SheetReader()
    read = reader.read_layer(textlayer.result_from_words(words, *size))
    return "outline" if reader.needs_completion(read, render_dpi) else "vector"


def choose(folder: Path, limit: int) -> list[Page]:
    """Up to ``limit`` pages of each kind, in the truth's order, one per file before a second from it."""
    evaluation = _eval()
    import json

    sheets = json.loads((folder / "truth.json").read_text())["sheets"]
    chosen: dict[str, list[Page]] = {kind: [] for kind in evaluation.KINDS}
    seen: set[tuple[str, str]] = set()
    later: list[Page] = []
    for sheet in sheets:
        kind = guess_kind(folder, sheet)
        if kind not in chosen or len(chosen[kind]) >= limit:
            continue
        page = Page(folder, sheet, kind)
        if (kind, sheet["file"]) in seen:
            later.append(page)
            continue
        seen.add((kind, sheet["file"]))
        chosen[kind].append(page)
    for page in later:
        if len(chosen[page.kind]) < limit:
            chosen[page.kind].append(page)
    return [page for kind in evaluation.KINDS for page in chosen[kind]]


def write_alone(page: Page, out: Path, index: int) -> Path:
    """The page as a file of its own: a one-page PDF (vector content and text layer kept), or the image frame."""
    from PIL import Image, ImageSequence

    from planocr.media import imaging, pdf

    data = (page.folder / page.sheet["file"]).read_bytes()
    number = int(page.sheet.get("page", 1))
    if imaging.sniff_media_type(data[:1024]) == imaging.PDF:
        import pypdfium2 as pdfium

        target = out / f"page-{index:03d}.pdf"
        with pdf.PDFIUM_LOCK, pdf.open_pdf(data) as source:
            alone = pdfium.PdfDocument.new()
            alone.import_pages(source, [number - 1])
            alone.save(target)
            alone.close()
    else:
        suffix = Path(page.sheet["file"]).suffix.lower()
        target = out / f"page-{index:03d}{suffix}"
        if number == 1:
            target.write_bytes(data)
        else:
            with Image.open(io.BytesIO(data)) as image:
                frame = next(f for i, f in enumerate(ImageSequence.Iterator(image)) if i == number - 1)
                dpi = imaging.image_dpi(frame)
                target = target.with_suffix(".png")
                frame.save(target, **({"dpi": (dpi, dpi)} if dpi else {}))
    page.file = target.name
    return target


# --- the readers --------------------------------------------------------------------------------


def page_image(path: Path, settings):
    """The page as the upload stores it: a PDF rendered at the service's DPI, an image decoded; and its DPI."""
    from planocr.media import imaging, pdf

    data = path.read_bytes()
    if imaging.sniff_media_type(data[:1024]) == imaging.PDF:
        rendered = next(pdf.render_pages(data, settings.render_dpi, settings.max_page_pixels))
        return rendered.image, rendered.dpi
    return next(imaging.decode_frames(data, settings.max_image_pixels))


def floor_engine(engine: str, settings):
    """The engine's floor: tesseract makes one sparse-text pass, upright, with the page's model only;
    another engine is built as the service builds it and called once."""
    from planocr.engines.registry import build_engine

    if engine == "tesseract":
        from planocr.engines.tesseract import PSM, TesseractEngine

        return TesseractEngine(tessdata=settings.tessdata, lang=settings.tesseract_lang, extra_langs=(),
                               psm=PSM.SPARSE_TEXT, orientation=False)
    return build_engine(engine, settings)


def _text(lines) -> str:
    return "\n".join(" ".join(w.text for w in line.words) for line in lines)


def number_present(text: str, number: str) -> bool:
    """Whether the sheet number appears in ``text`` as a word sequence (spaces inside it optional)."""
    evaluation = _eval()
    want = evaluation.norm_text(number)
    if not want:
        return False
    pieces = [re.escape(p) for p in want.replace(" ", "")]
    pattern = r"(?<![A-Z0-9])" + r"\s?".join(pieces) + r"(?![A-Z0-9])"
    return re.search(pattern, evaluation.norm_text(text)) is not None


def _tessdata(settings) -> str:
    from planocr.engines.tesseract import default_tessdata

    return settings.tessdata or default_tessdata()


def tool_missing(tool: str) -> str | None:
    from bench.alternatives import INSTALL

    return None if shutil.which(tool) else f"{tool} not installed ({INSTALL[tool]})"


def run_tool(tool: str, path: Path, png: Path, scratch: Path, tessdata: str) -> tuple[float, str]:
    """Seconds and the text of one tool on one page: ocrmypdf on the page's PDF, else on the PNG the
    command line reads (images as the upload decodes them: greyscale, no alpha channel, their DPI)."""
    env = {**os.environ, "TESSDATA_PREFIX": tessdata, "OMP_THREAD_LIMIT": "1"}
    if tool == "tesseract":
        out = scratch / f"{png.stem}-cli"
        cmd = ["tesseract", str(png), str(out)]
        text_file = out.with_suffix(".txt")
    else:
        text_file = scratch / f"{path.stem}-ocrmypdf.txt"
        source = path if path.suffix.lower() == ".pdf" else png
        cmd = ["ocrmypdf", "-j", "2", "--force-ocr", "--quiet", "--sidecar", str(text_file), str(source),
               str(scratch / f"{path.stem}-ocrmypdf.pdf")]
        env.pop("OMP_THREAD_LIMIT")
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise ToolFailed(f"{tool} exited with {proc.returncode}: {proc.stderr.strip().splitlines()[-1:] or ''}")
    return seconds, text_file.read_text(errors="replace")


class ToolFailed(RuntimeError):
    """A tool did not read a page; the page counts as read without its number, and the failure is reported."""


def measure(pages: list[Page], scratch: Path, *, engine: str = "tesseract", tools=TOOLS, settings=None) -> None:
    """Read every page with planocr, the floor and each installed tool, one page at a time."""
    from PIL import Image

    from planocr.config import Settings
    from planocr.engines.registry import EngineRegistry, build_engine
    from planocr.reading.sheetreader import ReadingOptions
    from tools.sheetcache import CachingEngine, read_sheets

    settings = settings or Settings(_env_file=None)
    options = ReadingOptions(budget=settings.read_budget, enlarge_below=settings.tesseract_enlarge_below,
                             lang=settings.tesseract_auto_lang)
    # A fresh answer store: every engine call of this run is made, and timed, now.
    service_engine = CachingEngine(EngineRegistry(engine, factory=lambda n, c: build_engine(n, settings, c)).get(),
                                   scratch / "answers")
    floor = floor_engine(engine, settings)
    tessdata = _tessdata(settings)
    try:
        warm = Image.new("L", (400, 200), 255)
        floor.recognize(warm, dpi=300)
        service_engine.inner.recognize(warm, dpi=300)
        for page in pages:
            path = scratch / page.file
            read = next(read_sheets(scratch, [page.file], service_engine, options, settings))
            tb = read.read.title_block
            fields = {"sheet_number": tb.value("sheet_number"), "title": tb.value("sheet_title"),
                      "scale": tb.value("scale")}
            page.kind = _eval().page_classes(page.sheet, {"kind": read.kind, "lines": read.read.ocr.lines})["kind"]
            measured = {"planocr": {"seconds": read.seconds, "fields": fields, "text": read.read.ocr.text}}

            image, dpi = page_image(path, settings)
            started = time.perf_counter()
            result = floor.recognize(image, dpi=dpi)
            measured["floor"] = {"seconds": time.perf_counter() - started, "text": _text(result.lines),
                                 "dpi": dpi or 300, "pixels": image.width * image.height}
            png = scratch / f"{path.stem}-page.png"
            (image if image.mode == "L" else image.convert("L")).save(png, dpi=(dpi or 300, dpi or 300), compress_level=1)
            for tool in tools:
                if tool_missing(tool):
                    continue
                try:
                    seconds, text = run_tool(tool, path, png, scratch, tessdata)
                    measured[tool] = {"seconds": seconds, "text": text}
                except ToolFailed as exc:
                    measured[tool] = {"seconds": 0.0, "text": "", "failed": str(exc)}
            png.unlink()
            page.measured = measured
    finally:
        service_engine.close()
        floor.close()


# --- figures ------------------------------------------------------------------------------------


def page_figures(page: Page) -> dict:
    """One page's times and accuracy, without its text."""
    evaluation = _eval()
    truth = page.sheet
    number = truth.get("sheet_number")
    out: dict = {"kind": page.kind}
    for reader, m in page.measured.items():
        row: dict = {"seconds": round(m["seconds"], 5)}
        if m.get("failed"):
            row["failed"] = m["failed"]
        if number:  # "" (no number on the page) and None (not scored) count for no tool
            row["number_present"] = number_present(m["text"], number)
        if reader == "planocr":
            for name in evaluation.FIELDS:
                want = truth.get(name)
                if want is not None:
                    row[name] = evaluation.same(name, m["fields"][name] or "", want)
        out[reader] = row
    out["dpi"] = page.measured["floor"]["dpi"]
    out["megapixels"] = round(page.measured["floor"]["pixels"] / 1e6, 1)
    return out


def _share(rows: list[dict], key: str) -> dict | None:
    scored = [r[key] for r in rows if key in r]
    if not scored:
        return None
    return {"right": sum(scored), "scored": len(scored), "share": round(sum(scored) / len(scored), 3)}


def kind_rows(pages: list[dict], tools=TOOLS) -> dict[str, dict]:
    """Per kind: pages, each reader's seconds a page, its time over the floor's, and its accuracy."""
    evaluation = _eval()
    out: dict[str, dict] = {}
    for kind in evaluation.KINDS:
        these = [p for p in pages if p["kind"] == kind]
        if not these:
            continue
        floor_total = sum(p["floor"]["seconds"] for p in these)
        row: dict = {"pages": len(these), "floor_seconds": round(floor_total, 5)}
        for reader in ("planocr", "floor", *tools):
            measured = [p[reader] for p in these if reader in p]
            if len(measured) < len(these):
                continue  # a tool that did not run (not installed) has no row
            ran = [m for m in measured if not m.get("failed")]
            total = sum(m["seconds"] for m in ran)
            ran_floor = sum(p["floor"]["seconds"] for p in these if not p[reader].get("failed"))
            entry = {
                # a page a tool failed on is left out of its time and its floor, and counts as a miss
                "seconds_per_page": round(total / len(ran), 5) if ran else None,
                "vs_floor": round(total / ran_floor, 2) if ran and ran_floor > 0 else None,
                "number_present": _share(measured, "number_present"),
                "failed": len(measured) - len(ran),
            }
            if reader == "planocr":
                entry["fields"] = {name: _share(measured, name) for name in evaluation.FIELDS}
            row[reader] = entry
        out[kind] = row
    return out


def run_set(folder: Path, limit: int, *, engine: str = "tesseract", tools=TOOLS, settings=None) -> dict:
    """The benchmark on one set: chosen pages, their figures, the rows per kind."""
    pages = choose(folder, limit)
    with tempfile.TemporaryDirectory(prefix="planocr-sheets-") as tmp:
        scratch = Path(tmp)
        for index, page in enumerate(pages):
            write_alone(page, scratch, index)
        measure(pages, scratch, engine=engine, tools=tools, settings=settings)
    figures = [page_figures(p) for p in pages]
    return {"pages": figures, "kinds": kind_rows(figures, tools)}


def generate(out: Path, count: int = GENERATED_COUNT, seed: int = GENERATED_SEED) -> Path:
    """The stand-in set: ``count`` generated sheets of each page kind, one truth.json for all."""
    import json

    sheets = []
    for kind, wanted in _GENERATOR_CLASSES.items():
        part = out / kind
        subprocess.run([sys.executable, "-m", "testkit.sheets", "--out", str(part), "--count", str(count),
                        "--seed", str(seed), "--classes", wanted], cwd=harness.ROOT, check=True, capture_output=True)
        for sheet in json.loads((part / "truth.json").read_text())["sheets"]:
            sheets.append({**sheet, "file": f"{kind}/{sheet['file']}"})
    (out / "truth.json").write_text(json.dumps({"about": f"generated, seed {seed}", "sheets": sheets}))
    return out


def run(limit: int = LIMIT, *, real: Path | None = REAL, engine: str = "tesseract", tools=TOOLS,
        generated_count: int = GENERATED_COUNT, settings=None) -> dict:
    """Both sets; the real one is skipped, with the reason, when its folder is absent."""
    from bench.alternatives import tool_version

    result: dict = {
        "command": COMMAND,
        "limit": limit,
        "engine": engine,
        "versions": {t: tool_version(t) for t in tools if shutil.which(t)},
        "missing": {t: why for t in tools if (why := tool_missing(t))},
        "load_before": harness.load_average(),
        "sets": {},
    }
    if real is not None and (real / "truth.json").exists():
        result["sets"]["real"] = run_set(real, limit, engine=engine, tools=tools, settings=settings)
    else:
        result["sets"]["real"] = {"skipped": f"no truth.json in {real}" if real is not None else "not asked for"}
    with tempfile.TemporaryDirectory(prefix="planocr-sheets-gen-") as tmp:
        folder = generate(Path(tmp), generated_count)
        result["sets"]["generated"] = {"count_per_kind": generated_count, "seed": GENERATED_SEED,
                                       **run_set(folder, limit, engine=engine, tools=tools, settings=settings)}
    result["load_after"] = harness.load_average()
    return result
