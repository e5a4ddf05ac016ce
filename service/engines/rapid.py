"""Local OCR with RapidOCR: PaddleOCR's PP-OCR models run by onnxruntime (extra ``rapidocr``).

The models ship inside the ``rapidocr`` wheel, so nothing is downloaded at
run time. The detector is built for photos of about 2000 pixels, so a sheet
is scaled to ``work_dpi`` and read in overlapping tiles; each word belongs
to the tile whose core holds its centre (a word longer than the overlap that
crosses a tile edge comes back in pieces, hence the large tiles). The page is turned upright first
(tesseract's OSD, :mod:`planocr.engines.orientation`). PP-OCR reads
vertical lines by itself; as drafting convention has it, they are taken to
read bottom to top (``Word.angle`` 90).

Threading: one ``RapidOCR`` (three onnxruntime sessions) per worker thread,
each limited to ``threads`` cores so that N workers do not oversubscribe.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
from PIL import Image
from rapidocr import RapidOCR

from planocr.core.page import Box, Line, OcrResult, Word
from planocr.engines import geometry
from planocr.engines.base import OcrEngine
from planocr.engines.orientation import OrientationDetector
from planocr.engines.tesseract import default_tessdata
from planocr.errors import Reason, Unavailable

log = logging.getLogger(__name__)


class RapidOcrEngine(OcrEngine):
    """PP-OCR (det + cls + rec) over tiles of the page at ``work_dpi``."""

    name = "rapidocr"

    def __init__(
        self,
        *,
        work_dpi: int = 120,
        tile: int = 1600,
        overlap: int = 160,
        threads: int = 1,
        orientation: bool = True,
        tessdata: str | None = None,
    ):
        self.work_dpi = work_dpi
        self.tile = tile
        self.overlap = overlap
        self.threads = threads
        self._orientation = OrientationDetector(tessdata or default_tessdata()) if orientation else None
        self._local = threading.local()

    def _ocr(self) -> RapidOCR:
        ocr = getattr(self._local, "ocr", None)
        if ocr is None:
            try:
                ocr = RapidOCR(
                    params={
                        "Global.log_level": "error",
                        "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                        # Detect at the tile's own resolution: the default shrinks it to 736 pixels.
                        "Det.limit_type": "max",
                        "Det.limit_side_len": self.tile,
                        "Global.max_side_len": self.tile,
                    }
                )
            except Exception as exc:  # rapidocr raises plain exceptions for missing or broken models
                raise Unavailable(f"rapidocr could not load its models: {exc}", reason=Reason.ENGINE_UNAVAILABLE) from exc
            self._local.ocr = ocr
        return ocr

    def recognize(self, image: Image.Image, *, dpi: int | None = None) -> OcrResult:
        grey = image if image.mode == "L" else image.convert("L")
        dpi = int(dpi or 300)
        rotation = self._orientation.detect(grey, dpi) if self._orientation else 0
        page = geometry.rotate(grey, rotation)
        scale = min(1.0, self.work_dpi / dpi)
        work = page if scale == 1.0 else page.resize((round(page.width * scale), round(page.height * scale)), Image.Resampling.BOX)
        scale = work.width / page.width
        lines: list[Line] = []
        for left, top, core in self._tiles(work.width, work.height):
            tile = work.crop((left, top, min(work.width, left + self.tile), min(work.height, top + self.tile)))
            for line in self._read_tile(tile):
                kept = tuple(
                    geometry.word_from_frame(w, scale=scale, offset=(round(left / scale), round(top / scale)))
                    for w in line
                    if _inside(w.box.shifted(left, top).center, core)
                )
                if kept:
                    lines.append(Line(kept))
        lines.sort(key=lambda line: (line.box.top, line.box.left))
        return OcrResult(width=page.width, height=page.height, lines=lines, rotation=rotation, engine=self.name)

    def _tiles(self, width: int, height: int):
        """Tile origins with their cores: the cores cut the image into disjoint parts."""
        step = self.tile - self.overlap
        xs = list(range(0, max(1, width - self.overlap), step)) or [0]
        ys = list(range(0, max(1, height - self.overlap), step)) or [0]
        half = self.overlap // 2
        for y in ys:
            for x in xs:
                core = (
                    0 if x == 0 else x + half,
                    0 if y == 0 else y + half,
                    width if x == xs[-1] else x + step + half,
                    height if y == ys[-1] else y + step + half,
                )
                yield x, y, core

    def _read_tile(self, tile: Image.Image) -> list[list[Word]]:
        # A whole run answers a RapidOCROutput; the library's annotation is the union of every stage's output.
        out: Any = self._ocr()(np.asarray(tile.convert("RGB")), return_word_box=True)
        if out.boxes is None or not out.txts:
            return []
        lines: list[list[Word]] = []
        for quad, text, score, words in zip(out.boxes, out.txts, out.scores, out.word_results, strict=False):
            line_box = _quad_box(quad)
            vertical = line_box.height > 1.5 * line_box.width and len(text) > 1
            found = [Word(t, _quad_box(b), float(s)) for t, s, b in words if t.strip()] or [Word(text, line_box, float(score))]
            if vertical:
                found = [_bottom_to_top(w, line_box) for w in found]
            lines.append(found)
        return lines

    def close(self) -> None:
        if self._orientation:
            self._orientation.close()


def _quad_box(points) -> Box:
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return Box.from_corners(min(xs), min(ys), max(xs), max(ys))


def _bottom_to_top(word: Word, line: Box) -> Word:
    """PP-OCR lays out a vertical line's word boxes top to bottom; mirror them for upward text."""
    top = line.top + (line.bottom - word.box.bottom)
    return Word(word.text, Box(line.left, top, line.width, word.box.height), word.confidence, 90)


def _inside(point: tuple[float, float], core: tuple[int, int, int, int]) -> bool:
    x, y = point
    return core[0] <= x < core[2] and core[1] <= y < core[3]
