"""The null engine: reads nothing, instantly. For tests and for measuring the service itself."""

from __future__ import annotations

from PIL import Image

from planocr.core.page import OcrResult
from planocr.engines.base import OcrEngine


class NullEngine(OcrEngine):
    """Returns an empty result the size of the image. Thread-safe: it holds no state."""

    name = "null"

    def recognize(self, image: Image.Image, *, dpi: int | None = None) -> OcrResult:
        return OcrResult(width=image.width, height=image.height, engine=self.name)
