"""Sheets as images: clean renders, office scans, 1-bit archive scans, scans lying on their side.

Every random choice, noise included, comes from the ``rng`` passed in, so a
seed gives the same bytes on every run (PIL's own noise generator is not
seeded from Python, so it is not used).
"""

from __future__ import annotations

import io
import random
import time

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from testkit.sheets.spec import POINTS_PER_INCH

SCAN_DPI = 200


def render(pdf: bytes, dpi: int, page: int = 0) -> Image.Image:
    """One page of ``pdf`` as a greyscale image at ``dpi``."""
    import pypdfium2 as pdfium

    from planocr.media.pdf import PDFIUM_LOCK

    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            image = document[page].render(scale=dpi / POINTS_PER_INCH, grayscale=True).to_pil().convert("L")
        finally:
            document.close()
    image.info["dpi"] = (dpi, dpi)
    return image


def _noise(rng: random.Random, size: tuple[int, int], amplitude: float) -> Image.Image:
    """Uniform noise around 128, +-``amplitude``, drawn from ``rng``."""
    raw = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    return raw.point([max(0, min(255, round(128 + (v - 127.5) * amplitude / 127.5))) for v in range(256)])


def _low_frequency(rng: random.Random, size: tuple[int, int], cell: int, amplitude: float) -> Image.Image:
    """Smooth blotches around 128, +-``amplitude``: uneven paper, toner or lighting."""
    w, h = size
    sw, sh = max(2, w // cell), max(2, h // cell)
    return _noise(rng, (sw, sh), amplitude).resize(size, Image.Resampling.BICUBIC)


def _dpi(image: Image.Image) -> tuple[float, float]:
    return image.info.get("dpi", (150, 150))


def degrade(image: Image.Image, rng: random.Random) -> Image.Image:
    """Make a clean raster look like an office scan: skew up to 1.5 degrees, blur, uneven light, noise."""
    angle = rng.uniform(-1.5, 1.5)
    out = image.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255, expand=False)
    out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    out = ImageChops.add(out, _low_frequency(rng, out.size, 160, rng.uniform(0, 12)), scale=1.0, offset=-128)
    out = ImageChops.add(out, _noise(rng, out.size, rng.uniform(14, 38)), scale=1.0, offset=-128)
    out.info["dpi"] = _dpi(image)
    return out


def bilevel_scan(image: Image.Image, rng: random.Random) -> Image.Image:
    """A 1-bit scan of an old print: slight skew, blotchy toner, broken thin lines, specks, a dirty lid edge."""
    out = image.rotate(rng.uniform(-0.8, 0.8), resample=Image.Resampling.BILINEAR, fillcolor=255, expand=False)
    out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.1)))
    out = ImageChops.add(out, _low_frequency(rng, out.size, 96, rng.uniform(15, 45)), scale=1.0, offset=-128)
    out = ImageChops.add(out, _noise(rng, out.size, rng.uniform(30, 60)), scale=1.0, offset=-128)
    threshold = rng.randint(140, 185)
    bits = out.point(lambda v: 255 if v > threshold else 0).convert("1", dither=Image.Dither.NONE)
    draw = ImageDraw.Draw(bits)
    w, h = bits.size
    for _ in range(int(w * h / 40000 * rng.uniform(0.5, 2.0))):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.choice((0, 1, 1, 2))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
    if rng.random() < 0.6:  # the scanner lid's edge along the top
        band = max(4, int(h * 0.012))
        for _ in range(w // 5):
            x, y = rng.randrange(w), rng.randrange(band)
            draw.line((x, y, x + rng.randint(1, 14), y), fill=0)
    bits.info["dpi"] = _dpi(image)
    return bits


def image_pdf(image: Image.Image, dpi: float | None = None, *, jpeg_quality: int = 75) -> bytes:
    """A PDF page that is only ``image`` (a scan) at ``dpi``: JPEG inside, or CCITT G4 for a 1-bit image.

    The document dates are fixed so that the same image gives the same bytes.
    """
    out = io.BytesIO()
    epoch = time.gmtime(0)
    image.save(out, format="PDF", resolution=float(dpi or _dpi(image)[0]), quality=jpeg_quality,
               creationDate=epoch, modDate=epoch)
    return out.getvalue()


def turned_scan_pdf(image: Image.Image, rng: random.Random) -> bytes:
    """A scan of the sheet lying on its side: the page image turned a quarter, inside a PDF at its DPI."""
    scan = degrade(image, rng)
    turned = scan.rotate(rng.choice((90, 270, 270)), expand=True)
    return image_pdf(turned, _dpi(image)[0], jpeg_quality=rng.randint(55, 85))


def image_bytes(image: Image.Image, fmt: str, rng: random.Random) -> bytes:
    """``image`` encoded as ``fmt``: png, jpg, pdf (an image-only page) or tif (Group 4 when 1-bit)."""
    out = io.BytesIO()
    dpi = _dpi(image)
    if fmt == "jpg":
        image.save(out, format="JPEG", quality=rng.randint(45, 80), dpi=dpi)
    elif fmt == "pdf":
        return image_pdf(image, dpi[0], jpeg_quality=rng.randint(50, 85))
    elif fmt == "tif":
        image.save(out, format="TIFF", compression="group4" if image.mode == "1" else "tiff_lzw", dpi=dpi)
    else:
        image.save(out, format="PNG", dpi=dpi, compress_level=1)
    return out.getvalue()
