"""Google Cloud Vision DOCUMENT_TEXT_DETECTION as an engine (extra ``vision``).

* Credentials: application-default credentials (``GOOGLE_APPLICATION_CREDENTIALS``,
  workload identity, ``gcloud auth application-default login``).
* Every call has an explicit ``timeout`` and a bounded ``retry`` that retries
  only UNAVAILABLE and DEADLINE_EXCEEDED, within the same ``timeout``: the
  client library's default retry runs for up to 600 seconds.
* Vision accepts images of at most 75 megapixels and 20 MB. A larger page is
  cut into overlapping tiles, sent in one batch; each word belongs to the
  tile whose core holds its centre, and boxes are mapped back to the page.
  A tile that still encodes to more than the byte limit is downscaled.
* Errors become domain errors (:mod:`planocr.errors`): a failed image (a
  ``response.error``) and a failed call alike.

The client is thread-safe and shared by all worker threads.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence

from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.auth import exceptions as auth_exceptions
from google.cloud import vision
from PIL import Image

from planocr.core.lines import group_words
from planocr.core.page import Box, Line, OcrResult, Word
from planocr.engines import geometry
from planocr.engines.base import OcrEngine
from planocr.errors import (
    Code,
    FailedPrecondition,
    InvalidArgument,
    PlanocrError,
    Reason,
    ResourceExhausted,
    Unavailable,
)

#: Cloud Vision's documented limits for one image.
MAX_IMAGE_PIXELS = 75_000_000
MAX_IMAGE_BYTES = 20 * 1024 * 1024
#: Vision takes at most 16 images per batch request.
MAX_BATCH = 16

class VisionEngine(OcrEngine):
    """DOCUMENT_TEXT_DETECTION through ``ImageAnnotatorClient.batch_annotate_images``.

    ``client`` is an injected ``ImageAnnotatorClient`` (tests point one at a
    fake server); without it one is built on first use from ``endpoint``
    (host:port, default Google's) and application-default credentials.
    ``tile_pixels`` and ``tile_bytes`` lower the limits (tests use small ones).
    """

    name = "vision"

    def __init__(
        self,
        *,
        client: vision.ImageAnnotatorClient | None = None,
        endpoint: str | None = None,
        timeout: float = 60.0,
        language_hints: Sequence[str] = (),
        tile_pixels: int = MAX_IMAGE_PIXELS,
        tile_bytes: int = MAX_IMAGE_BYTES,
        overlap: int = 200,
    ):
        self.endpoint = endpoint
        self.timeout = timeout
        self.language_hints = list(language_hints)
        self.tile_pixels = tile_pixels
        self.tile_bytes = tile_bytes
        self.overlap = overlap
        self._client = client
        self._lock = threading.Lock()
        self._retry = gretry.Retry(
            predicate=gretry.if_exception_type(gexc.ServiceUnavailable, gexc.DeadlineExceeded),
            initial=0.2,
            maximum=5.0,
            multiplier=2.0,
            timeout=timeout,
        )

    def client(self) -> vision.ImageAnnotatorClient:
        """The shared client, built on first use so that start-up needs no credentials."""
        with self._lock:
            if self._client is None:
                options = {"api_endpoint": self.endpoint} if self.endpoint else None
                try:
                    self._client = vision.ImageAnnotatorClient(client_options=options)
                except auth_exceptions.DefaultCredentialsError as exc:
                    raise FailedPrecondition(
                        "Cloud Vision needs Google application-default credentials "
                        "(GOOGLE_APPLICATION_CREDENTIALS or workload identity)",
                        reason=Reason.ENGINE_UNAVAILABLE,
                    ) from exc
            return self._client

    def recognize(self, image: Image.Image, *, dpi: int | None = None) -> OcrResult:
        tiles = list(self._tiles(image))
        requests = [
            vision.AnnotateImageRequest(
                image=vision.Image(content=content),
                features=[vision.Feature(type_=vision.Feature.Type.DOCUMENT_TEXT_DETECTION)],
                image_context=vision.ImageContext(language_hints=self.language_hints) if self.language_hints else None,
            )
            for _, content, _, _ in tiles
        ]
        responses: list[vision.AnnotateImageResponse] = []
        for start in range(0, len(requests), MAX_BATCH):
            batch = self._call(requests[start : start + MAX_BATCH])
            if len(batch.responses) != len(requests[start : start + MAX_BATCH]):
                raise Unavailable("Cloud Vision returned fewer responses than images", reason=Reason.ENGINE_FAILED)
            responses.extend(batch.responses)
        words: list[Word] = []
        for (origin, _, scale, core), response in zip(tiles, responses, strict=True):
            if response.error.code:
                raise _image_error(response.error.code, response.error.message)
            for word in _words(response.full_text_annotation):
                page_word = geometry.word_from_frame(word, scale=scale, offset=origin)
                if _inside(page_word.box.center, core):
                    words.append(page_word)
        return _upright(words, image.width, image.height, self.name)

    def _call(self, requests: list[vision.AnnotateImageRequest]) -> vision.BatchAnnotateImagesResponse:
        try:
            return self.client().batch_annotate_images(requests=requests, retry=self._retry, timeout=self.timeout)
        except gexc.RetryError as exc:
            raise Unavailable(f"Cloud Vision did not answer within {self.timeout:g} s", reason=Reason.ENGINE_TIMEOUT) from exc
        except gexc.DeadlineExceeded as exc:
            raise Unavailable(f"Cloud Vision did not answer within {self.timeout:g} s", reason=Reason.ENGINE_TIMEOUT) from exc
        except gexc.GoogleAPICallError as exc:
            code = exc.grpc_status_code.value[0] if exc.grpc_status_code is not None else Code.UNKNOWN
            raise _image_error(code, exc.message) from exc

    # -- limits --------------------------------------------------------------

    def _tiles(self, image: Image.Image):
        """(origin, encoded bytes, scale, core) for each piece of the page sent to Vision."""
        width, height = image.size
        cols = rows = 1
        while (math.ceil(width / cols) + self.overlap) * (math.ceil(height / rows) + self.overlap) > self.tile_pixels and (
            cols * rows < 64
        ):
            if width / cols >= height / rows:
                cols += 1
            else:
                rows += 1
        xs = _cuts(width, cols)
        ys = _cuts(height, rows)
        half = self.overlap // 2
        for j, (y0, y1) in enumerate(ys):
            for i, (x0, x1) in enumerate(xs):
                left = max(0, x0 - (half if i else 0))
                top = max(0, y0 - (half if j else 0))
                right = min(width, x1 + (half if i < cols - 1 else 0))
                bottom = min(height, y1 + (half if j < rows - 1 else 0))
                piece = image.crop((left, top, right, bottom)) if (cols, rows) != (1, 1) else image
                content, scale = self._encode(piece)
                yield (left, top), content, scale, (x0, y0, x1, y1)

    def _encode(self, piece: Image.Image) -> tuple[bytes, float]:
        scale = min(1.0, math.sqrt(self.tile_pixels / (piece.width * piece.height)))
        while True:
            sized = piece if scale == 1.0 else piece.resize(
                (max(1, round(piece.width * scale)), max(1, round(piece.height * scale))), Image.Resampling.LANCZOS
            )
            out = io.BytesIO()
            sized.save(out, format="PNG", compress_level=6)
            if out.tell() <= self.tile_bytes:
                return out.getvalue(), sized.width / piece.width
            # Noisy scans compress badly: shrink until the PNG fits.
            scale *= 0.8 * math.sqrt(self.tile_bytes / out.tell())


def _cuts(length: int, parts: int) -> list[tuple[int, int]]:
    edges = [round(length * k / parts) for k in range(parts + 1)]
    return list(zip(edges, edges[1:], strict=False))


def _inside(point: tuple[float, float], core: tuple[int, int, int, int]) -> bool:
    x, y = point
    return core[0] <= x < core[2] and core[1] <= y < core[3]


# -- responses ---------------------------------------------------------------


def _words(annotation: vision.TextAnnotation) -> list[Word]:
    """Every word of a DOCUMENT_TEXT_DETECTION answer, with box, confidence and direction.

    The confidence is the word's, else the mean of its symbols' (Vision
    leaves it 0 when it gives none), else 1.
    """
    words: list[Word] = []
    for page in annotation.pages:
        for block in page.blocks:
            for paragraph in block.paragraphs:
                for word in paragraph.words:
                    text = "".join(symbol.text for symbol in word.symbols)
                    if not text.strip():
                        continue
                    confidence = word.confidence or _mean(s.confidence for s in word.symbols) or 1.0
                    points = [(v.x, v.y) for v in word.bounding_box.vertices]
                    if len(points) < 4:
                        continue
                    words.append(Word(text, _box(points), float(confidence), _angle(points, paragraph.bounding_box.vertices)))
    return words


def _mean(values) -> float:
    values = [v for v in values if v]
    return sum(values) / len(values) if values else 0.0


def _box(points: list[tuple[int, int]]) -> Box:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return Box.from_corners(min(xs), min(ys), max(xs), max(ys))


def _angle(points: list[tuple[int, int]], fallback) -> int:
    """Vision lists a word's corners in reading order from its top left: the first edge runs with the text."""
    for candidate in (points, [(v.x, v.y) for v in fallback]):
        if len(candidate) >= 2:
            dx = candidate[1][0] - candidate[0][0]
            dy = candidate[1][1] - candidate[0][1]
            if dx or dy:
                return round(math.degrees(math.atan2(-dy, dx)) / 90) % 4 * 90
    return 0


def _upright(words: list[Word], width: int, height: int, engine: str) -> OcrResult:
    """Turn the result into the upright frame: the direction most text runs in is the page's."""
    weight: dict[int, int] = {}
    for word in words:
        weight[word.angle] = weight.get(word.angle, 0) + len(word.text)
    rotation = max(weight, key=lambda a: (weight[a], a == 0)) if weight else 0
    if rotation:
        words = [
            Word(w.text, w.box.to_rotated(rotation, (width, height)), w.confidence, (w.angle - rotation) % 360)
            for w in words
        ]
        if rotation in (90, 270):
            width, height = height, width
    lines: list[Line] = group_words(words)
    return OcrResult(width=width, height=height, lines=lines, rotation=rotation, engine=engine)


def _image_error(code: int, message: str) -> PlanocrError:
    """A domain error for a Vision failure (a status code and its message)."""
    text = f"Cloud Vision failed: {message or 'no message'}"
    if code == Code.INVALID_ARGUMENT:
        return InvalidArgument(text, reason=Reason.ENGINE_FAILED)
    if code == Code.RESOURCE_EXHAUSTED:
        return ResourceExhausted(text, reason=Reason.ENGINE_UNAVAILABLE)
    if code in (Code.PERMISSION_DENIED, Code.UNAUTHENTICATED, Code.FAILED_PRECONDITION):
        return FailedPrecondition(text, reason=Reason.ENGINE_UNAVAILABLE)
    if code == Code.DEADLINE_EXCEEDED:
        return Unavailable(text, reason=Reason.ENGINE_TIMEOUT)
    if code == Code.UNAVAILABLE:
        return Unavailable(text, reason=Reason.ENGINE_UNAVAILABLE)
    return Unavailable(text, reason=Reason.ENGINE_FAILED)
