"""Sheets read in this process the way the service reads them, with every engine call kept on disk.

Evaluation and training read the same sheets again and again while the
title-block parser changes; the engine's answers do not. ``CachingEngine``
wraps an engine and keeps each ``recognize`` and ``read_region`` answer
(and the seconds it took when it was made) under a key of the image's
pixels and the call's arguments, so a second run replays them in
milliseconds and still reports what the engine time was.

``read_sheets(folder, files)`` yields, for every page of every file, what
the service would store and read: PDF pages rendered at the service's DPI
with their text layer, image frames decoded as the upload does, then the
:class:`planocr.reading.sheetreader.SheetReader` run on them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image

from planocr.config import Settings
from planocr.core.page import Box, Line, OcrResult, Word
from planocr.engines.base import SPARSE, OcrEngine
from planocr.media import imaging, pdf, textlayer
from planocr.reading.sheetreader import ReadingOptions, SheetRead, SheetReader
from planocr.titleblock.rules import find_rules, rules_from_json, rules_to_json
from planocr.titleblock.structure import PageStructure

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = ROOT / "build" / "eval-cache"
#: Bump when what an engine call returns changes for the same arguments (a new engine version, new options).
CACHE_VERSION = 1


def _digest(image: Image.Image) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{image.mode}:{image.width}x{image.height}".encode())
    h.update(image.tobytes())
    return h.hexdigest()


def _words_json(words: list[Word]) -> list:
    return [[w.text, *w.box.to_list(), round(w.confidence, 4), w.angle] for w in words]


def _words_from(data: list) -> list[Word]:
    return [Word(text, Box(x, y, w, h), conf, angle) for text, x, y, w, h, conf, angle in data]


def _region_variant(engine: OcrEngine, layout: str) -> tuple:
    """What else decides a tesseract region read's answer for ``layout`` (its blank margin), for the key."""
    from planocr.engines import tesseract

    if isinstance(engine, tesseract.TesseractEngine) and layout in tesseract.MARGIN_LAYOUTS:
        return ("margin", tesseract.MARGIN_INCHES, tesseract.MIN_MARGIN_PX)
    return ()


class CachingEngine(OcrEngine):
    """``inner`` with its answers kept in ``folder``; ``seconds`` adds up the engine time of the calls made."""

    def __init__(self, inner: OcrEngine, folder: Path = DEFAULT_CACHE):
        self.inner = inner
        self.name = inner.name
        self.reads_regions = inner.reads_regions
        self.extra_langs = getattr(inner, "extra_langs", ())
        self.lang = getattr(inner, "lang", "eng")
        self.max_pixels = inner.max_pixels
        self.folder = folder / f"{inner.name}-v{CACHE_VERSION}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.seconds = 0.0
        self.calls = 0
        self.misses = 0
        self._digests: dict[int, str] = {}

    def _key(self, image: Image.Image, *args) -> Path:
        digest = self._digests.get(id(image))
        if digest is None:
            digest = self._digests[id(image)] = _digest(image)
        extra = hashlib.blake2b(json.dumps(args).encode(), digest_size=8).hexdigest()
        return self.folder / digest[:2] / f"{digest}-{extra}.json"

    def _cached(self, path: Path, compute):
        self.calls += 1
        if path.exists():
            data = json.loads(path.read_text())
        else:
            self.misses += 1
            started = time.perf_counter()
            value = compute()
            data = {"seconds": round(time.perf_counter() - started, 4), "value": value}
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data, separators=(",", ":")))
        self.seconds += data["seconds"]
        return data["value"]

    def recognize(self, image: Image.Image, *, dpi: int | None = None) -> OcrResult:
        def compute():
            result = self.inner.recognize(image, dpi=dpi)
            return {"width": result.width, "height": result.height, "rotation": result.rotation,
                    "lines": [_words_json(list(line.words)) for line in result.lines]}

        value = self._cached(self._key(image, "recognize", dpi), compute)
        lines = [Line(tuple(_words_from(words))) for words in value["lines"]]
        return OcrResult(value["width"], value["height"], lines, value["rotation"], self.name)

    def read_region(self, image: Image.Image, box: Box, *, dpi: int, angle: int = 0, target_dpi: int | None = None,
                    layout: str = SPARSE, lang: str | None = None) -> list[Word]:
        def compute():
            return _words_json(self.inner.read_region(image, box, dpi=dpi, angle=angle, target_dpi=target_dpi,
                                                      layout=layout, lang=lang))

        args = ("region", box.to_list(), dpi, angle, target_dpi, layout, lang, *_region_variant(self.inner, layout))
        return _words_from(self._cached(self._key(image, *args), compute))

    def forget(self, image: Image.Image) -> None:
        self._digests.pop(id(image), None)

    def close(self) -> None:
        self.inner.close()


@dataclass
class PageRead:
    """One page as the evaluation sees it."""

    file: str
    page: int
    kind: str  # vector, outline, raster
    read: SheetRead
    seconds: float  # engine seconds (as first measured) plus parsing here
    steps: list = field(default_factory=list)


def page_kind(words: list[Word] | None, usable: bool, completed: bool) -> str:
    """vector (its text layer reads), outline (a PDF page whose text is drawn), raster (an image or a scan)."""
    if usable and not completed:
        return "vector"
    if words is not None and (usable or completed):
        return "outline"
    return "raster"


def read_sheets(folder: Path, files: list[str], engine: CachingEngine, options: ReadingOptions | None = None,
                settings: Settings | None = None) -> Iterator[PageRead]:
    """Every page of ``files`` read as the service reads it (text layer, OCR within the budget)."""
    settings = settings or Settings(_env_file=None)
    reader = SheetReader(options or ReadingOptions(budget=settings.read_budget,
                                                    enlarge_below=settings.tesseract_enlarge_below,
                                                    lang=settings.tesseract_auto_lang))
    for name in files:
        data = (folder / name).read_bytes()
        if imaging.sniff_media_type(data[:1024]) == imaging.PDF:
            items = ((r.index + 1, r.image, r.dpi, r.words, pdf_has_images(data, r.index), r)
                     for r in pdf.render_pages(data, settings.render_dpi, settings.max_page_pixels))
        else:
            items = ((i + 1, image, dpi, None, True, None)
                     for i, (image, dpi) in enumerate(imaging.decode_frames(data, settings.max_image_pixels)))
        for number, image, dpi, words, scanned, rendered in items:
            before = engine.seconds
            started = time.perf_counter()
            usable = bool(words) and textlayer.assess(words, image.width, image.height)[0]
            completed = False
            if usable:
                # as the upload stores them: the rules of the rendered page beside its text layer
                rules = rules_from_json(rules_to_json(find_rules(rendered.image, rendered.dpi)))
                structure = PageStructure.from_rules(rules, image.width, image.height)
                read = reader.read_layer(textlayer.result_from_words(words, image.width, image.height), structure)
                if reader.needs_completion(read, dpi):
                    read = reader.complete(engine, image, dpi or 300, read)
                    completed = True
            else:
                read = reader.read_image(engine, image, dpi)
            parse_seconds = time.perf_counter() - started - sum(s.seconds for s in read.steps)
            engine.forget(image)
            kind = "raster" if scanned and not usable else page_kind(words, usable, completed)
            if kind == "raster" and words is not None and not scanned:
                kind = "outline"
            yield PageRead(name, number, kind, read, engine.seconds - before + max(0.0, parse_seconds), read.steps)


def pdf_has_images(data: bytes, index: int) -> bool:
    """Whether PDF page ``index`` is mostly one image (a scan) rather than drawn vectors."""
    import pypdfium2.raw as pdfium_c

    with pdf.PDFIUM_LOCK, pdf.open_pdf(data) as document:
        page = document[index]
        try:
            width, height = page.get_size()
            area = 0.0
            for obj in page.get_objects(max_depth=2):
                if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                    left, bottom, right, top = obj.get_bounds()
                    area = max(area, (right - left) * (top - bottom))
            return area >= 0.6 * width * height
        finally:
            page.close()


# --- frozen readings --------------------------------------------------------------------------------

FROZEN = ROOT / "build" / "readings"


@dataclass
class FrozenPage:
    """A page's final reading kept on disk: what the title-block parser sees."""

    file: str
    page: int
    kind: str
    width: int
    height: int
    lines: list[Line]
    seconds: float
    structure: PageStructure | None = None


def frozen_readings(folder: Path, files: list[str], *, refresh: bool = False, options: ReadingOptions | None = None,
                    settings: Settings | None = None) -> list[FrozenPage]:
    """Every page's final reading, read once (:func:`read_sheets`) and then kept in build/readings.

    Parser work needs the same readings again and again; ``refresh`` reads
    them again (engine answers still come from the cache), for when the
    reading itself changed.
    """
    store = FROZEN / folder.resolve().name
    store.mkdir(parents=True, exist_ok=True)
    out: list[FrozenPage] = []
    todo: list[str] = []
    for name in files:
        path = store / f"{name}.json"
        if path.exists() and not refresh and path.stat().st_mtime >= (folder / name).stat().st_mtime:
            out += [_thaw(name, p) for p in json.loads(path.read_text())]
        else:
            todo.append(name)
    if todo:
        from planocr.engines.registry import EngineRegistry, build_engine

        settings = settings or Settings(_env_file=None)
        engine = CachingEngine(EngineRegistry("tesseract", factory=lambda n, c: build_engine(n, settings, c)).get())
        try:
            by_file: dict[str, list[dict]] = {}
            for read in read_sheets(folder, todo, engine, options, settings):
                ocr = read.read.ocr
                structure = read.read.structure
                rules = rules_to_json(structure.rules) if structure is not None else []
                by_file.setdefault(read.file, []).append({
                    "page": read.page, "kind": read.kind, "width": ocr.width, "height": ocr.height,
                    "seconds": round(read.seconds, 3), "lines": [_words_json(list(line.words)) for line in ocr.lines],
                    "rules": rules, "bubbles": [b.to_list() for b in structure.bubbles] if structure is not None else [],
                })
            for name, pages in by_file.items():
                (store / f"{name}.json").write_text(json.dumps(pages, separators=(",", ":")))
                out += [_thaw(name, p) for p in pages]
        finally:
            engine.close()
    order = {name: i for i, name in enumerate(files)}
    return sorted(out, key=lambda p: (order[p.file], p.page))


def _thaw(name: str, data: dict) -> FrozenPage:
    lines = [Line(tuple(_words_from(words))) for words in data["lines"]]
    structure = PageStructure.from_rules(rules_from_json(data.get("rules") or []), data["width"], data["height"])
    structure = replace(structure, bubbles=tuple(Box(*b) for b in data.get("bubbles") or ()))
    return FrozenPage(name, data["page"], data["kind"], data["width"], data["height"], lines, data["seconds"], structure)
