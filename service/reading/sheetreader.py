"""Reading one sheet within a time budget: its text layer or one engine pass, then closer looks where they pay.

A drawing's index (sheet number, title, scale) sits in a small part of the
sheet. The reader reads the whole page once, at its own resolution (or
takes its PDF text layer when that reads), parses the title block, and
reads again only small regions where the first reading says a closer look
pays:

``large``
    text an inch or so tall (a sheet number drawn large), which
    tesseract's models misread at full resolution (``S1.0`` as ``1.0``,
    ``W4`` as ``4``): around each large word the first reading found, a
    strip of the page reduced until that text is about 40 pixels tall;
``vertical``
    the bands along the left and right edges turned a quarter, at about
    150 DPI, where title blocks run their text bottom to top (or top to
    bottom along the right edge); bands where turned text shows are read
    again at the page's resolution (up to 300 DPI);
``bubble``
    the circles at the page's corners (civil and highway sheets number
    themselves with the sheet number over the total in one), their two
    halves read on their own at 300 DPI or more;
``block``
    the title block enlarged to 300 DPI on a scan below ``enlarge_below``
    DPI (6 to 8 pt type is 12 to 17 pixels tall at 150 DPI);
``cells``
    a labelled scale cell whose value did not read, on its own at 450 DPI;
``lang``
    the title block with the extra model (German) beside the first when
    the first reading shows that language's title-block words;
``complete``
    for a text layer without a sheet number, title or scale on a
    drawing-size page (text drawn as outlines, a pasted title block
    image): the title block's likely places, OCRed, added where the layer
    has no text.

Each extra read is counted in pixels against ``budget`` (a share of the
first reading's pixels; an engine's time is about proportional to the
pixels it reads) and skipped when it would overrun it. Every engine call
made is recorded as a :class:`Step`, so callers and tests see what a page
cost. ``docs/engines.md`` has the measurements behind these choices.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from PIL import Image

from planocr.core.lines import group_words, is_running_text
from planocr.core.page import Box, Line, OcrResult, Word
from planocr.engines import geometry
from planocr.engines.base import BLOCK, CELL, DIGITS, SPARSE, OcrEngine
from planocr.engines.vertical import one_direction, vertical_bands, vertical_words
from planocr.errors import Internal, Reason
from planocr.media import textlayer
from planocr.titleblock import TitleBlockResult, parse_title_block
from planocr.titleblock.focus import find_focus
from planocr.titleblock.ranker import Ranker
from planocr.titleblock.rules import bubble_content, find_bubbles, find_rules
from planocr.titleblock.structure import PageStructure

#: Every kind of closer look the reader knows.
EXTRA_READS = ("large", "vertical", "bubble", "block", "cells", "lang", "complete")

#: Resolution turned text is looked for at, the most it is read again at, and what a title block is enlarged to.
SEARCH_DPI = 150
READ_DPI = 300
#: Labelled cells whose value did not read are read again at this resolution.
CELL_DPI = 450
#: Shares of the page width where turned title blocks are looked for: the right and the left edge.
RIGHT_BAND = 0.2
LEFT_BAND = 0.12
#: Words this tall (inches) are large text; it is read again reduced to about LARGE_PIXELS tall.
LARGE_INCHES = 0.22
LARGE_PIXELS = 40
#: At most this many places of large text are read again, those nearest a page corner first.
MOST_LARGE = 8
#: Bands of turned text wider than this share of the page are not read again at full resolution.
NARROW_BAND = 0.1
#: A field found with this confidence needs no closer look.
SURE = 0.8
#: A sheet number this sure spares the page the turned-edge reads (the costliest closer look, which
#: earns least on real sheets): on the training pages (generated and eval-real, the shipped model) best
#: numbers at 0.65 or more are right as often as those at 0.8 or more (96.9 % and 96.7 %). The cheap
#: bubble read still runs below SURE: a wrong number at 0.65 (a detail's mark) is what it corrects.
SURE_ENOUGH_NUMBER = 0.65
#: A drawing-size page is at least this long on its longer side (A3/ANSI B and up).
DRAWING_INCHES = 16.0
#: Where a title block may be when nothing else says: along the right edge, along the bottom.
EDGE_GUESSES = ((0.8, 0.0, 1.0, 1.0), (0.0, 0.85, 1.0, 1.0))

#: Title-block words by which a first (English) reading shows a page's language, as that reading spells them.
LANGUAGE_MARKERS: dict[str, frozenset[str]] = {
    "deu": frozenset({
        "maßstab", "massstab", "mabstab", "mafstab", "madstab", "planinhalt", "plannummer", "plan-nr", "plan-nr.",
        "plan-nr.:", "bauvorhaben", "bauherr", "bauherrschaft", "gezeichnet", "geprüft", "gepruft", "geprift",
        "grundriss", "ansicht", "ansichten", "schnitt", "erdgeschoss", "obergeschoss", "untergeschoss",
        "dachgeschoss", "architekten", "projekt-nr.", "blatt", "zeichnungsnummer", "lageplan", "bauteil",
    }),
}
#: Distinct marker words a page needs to count as written in the language.
MARKERS_NEEDED = 3


@dataclass(frozen=True, slots=True)
class ReadingOptions:
    """How much a sheet may be read beyond its first reading, and where.

    ``budget`` is the most the extra reads may add, in pixels, as a share of
    the first reading's pixels (0: none at all). ``extra_reads`` names the
    kinds of closer look allowed (:data:`EXTRA_READS`). ``enlarge_below``:
    scans below this DPI get their title block read at 300 DPI (0: never).
    ``lang``: the model added for pages that show its title-block words
    (empty: never).
    """

    budget: float = 0.5
    extra_reads: frozenset[str] = frozenset(EXTRA_READS)
    enlarge_below: int = 250
    lang: str = "deu"


@dataclass(frozen=True, slots=True)
class Step:
    """One engine call made for a page: what it read, how many pixels, how long it took."""

    kind: str  # "page" for the first reading, else one of EXTRA_READS
    box: Box | None
    pixels: int
    seconds: float
    words: int


@dataclass(slots=True)
class SheetRead:
    """What was read from one sheet: its text, its title block, and the engine calls it took."""

    ocr: OcrResult
    title_block: TitleBlockResult
    steps: list[Step] = field(default_factory=list)
    structure: PageStructure | None = None

    @property
    def engine_seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


def speaks(words: Sequence[Word], lang: str) -> bool:
    """Whether ``words`` hold enough of ``lang``'s title-block vocabulary (:data:`LANGUAGE_MARKERS`)."""
    markers = LANGUAGE_MARKERS.get(lang)
    if not markers:
        return False
    found = {w.text.lower().strip(":;,") for w in words} & markers
    return len(found) >= MARKERS_NEEDED


class SheetReader:
    """Reads sheets with ``options``; titles blocks weighed by ``ranker`` (default: the fitted model).

    A page's :class:`~planocr.titleblock.structure.PageStructure` (its ruled
    cells and the title block they draw) comes with it when its PDF was
    rendered at upload; for images it is found here, from the upright page.
    """

    def __init__(self, options: ReadingOptions | None = None, ranker: Ranker | None = None):
        self.options = options or ReadingOptions()
        self.ranker = ranker

    def parse(self, lines: Sequence[Line], width: int, height: int, structure: PageStructure | None = None) -> TitleBlockResult:
        structure = structure or PageStructure()
        return parse_title_block(lines, width, height, cells=structure.cells, block=structure.block,
                                 bubbles=structure.bubbles, ranker=self.ranker)

    # -- the text layer ------------------------------------------------------------------------

    def read_layer(self, layer: OcrResult, structure: PageStructure | None = None) -> SheetRead:
        """A sheet from its PDF text layer alone."""
        return SheetRead(layer, self.parse(layer.lines, layer.width, layer.height, structure), structure=structure)

    def needs_completion(self, read: SheetRead, dpi: int | None) -> bool:
        """Whether a text layer's reading lacks part of its title block on a drawing-size page (outline text,
        pasted images): no sheet number, title or scale."""
        if "complete" not in self.options.extra_reads or _filled(read.title_block) == len(INDEX_FIELDS):
            return False
        return max(read.ocr.width, read.ocr.height) >= DRAWING_INCHES * (dpi or 300)

    def complete(self, engine: OcrEngine, image: Image.Image, dpi: int, read: SheetRead) -> SheetRead:
        """OCR the title block's likely places on a text-layer page and add what the layer lacks there.

        The places are the block the layer's own reading found, else the
        right and bottom edges where title blocks sit; each is read as it is
        and, along the right edge, turned for bottom-to-top text. The
        combined reading is kept only when it fills a field the layer's reading left empty.
        """
        layer, steps = read.ocr, list(read.steps)
        if (image.width, image.height) != (layer.width, layer.height):
            return read
        grey = image if image.mode == "L" else image.convert("L")
        known = read.title_block.region or (read.structure.block if read.structure else None)
        places = [known] if known is not None else [
            Box.from_corners(x0 * image.width, y0 * image.height, x1 * image.width, y1 * image.height)
            for x0, y0, x1, y1 in EDGE_GUESSES
        ]
        found: list[Word] = []
        for place in places:
            found += self._region(engine, grey, place, dpi, "complete", steps, target_dpi=min(dpi, READ_DPI))
            if place.height > 2 * place.width:  # a strip along a side edge: its text may run bottom to top
                found += vertical_words(self._region(engine, grey, place, dpi, "complete", steps, angle=90,
                                                     target_dpi=min(dpi, READ_DPI)))
        # Where the layer has no text, even an unsure OCR word is the only reading there is
        # (a large outlined "S2.21" comes back as "52.21" at confidence 0); marks and specks are not.
        found = [w for w in found if _wordlike(w.text)]
        combined = textlayer.complete_with_words(layer, found, engine.name, min_confidence=0.0)
        if combined is None:
            return SheetRead(layer, read.title_block, steps, read.structure)
        title_block = self.parse(combined.lines, combined.width, combined.height, read.structure)
        number = read.title_block.value("sheet_number")
        if _filled(title_block) <= _filled(read.title_block) or (number and title_block.value("sheet_number") != number):
            # kept only when it finds what the layer lacked, and never at the price of the layer's number
            return SheetRead(layer, read.title_block, steps, read.structure)
        return SheetRead(combined, title_block, steps, read.structure)

    # -- OCR -----------------------------------------------------------------------------------

    def read_image(self, engine: OcrEngine, image: Image.Image, dpi: int | None,
                   structure: PageStructure | None = None) -> SheetRead:
        """A sheet OCRed: one reading of the whole page, then the closer looks that pay, within the budget."""
        dpi = int(dpi or 300)
        steps: list[Step] = []
        started = time.perf_counter()
        first = validate_result(engine.recognize(image, dpi=dpi), engine.name)
        steps.append(Step("page", None, image.width * image.height, time.perf_counter() - started, len(first.words)))
        allowed = self.options.extra_reads if engine.reads_regions else frozenset()
        grey = image if image.mode == "L" else image.convert("L")
        upright = geometry.rotate(grey, first.rotation)
        if structure is None or first.rotation:
            structure = page_structure(upright, dpi)
        if not allowed or self.options.budget <= 0:
            return SheetRead(first, self.parse(first.lines, first.width, first.height, structure), steps, structure)
        if is_running_text(first.lines, first.width, first.height):
            # A page of running text is read once. On a drawing-size sheet (a civil set's notes or
            # quantities) the number may stand only in a corner bubble, two small regions to read.
            parsed = self.parse(first.lines, first.width, first.height, structure)
            drawing = max(image.width, image.height) >= DRAWING_INCHES * dpi
            if "bubble" in allowed and drawing and not _sure(parsed, "sheet_number"):
                budget = _Budget(self.options.budget * image.width * image.height)
                lines, places = self._bubbles(engine, upright, dpi, list(first.lines), steps, budget)
                if places:
                    structure = replace(structure, bubbles=places)
                    parsed = self.parse(lines, first.width, first.height, structure)
                    return SheetRead(replace(first, lines=lines), parsed, steps, structure)
            return SheetRead(first, parsed, steps, structure)
        budget = _Budget(self.options.budget * image.width * image.height)
        lines = list(first.lines)
        # What the latest parse was made from: a dense page takes 0.5 s to parse, so it is not parsed twice.
        parsed_from: tuple[list[Line], PageStructure] | None = None

        def parse(lines: list[Line], structure: PageStructure) -> TitleBlockResult:
            nonlocal parsed_from
            parsed_from = (lines, structure)
            return self.parse(lines, first.width, first.height, structure)

        parsed = parse(lines, structure)

        # The first reading decides what else is worth reading: nothing more where it found the
        # sheet number and title with confidence.
        if "large" in allowed:  # a few small reduced copies: cheap, and a sure number may have lost a letter
            before = len(steps)
            lines = self._large(engine, upright, dpi, lines, steps, budget)
            if len(steps) > before:
                parsed = parse(lines, structure)
        if "vertical" in allowed and not (_sure(parsed, "sheet_number", SURE_ENOUGH_NUMBER)
                                          and _sure(parsed, "sheet_title")):
            before = len(steps)
            lines = self._vertical(engine, upright, dpi, lines, steps, budget)
            if len(steps) > before:
                parsed = parse(lines, structure)
        if "bubble" in allowed and not _sure(parsed, "sheet_number"):
            before = len(steps)
            lines, places = self._bubbles(engine, upright, dpi, lines, steps, budget)
            if places != structure.bubbles:
                structure = replace(structure, bubbles=places)
            if len(steps) > before:
                parsed = parse(lines, structure)
        focus = find_focus(lines, first.width, first.height, parsed)

        unsure = not all(_sure(parsed, name) for name in ("sheet_number", "sheet_title", "scale"))
        if "block" in allowed and unsure and 0 < dpi < self.options.enlarge_below:
            # The whole block when the budget allows, else the part of it that holds the fields found,
            # else the block the page's rules draw.
            region = next((r for r in (focus.region, focus.core, structure.block) if r is not None
                           and budget.allows(_scaled_pixels(r.grown(round(0.5 * dpi)), dpi, READ_DPI))), None)
            if region is not None:
                grown = region.grown(round(0.5 * dpi))
                words = self._region(engine, upright, grown, dpi, "block", steps, target_dpi=READ_DPI)
                budget.spend(steps[-1].pixels)
                lines = geometry.replace_in(lines, region, words)
                parsed = parse(lines, structure)
                focus = find_focus(lines, first.width, first.height, parsed)

        if "cells" in allowed and focus.cells:
            for box, angle in focus.cells:
                if not budget.allows(_scaled_pixels(box, dpi, CELL_DPI)):
                    break
                words = self._region(engine, upright, box.grown(round(0.05 * dpi)), dpi, "cells", steps,
                                     angle=angle, target_dpi=CELL_DPI, layout=CELL)
                budget.spend(steps[-1].pixels)
                lines = geometry.replace_in(lines, box, words)

        lang = self.options.lang
        if "lang" in allowed and lang and lang in engine_languages(engine) and speaks(_words(lines), lang):
            region = focus.region or Box(0, 0, first.width, first.height)
            if budget.allows(_scaled_pixels(region, dpi, min(dpi, READ_DPI))):
                both = f"{getattr(engine, 'lang', 'eng')}+{lang}"
                words = self._region(engine, upright, region, dpi, "lang", steps, target_dpi=min(dpi, READ_DPI),
                                     lang=both)
                budget.spend(steps[-1].pixels)
                lines = geometry.replace_in(lines, region, words)

        result = replace(first, lines=lines)
        if parsed_from is not None and parsed_from[0] is lines and parsed_from[1] is structure:  # nothing read since
            return SheetRead(result, parsed, steps, structure)
        return SheetRead(result, parse(lines, structure), steps, structure)

    def _large(self, engine: OcrEngine, upright: Image.Image, dpi: int, lines: list[Line], steps: list[Step],
               budget: _Budget) -> list[Line]:
        """Large words read again on a copy reduced until they are about LARGE_PIXELS tall, with room for lost letters."""
        width, height = upright.size
        large = [w for w in _words(lines) if _across(w) >= LARGE_INCHES * dpi and any(ch.isalnum() for ch in w.text)]
        large.sort(key=lambda w: _corner_distance(w.box, width, height))
        places: list[tuple[Box, int, int, int]] = []
        for word in large:
            size = _across(word)
            pad = 3 * size
            box = word.box.grown(pad).clip(width, height)
            if box is None or any(word.box.centre_in(other) for other, _, _, _ in places):
                continue
            places.append((box, word.angle, max(36, round(dpi * LARGE_PIXELS / size)), size))
            if len(places) >= MOST_LARGE:
                break
        for box, angle, target, size in places:
            if target >= dpi or not budget.allows(_scaled_pixels(box, dpi, target)):
                continue
            words = self._region(engine, upright, box, dpi, "large", steps, angle=angle, target_dpi=target)
            budget.spend(steps[-1].pixels)
            # The reduced reading is the better one of the large text (only): it replaces the first
            # reading's large words on that line, and brings the letters that reading lost.
            line = _line_box(box, size, angle)
            fresh = [w for w in words if _large_on(w, size, line)]
            if fresh:
                lines = [Line(kept) for ln in lines if (kept := tuple(w for w in ln.words if not _large_on(w, size, line)))]
                lines = lines + group_words(fresh)
        return lines

    def _bubbles(self, engine: OcrEngine, upright: Image.Image, dpi: int, lines: list[Line], steps: list[Step],
                 budget: _Budget) -> tuple[list[Line], tuple[Box, ...]]:
        """What is written in the divided corner bubbles: their writing alone (rings and bar erased), read as digits.

        Also returns where each holds its sheet number: above its bar. A civil or DOT sheet gives its
        number over the sheet count in a circle cut by a bar; an undivided circle near a corner is a
        grid bubble or a detail mark far more often, and is left as the first reading had it.
        """
        places: list[Box] = []
        for bubble in find_bubbles(upright, dpi):
            if not bubble.divided or bubble.upper is None:
                continue
            if not budget.allows(_scaled_pixels(bubble.box, dpi, dpi)):
                break
            content, (left, top) = bubble_content(upright, bubble)
            started = time.perf_counter()
            # Each half is read alone: read together, the engine often gives the total below the bar
            # and drops the sheet number above it (a lone digit).
            halves = [part for part in (bubble.upper, bubble.lower) if part is not None]
            parts = [Box(part.left - left, part.top - top, part.width, part.height) for part in halves]
            words = [w for part in parts if part.width > 0 and part.height > 0
                     for w in engine.read_region(content, part, dpi=dpi, layout=DIGITS)]
            words = [Word(w.text, Box(w.box.left + left, w.box.top + top, w.box.width, w.box.height), w.confidence,
                          w.angle) for w in words]
            steps.append(Step("bubble", bubble.box, content.width * content.height, time.perf_counter() - started,
                              len(words)))
            budget.spend(steps[-1].pixels)
            lines = geometry.replace_in(lines, bubble.box, words)
            places.append(bubble.upper)
        return lines, tuple(places)

    def _vertical(self, engine: OcrEngine, upright: Image.Image, dpi: int, lines: list[Line], steps: list[Step],
                  budget: _Budget) -> list[Line]:
        """Turned text along the side edges: found at about 150 DPI, read again at the page's resolution where it is."""
        width, height = upright.size
        search = min(dpi, SEARCH_DPI)
        bands = [(Box(round((1 - RIGHT_BAND) * width), 0, width - round((1 - RIGHT_BAND) * width), height), 90),
                 (Box(round((1 - RIGHT_BAND) * width), 0, width - round((1 - RIGHT_BAND) * width), height), 270),
                 (Box(0, 0, round(LEFT_BAND * width), height), 90)]
        found: list[Word] = []
        for box, angle in bands:
            if not budget.allows(_scaled_pixels(box, dpi, search)):
                continue
            found += self._region(engine, upright, box, dpi, "vertical", steps, angle=angle, target_dpi=search)
            budget.spend(steps[-1].pixels)
        found = vertical_words(found)
        if found and dpi > search * 1.3:
            closer: list[Word] = []
            for left, right, angle in vertical_bands(found):
                band = Box(left, 0, right - left, height).clip(width, height)
                # Only narrow bands (a strip's column of cells) are worth their pixels at full resolution.
                if band is None or band.width > NARROW_BAND * width:
                    continue
                if not budget.allows(_scaled_pixels(band, dpi, min(dpi, READ_DPI))):
                    continue
                closer += self._region(engine, upright, band, dpi, "vertical", steps, angle=angle,
                                       target_dpi=min(dpi, READ_DPI))
                budget.spend(steps[-1].pixels)
            # Both readings go on: large text often reads better at 150 DPI, and the more
            # confident reading of a place wins when they are merged.
            found = vertical_words(closer) + found
        found = one_direction(found)
        return geometry.add_words(lines, found) if found else lines

    def _region(self, engine: OcrEngine, image: Image.Image, box: Box, dpi: int, kind: str, steps: list[Step], *,
                angle: int = 0, target_dpi: int | None = None, layout: str = SPARSE,
                lang: str | None = None) -> list[Word]:
        clipped = box.clip(image.width, image.height)
        if clipped is None:
            return []
        started = time.perf_counter()
        words = engine.read_region(image, clipped, dpi=dpi, angle=angle, target_dpi=target_dpi, layout=layout, lang=lang)
        steps.append(Step(kind, clipped, _scaled_pixels(clipped, dpi, target_dpi or dpi),
                          time.perf_counter() - started, len(words)))
        return words


def _across(word: Word) -> int:
    """A word's text height: its box's height, or width for turned text."""
    return word.box.width if word.angle in (90, 270) else word.box.height


def _line_box(place: Box, size: int, angle: int) -> Box:
    """The line of large text in the middle of a place read around a large word (``size`` tall)."""
    cx, cy = place.center
    if angle in (90, 270):
        return Box(round(cx - 0.8 * size), place.top, round(1.6 * size), place.height)
    return Box(place.left, round(cy - 0.8 * size), place.width, round(1.6 * size))


def _large_on(word: Word, size: int, line: Box) -> bool:
    """Whether ``word`` is text of about ``size`` pixels across, on ``line``."""
    return _across(word) >= 0.6 * size and word.box.centre_in(line)


def _corner_distance(box: Box, width: int, height: int) -> float:
    cx, cy = box.center
    return min(abs(cx / width - a) + abs(cy / height - b) for a in (0, 1) for b in (0, 1))


def _wordlike(text: str) -> bool:
    alnum = sum(ch.isalnum() for ch in text)
    return alnum >= 2 and alnum >= 0.5 * len(text)


def _sure(parsed: TitleBlockResult, name: str, level: float = SURE) -> bool:
    found = parsed.fields.get(name)
    return found is not None and found.confidence >= level


def page_structure(upright: Image.Image, dpi: int) -> PageStructure:
    """The ruled cells and the title block of an upright page image."""
    return PageStructure.from_rules(find_rules(upright, dpi), upright.width, upright.height)


INDEX_FIELDS = ("sheet_number", "sheet_title", "scale")


def _filled(title_block: TitleBlockResult) -> int:
    return sum(bool(title_block.value(name)) for name in INDEX_FIELDS)


def validate_result(result: object, engine: str) -> OcrResult:
    """``result`` when it is made of lines, words and boxes; ENGINE_FAILED otherwise."""
    if not isinstance(result, OcrResult):
        raise Internal(f"engine {engine!r} returned {type(result).__name__}, not a result", reason=Reason.ENGINE_FAILED)
    try:
        ok = all(
            isinstance(line, Line)
            and all(isinstance(w, Word) and isinstance(w.text, str) and isinstance(w.box, Box)
                    and math.isfinite(w.confidence) for w in line.words)
            for line in result.lines
        ) and result.width > 0 and result.height > 0
    except (AttributeError, TypeError):
        ok = False
    if not ok:
        raise Internal(f"engine {engine!r} returned a malformed result", reason=Reason.ENGINE_FAILED)
    return result


def engine_languages(engine: OcrEngine) -> tuple[str, ...]:
    """The extra models an engine's region reads may ask for."""
    return tuple(getattr(engine, "extra_langs", ()))


class _Budget:
    def __init__(self, pixels: float):
        self.left = pixels

    def allows(self, pixels: float) -> bool:
        return pixels <= self.left

    def spend(self, pixels: float) -> None:
        self.left -= pixels


def _scaled_pixels(box: Box, dpi: int, target_dpi: int | None) -> int:
    """Pixels the engine reads for ``box`` of a ``dpi`` page resized to ``target_dpi``."""
    factor = 1.0
    if target_dpi and target_dpi > dpi * 1.05:
        factor = target_dpi / dpi
    elif target_dpi and dpi / target_dpi >= 2:
        factor = 1 / int(dpi // target_dpi)
    return round(box.width * box.height * factor * factor)


def _words(lines: Sequence[Line]) -> list[Word]:
    return [w for line in lines for w in line.words]


__all__ = ["BLOCK", "CELL", "EXTRA_READS", "ReadingOptions", "SheetRead", "SheetReader", "Step", "speaks", "validate_result"]
