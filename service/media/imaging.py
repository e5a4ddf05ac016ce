"""Safe image decoding: sniff the type, refuse oversized images before decoding them."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

from PIL import Image, ImageSequence, UnidentifiedImageError

from planocr.core.page import check_image_size
from planocr.errors import InvalidArgument, Reason

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
SUPPORTED_TYPES = (PDF, PNG, JPEG, TIFF)

_MAGIC = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)

# Decoding limits are enforced by our own header check; PIL's global guard is
# raised to match so that it never fires first with a less helpful message.
Image.MAX_IMAGE_PIXELS = None
# Damaged metadata in an upload is reported through our own errors, not as
# warnings on stderr. Set once at import: catch_warnings is not thread-safe.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
warnings.filterwarnings("ignore", message="(Corrupt EXIF data|Truncated File Read|Metadata Warning)", category=UserWarning, module="PIL")


def sniff_media_type(head: bytes) -> str | None:
    """The media type that the first bytes of a file announce, or None."""
    stripped = head.lstrip(b"\x00\t\r\n ")[:16] if head[:1024].lstrip().startswith(b"%PDF") else head[:16]
    for magic, media_type in _MAGIC:
        if stripped.startswith(magic):
            return media_type
    return None


def _open(data: bytes) -> Image.Image:
    if not data:
        raise InvalidArgument("image is empty (0 bytes)", reason=Reason.IMAGE_UNREADABLE)
    try:
        return Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidArgument(f"not a readable image: {exc}", reason=Reason.IMAGE_UNREADABLE) from exc


def _load(frame: Image.Image, max_pixels: int) -> Image.Image:
    check_image_size(frame.width, frame.height, max_pixels)
    try:
        frame.load()
        return frame.copy() if frame.mode in ("L", "RGB") else _to_grey_or_rgb(frame)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise InvalidArgument(f"image data is damaged or truncated: {exc}", reason=Reason.IMAGE_UNREADABLE) from exc


def _to_grey_or_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("1", "L", "I", "I;16", "F"):
        return image.convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def image_size(data: bytes, max_pixels: int) -> tuple[int, int]:
    """Width and height from the header alone; refuses images over ``max_pixels``."""
    image = _open(data)
    check_image_size(image.width, image.height, max_pixels)
    return image.width, image.height


def decode_image(data: bytes, max_pixels: int) -> Image.Image:
    """Decode the first frame of an image as L or RGB, refusing it undecoded when too large."""
    return _load(_open(data), max_pixels)


def image_dpi(image: Image.Image) -> int | None:
    dpi = image.info.get("dpi")
    if dpi and dpi[0] and 36 <= float(dpi[0]) <= 2400:
        return round(float(dpi[0]))
    return None


def decode_frames(data: bytes, max_pixels: int) -> Iterator[tuple[Image.Image, int | None]]:
    """Every frame of a (multi-page TIFF) image, decoded one at a time, with its DPI if known."""
    image = _open(data)
    try:
        for frame in ImageSequence.Iterator(image):
            dpi = image_dpi(frame)
            yield _load(frame, max_pixels), dpi
    # Seeking to the next frame parses its TIFF directory; a damaged one makes
    # Pillow raise TypeError ("Missing dimensions") or KeyError (unknown tag values).
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, KeyError) as exc:
        raise InvalidArgument(f"image data is damaged or truncated: {exc}", reason=Reason.IMAGE_UNREADABLE) from exc


def encode_png(image: Image.Image, dpi: int | None = None) -> bytes:
    """PNG bytes for storage; fast compression, since pages are written once and read once."""
    out = io.BytesIO()
    params: dict[str, object] = {"compress_level": 1}
    if dpi:
        params["dpi"] = (dpi, dpi)
    image.save(out, format="PNG", **params)
    return out.getvalue()
