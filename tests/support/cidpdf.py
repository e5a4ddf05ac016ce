"""PDFs whose text has no Unicode map, as CAD programs write them.

:func:`cid_pdf` draws text in a Type0 font (CIDFontType2, Identity-H,
CIDToGIDMap Identity) whose program is a fontTools subset of Bitstream Vera
(bundled with reportlab) and which has no /ToUnicode CMap: the content
stream holds glyph ids, and only the embedded font program tells what they
are. The subset can keep or drop its ``cmap`` table and its ``post`` glyph
names, so tests can build fonts from which the text can or cannot be
recovered.

:func:`reportlab_without_tounicode` takes a reportlab PDF with an embedded
TrueType font (a simple font with reportlab's own code assignment) and
removes its /ToUnicode entries.

The PDF objects are written here by hand: a catalog, one page tree, pages,
content streams, and per font a Type0 dictionary, its CIDFontType2, a font
descriptor and the FontFile2 stream.
"""

from __future__ import annotations

import io
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont

from tests.support.pages import FONT_BOLD, FONT_REGULAR

#: (text, x, y, size, angle): ``x, y`` is the start of the baseline in PDF points (origin at the
#: bottom left, y up), ``size`` in points, ``angle`` counter-clockwise in degrees.
TextItem = tuple[str, float, float, float, float]
#: (x0, y0, x1, y1, width) in PDF points.
LineItem = tuple[float, float, float, float, float]


@dataclass(frozen=True)
class CidFont:
    """How the embedded subset is made: which tables survive subsetting."""

    bold: bool = False
    #: keep the subset's Unicode ``cmap``
    cmap: bool = True
    #: keep glyph names in ``post`` (format 2); otherwise ``post`` format 3, no names
    glyph_names: bool = False


@dataclass
class _Subset:
    data: bytes
    gids: dict[str, int]  # character -> glyph id in the subset
    widths: list[int]  # advance per glyph id, in 1/1000 em
    units: int
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    name: str


def _subset(font: CidFont, chars: str) -> _Subset:
    source = TTFont(str(FONT_BOLD if font.bold else FONT_REGULAR))
    options = ft_subset.Options()
    options.glyph_names = font.glyph_names
    options.notdef_outline = True
    options.name_IDs = []
    options.layout_features = []
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=sorted({ord(ch) for ch in chars}))
    subsetter.subset(source)
    cmap = source.getBestCmap()
    gids = {ch: source.getGlyphID(cmap[ord(ch)]) for ch in set(chars) if ord(ch) in cmap}
    units = source["head"].unitsPerEm
    hmtx = source["hmtx"]
    widths = [round(hmtx[name][0] * 1000 / units) for name in source.getGlyphOrder()]
    if not font.cmap:
        del source["cmap"]
    if not font.glyph_names:
        source["post"].formatType = 3.0
    head = source["head"]
    scale = 1000 / units
    out = io.BytesIO()
    source.save(out)
    tag = "ABCDEF" if not font.bold else "GHIJKL"
    return _Subset(
        data=out.getvalue(),
        gids=gids,
        widths=widths,
        units=units,
        bbox=tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)),
        ascent=round(source["hhea"].ascent * scale),
        descent=round(source["hhea"].descent * scale),
        name=f"{tag}+{'BitstreamVeraSans-Bold' if font.bold else 'BitstreamVeraSans-Roman'}",
    )


class _Writer:
    """Numbers PDF objects and writes them with a cross-reference table."""

    def __init__(self) -> None:
        self.objects: list[bytes] = []

    def reserve(self) -> int:
        self.objects.append(b"")
        return len(self.objects)

    def put(self, number: int, body: bytes) -> int:
        self.objects[number - 1] = body
        return number

    def add(self, body: bytes) -> int:
        return self.put(self.reserve(), body)

    def stream(self, data: bytes, extra: bytes = b"", compress: bool = True) -> int:
        if compress:
            data = zlib.compress(data)
            extra += b" /Filter /FlateDecode"
        return self.add(b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream")

    def finish(self, root: int) -> bytes:
        out = io.BytesIO()
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, 1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1))
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % offset)
        out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(self.objects) + 1, root, xref))
        return out.getvalue()


def _to_unicode(sub: _Subset) -> bytes:
    """A ToUnicode CMap for the subset: what :func:`cid_pdf` leaves out, for comparisons."""
    pairs = sorted((gid, ch) for ch, gid in sub.gids.items())
    lines = [
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange",
        b"%d beginbfchar" % len(pairs),
        *(b"<%04X> <%s>" % (gid, ch.encode("utf-16-be").hex().upper().encode()) for gid, ch in pairs),
        b"endbfchar endcmap CMapName currentdict /CMap defineresource pop end end",
    ]
    return b"\n".join(lines)


def _font_objects(writer: _Writer, sub: _Subset, to_unicode: bool = False) -> int:
    program = writer.stream(sub.data, b" /Length1 %d" % len(sub.data))
    descriptor = writer.add(
        b"<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%d %d %d %d] /ItalicAngle 0"
        b" /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>"
        % (sub.name.encode(), *sub.bbox, sub.ascent, sub.descent, sub.ascent, program)
    )
    widths = b" ".join(b"%d" % w for w in sub.widths)
    cid_font = writer.add(
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
        b" /FontDescriptor %d 0 R /DW 1000 /W [0 [%s]] /CIDToGIDMap /Identity >>"
        % (sub.name.encode(), descriptor, widths)
    )
    extra = b" /ToUnicode %d 0 R" % writer.stream(_to_unicode(sub)) if to_unicode else b""
    return writer.add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R]%s >>"
        % (sub.name.encode(), cid_font, extra)
    )


def _content(texts: Sequence[TextItem], lines: Sequence[LineItem], sub: _Subset) -> bytes:
    ops: list[bytes] = []
    for x0, y0, x1, y1, width in lines:
        ops.append(b"%.2f w %.2f %.2f m %.2f %.2f l S" % (width, x0, y0, x1, y1))
    for text, x, y, size, angle in texts:
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        # a space is drawn as a gap, the way CAD programs place words
        codes = b"".join(b"%04X" % sub.gids[ch] for ch in text)
        ops.append(
            b"BT /F1 %.2f Tf %.5f %.5f %.5f %.5f %.2f %.2f Tm <%s> Tj ET"
            % (size, cos, sin, -sin, cos, x, y, codes)
        )
    return b"\n".join(ops)


def cid_pdf(
    texts: Sequence[TextItem] | Sequence[Sequence[TextItem]],
    page_size: tuple[float, float] = (1224.0, 792.0),
    *,
    font: CidFont = CidFont(),
    lines: Sequence[LineItem] = (),
    to_unicode: bool = False,
) -> bytes:
    """A PDF with ``texts`` drawn in an Identity-H CIDFontType2 subset of Vera without /ToUnicode.

    ``texts`` is one page's items, or a list of pages' items (the font is
    shared by all pages, as one subset of every character used). ``lines``
    are stroked on the first page, under the text. ``to_unicode`` adds the
    /ToUnicode CMap after all: the same file as a well-behaved writer makes it.
    """
    pages: list[Sequence[TextItem]] = [texts] if not texts or isinstance(texts[0], tuple) else list(texts)  # type: ignore[list-item]
    sub = _cached_subset(font, "".join(sorted({ch for page in pages for item in page for ch in item[0]})))
    writer = _Writer()
    catalog, tree = writer.reserve(), writer.reserve()
    font_ref = _font_objects(writer, sub, to_unicode)
    kids = []
    for number, page in enumerate(pages):
        content = writer.stream(_content(page, lines if number == 0 else (), sub))
        kids.append(
            writer.add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /Font << /F1 %d 0 R >> >>"
                b" /Contents %d 0 R >>" % (tree, *page_size, font_ref, content)
            )
        )
    writer.put(tree, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
    writer.put(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % tree)
    return writer.finish(catalog)


@cache
def _cached_subset(font: CidFont, chars: str) -> _Subset:
    return _subset(font, chars)


def text_width(text: str, size: float, font: CidFont = CidFont()) -> float:
    """The advance of ``text`` in points, as :func:`cid_pdf` draws it."""
    sub = _cached_subset(font, "".join(sorted(set(text))))
    return sum(sub.widths[sub.gids[ch]] for ch in text) * size / 1000


_TOUNICODE = re.compile(rb"/ToUnicode\s+\d+\s+\d+\s+R")


def reportlab_without_tounicode(texts: Sequence[TextItem], page_size: tuple[float, float] = (792.0, 612.0)) -> bytes:
    """A reportlab PDF drawing ``texts`` in embedded Vera (a TrueType subset), its /ToUnicode entries removed.

    reportlab writes its font dictionaries uncompressed, so the entry is
    blanked in place with spaces and every offset stays valid.
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont as RLTTFont
    from reportlab.pdfgen import canvas

    if "Vera" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(RLTTFont("Vera", str(FONT_REGULAR)))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=page_size, invariant=1)
    for text, x, y, size, angle in texts:
        c.saveState()
        c.translate(x, y)
        c.rotate(angle)
        c.setFont("Vera", size)
        c.drawString(0, 0, text)
        c.restoreState()
    c.showPage()
    c.save()
    data = buf.getvalue()
    blanked = _TOUNICODE.sub(lambda m: b" " * len(m.group(0)), data)
    if blanked == data:
        raise AssertionError("reportlab wrote no /ToUnicode entry to remove")
    return blanked
