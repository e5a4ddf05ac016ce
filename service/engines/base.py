"""The OCR engine interface.

Every engine turns one page image into words and lines with boxes in page
pixels (:mod:`planocr.core.page`). Engines are built once per process and
shared by all the threads that call them (the OCR worker threads in thread
isolation; in process isolation each engine worker process builds its own
and calls it from one thread), so:

* ``recognize`` must be safe to call from several threads at once. Engines
  that wrap a thread-unsafe library keep one native handle per thread.
* ``recognize`` must not touch the database or storage; it gets pixels and
  returns data.
* Failures are raised as :class:`EngineError` subclasses (``errors.py``):
  ``Unavailable`` for a remote engine that did not answer (retried by the
  pipeline), ``InvalidArgument`` for an image the engine cannot read.
* Every engine refuses images of more than ``max_pixels`` pixels
  (``InvalidArgument`` with reason ``IMAGE_TOO_LARGE``) before touching them:
  :class:`OcrEngine` wraps each subclass's ``recognize`` with that check, so
  a new engine cannot forget it.
"""

from __future__ import annotations

import abc
import functools

from PIL import Image

from planocr.core.page import Box, OcrResult, Word, check_image_size

#: Layouts :meth:`OcrEngine.read_region` reads a region in.
SPARSE = "sparse"
BLOCK = "block"
CELL = "cell"
DIGITS = "digits"  # a block of digits only (a sheet number over the total in a bubble)

#: Engines refuse larger images unless built with another ``max_pixels`` (the
#: server passes ``Settings.max_image_pixels``). ARCH E1 at 300 DPI is 113 MP.
DEFAULT_MAX_PIXELS = 200_000_000


class OcrEngine(abc.ABC):
    """Reads text from page images. See the module docstring for the threading contract."""

    #: The name callers use to choose the engine (``PLANOCR_ENGINE``, ``ProcessOptions.engine``).
    name: str = ""
    #: Largest image ``recognize`` accepts, in pixels (the decompression-bomb guard).
    max_pixels: int = DEFAULT_MAX_PIXELS

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        impl = cls.__dict__.get("recognize")
        if impl is None or getattr(impl, "__isabstractmethod__", False) or getattr(impl, "_guarded", False):
            return

        @functools.wraps(impl)
        def recognize(self: OcrEngine, image: Image.Image, **options: object) -> OcrResult:
            check_image_size(image.width, image.height, self.max_pixels)
            return impl(self, image, **options)

        recognize._guarded = True  # type: ignore[attr-defined]
        cls.recognize = recognize  # type: ignore[method-assign]

    @abc.abstractmethod
    def recognize(self, image: Image.Image, *, dpi: int | None = None) -> OcrResult:
        """Read ``image`` (mode L or RGB) and return lines with boxes in the upright page frame.

        ``dpi`` is the image's resolution when known; engines use it to size
        their text models. See :class:`OcrResult` for the coordinate frame.
        Images over ``max_pixels`` are refused before this method runs.
        """

    #: Whether :meth:`read_region` is worth calling: a local engine reads a small region in a
    #: fraction of a page's time; a remote one charges each call and answers no better.
    reads_regions: bool = False

    def read_region(self, image: Image.Image, box: Box, *, dpi: int, angle: int = 0,
                    target_dpi: int | None = None, layout: str = SPARSE, lang: str | None = None) -> list[Word]:
        """Words of ``box`` of the upright page ``image``, in the page's pixels.

        The region is turned clockwise by ``angle`` so that text running at
        that angle (as :attr:`Word.angle`) reads across, and enlarged to
        ``target_dpi`` when that is above ``dpi``; the words come back with
        their boxes in ``image``'s pixels and ``Word.angle`` set. ``layout``
        is :data:`SPARSE` (scattered labels), :data:`BLOCK` (one or two lines
        of a cell), :data:`CELL` (both, the more confident reading kept) or
        :data:`DIGITS` (a block of nothing but digits);
        ``lang`` another model set where the engine has several. This
        default reads the region with :meth:`recognize` and ignores
        ``layout`` and ``lang``.
        """
        from planocr.engines import geometry

        part, frame = geometry.region_copy(image, box, dpi, angle, target_dpi)
        result = self.recognize(part, dpi=frame.dpi)
        return [frame.to_page(w) for w in result.words]

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release native resources; called once at shutdown."""
