"""A page's geometry and what is read from it: boxes, words, lines, an OCR result.

Coordinates are page pixels, origin top left. See :class:`OcrResult` for the
frame every box of a reading lies in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from planocr.core.records import TextSource
from planocr.errors import InvalidArgument, Reason


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle in page pixels, origin top left."""

    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    @property
    def center(self) -> tuple[float, float]:
        return (self.left + self.width / 2, self.top + self.height / 2)

    @property
    def area(self) -> int:
        return self.width * self.height

    @classmethod
    def from_corners(cls, x0: float, y0: float, x1: float, y1: float) -> Box:
        left, right = sorted((x0, x1))
        top, bottom = sorted((y0, y1))
        return cls(round(left), round(top), max(0, round(right - left)), max(0, round(bottom - top)))

    @classmethod
    def union(cls, boxes: Iterable[Box]) -> Box:
        it = iter(boxes)
        first = next(it, None)
        if first is None:
            return cls(0, 0, 0, 0)
        left, top = first.left, first.top
        right, bottom = left + first.width, top + first.height
        for b in it:
            if b.left < left:
                left = b.left
            if b.top < top:
                top = b.top
            if b.left + b.width > right:
                right = b.left + b.width
            if b.top + b.height > bottom:
                bottom = b.top + b.height
        return cls(left, top, right - left, bottom - top)

    def to_list(self) -> list[int]:
        return [self.left, self.top, self.width, self.height]

    def shifted(self, dx: int, dy: int) -> Box:
        return Box(self.left + dx, self.top + dy, self.width, self.height)

    def grown(self, pad: int) -> Box:
        """This box with ``pad`` pixels more on every side."""
        return Box(self.left - pad, self.top - pad, self.width + 2 * pad, self.height + 2 * pad)

    def scaled(self, factor: float) -> Box:
        return Box.from_corners(self.left * factor, self.top * factor, self.right * factor, self.bottom * factor)

    def clip(self, width: int, height: int) -> Box | None:
        """This box cut to a page of ``width`` x ``height``; None when nothing of it is on the page."""
        left, top = max(0, self.left), max(0, self.top)
        right, bottom = min(width, self.right), min(height, self.bottom)
        if right <= left or bottom <= top:
            return None
        return Box(left, top, right - left, bottom - top)

    def overlap(self, other: Box) -> float:
        """Intersection area over the smaller box's area (0 when either box is empty)."""
        w = min(self.right, other.right) - max(self.left, other.left)
        h = min(self.bottom, other.bottom) - max(self.top, other.top)
        smaller = min(self.width * self.height, other.width * other.height)
        if w <= 0 or h <= 0 or smaller <= 0:
            return 0.0
        return w * h / smaller

    def centre_in(self, region: Box | None) -> bool:
        """Whether the centre of this box lies in ``region`` (never in None)."""
        if region is None:
            return False
        cx, cy = self.center
        return region.left <= cx <= region.right and region.top <= cy <= region.bottom

    def from_rotated(self, clockwise: int, size: tuple[int, int]) -> Box:
        """This box, found in an image of ``size`` turned clockwise by ``clockwise``, mapped back to that image."""
        width, height = size
        x0, y0, x1, y1 = self.left, self.top, self.right, self.bottom
        clockwise %= 360
        if clockwise == 90:
            return Box.from_corners(y0, height - x1, y1, height - x0)
        if clockwise == 180:
            return Box.from_corners(width - x1, height - y1, width - x0, height - y0)
        if clockwise == 270:
            return Box.from_corners(width - y1, x0, width - y0, x1)
        return self

    def to_rotated(self, clockwise: int, size: tuple[int, int]) -> Box:
        """This box, in an image of ``size``, mapped into that image turned clockwise by ``clockwise``."""
        width, height = size
        clockwise %= 360
        if clockwise in (90, 270):
            return self.from_rotated(360 - clockwise, (height, width))
        return self.from_rotated(clockwise, size)


@dataclass(frozen=True, slots=True)
class Word:
    """One recognized word.

    ``angle`` is the direction the text runs, counter-clockwise in degrees
    (0 normal, 90 reading bottom to top, 270 reading top to bottom).
    ``confidence`` is from 0 to 1.
    """

    text: str
    box: Box
    confidence: float = 1.0
    angle: int = 0


@dataclass(frozen=True, slots=True)
class Line:
    """A run of words on one baseline, in reading order."""

    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> Box:
        return Box.union(w.box for w in self.words)

    @property
    def confidence(self) -> float:
        if not self.words:
            return 0.0
        return min(w.confidence for w in self.words)

    @property
    def angle(self) -> int:
        return self.words[0].angle if self.words else 0


@dataclass(slots=True)
class OcrResult:
    """What was read from one page image.

    Coordinates are in the UPRIGHT page frame. ``rotation`` (0, 90, 180 or
    270) is how far the input image had to be turned clockwise for its text
    to read upright (a page scanned lying on its left side has 90);
    ``width`` and ``height`` are the size of that upright frame, so they are
    the input's swapped for 90 and 270. Every box lies in that frame. Text
    that runs another way than the page (a vertical title block, a rotated
    label) keeps the page's frame and has ``Word.angle`` set.
    ``text_source`` says where the text came from.
    """

    width: int
    height: int
    lines: list[Line] = field(default_factory=list)
    rotation: int = 0
    engine: str = ""
    text_source: TextSource = TextSource.OCR

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)



def check_image_size(width: int, height: int, max_pixels: int) -> None:
    """Refuse an empty image or one over ``max_pixels`` (``InvalidArgument``, ``IMAGE_TOO_LARGE``)."""
    if width <= 0 or height <= 0:
        raise InvalidArgument(f"image has no pixels ({width} x {height})", reason=Reason.IMAGE_UNREADABLE)
    if width * height > max_pixels:
        raise InvalidArgument(
            f"image of {width} x {height} pixels is larger than the limit of {max_pixels:,} pixels",
            reason=Reason.IMAGE_TOO_LARGE,
            metadata={"width": str(width), "height": str(height), "max_pixels": str(max_pixels)},
        )


__all__ = ["Box", "Line", "OcrResult", "Word", "check_image_size"]
