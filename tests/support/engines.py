"""Fake engines for tests: they count calls, block on demand, fail on demand."""

from __future__ import annotations

import collections
import threading
import time

from PIL import Image

from planocr.core.page import Box, Line, OcrResult, Word
from planocr.engines.base import OcrEngine


class CountingEngine(OcrEngine):
    """Returns one word per page and counts calls by image size; optionally slow."""

    name = "counting"

    def __init__(self, delay: float = 0.0, text: str = "COUNTED"):
        self.delay = delay
        self.text = text
        self.calls = 0
        self.by_size: collections.Counter[tuple[int, int]] = collections.Counter()
        self._lock = threading.Lock()
        self.max_concurrent = 0
        self._active = 0

    def recognize(self, image: Image.Image, *, dpi: int | None = None) -> OcrResult:
        with self._lock:
            self.calls += 1
            self.by_size[image.size] += 1
            self._active += 1
            self.max_concurrent = max(self.max_concurrent, self._active)
        try:
            if self.delay:
                time.sleep(self.delay)
            word = Word(self.text, Box(10, 10, 100, 20), 0.9)
            return OcrResult(image.width, image.height, [Line((word,))], engine=self.name)
        finally:
            with self._lock:
                self._active -= 1


class BlockingEngine(CountingEngine):
    """Blocks inside recognize until the test calls ``release()``."""

    name = "blocking"

    def __init__(self):
        super().__init__()
        self.entered = threading.Event()
        self._release = threading.Event()

    def release(self) -> None:
        self._release.set()

    def recognize(self, image: Image.Image, *, dpi: int | None = None) -> OcrResult:
        self.entered.set()
        if not self._release.wait(30):
            raise TimeoutError("test never released the engine")
        return super().recognize(image, dpi=dpi)
