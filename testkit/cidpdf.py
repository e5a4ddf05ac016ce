"""PDFs whose text has no Unicode map, as CAD programs write them.

:func:`cid_pdf` draws text in a font without a /ToUnicode CMap whose
program is a fontTools subset of Bitstream Vera (bundled with reportlab):

* by default a Type0 font (Identity-H, CIDFontType2, CIDToGIDMap Identity):
  the content stream holds glyph ids, as ArchiCAD and some AutoCAD plot
  drivers write it;
* with ``EmbeddedFont(simple=True)`` a symbolic simple TrueType font without
  /Encoding whose one-byte codes (1, 2, 3 ...) reach the glyphs only through
  the program's (3,0) ``cmap``.

Only the embedded program tells what the glyphs are; the subset keeps or
drops its Unicode ``cmap`` and its ``post`` glyph names, so tests can build
fonts from which the text can or cannot be recovered. ``to_unicode=True``
writes the same file with the /ToUnicode CMap, for comparisons.

:func:`sheet_pdf` draws a whole generated sheet (:class:`testkit.sheets.SheetSpec`)
this way, and :func:`reportlab_truetype_pdf` makes reportlab's own kind of
embedded TrueType subset, optionally with its /ToUnicode entries removed.

The PDF objects are written here by hand: a catalog, one page tree, pages,
content streams, and the font's dictionaries, descriptor and FontFile2.
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
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from fontTools.ttLib.tables.DefaultTable import DefaultTable

from testkit.pages import FONT_BOLD, FONT_REGULAR

#: (text, x, y, size, angle): ``x, y`` is the start of the baseline in PDF points (origin at the
#: bottom left, y up), ``size`` in points, ``angle`` counter-clockwise in degrees.
TextItem = tuple[str, float, float, float, float]
#: (x0, y0, x1, y1, width) in PDF points.
LineItem = tuple[float, float, float, float, float]


@dataclass(frozen=True)
class EmbeddedFont:
    """Which kind of font :func:`cid_pdf` writes and which tables its subset keeps."""

    bold: bool = False
    #: keep the subset's Unicode ``cmap`` subtables
    cmap: bool = True
    #: keep glyph names in ``post`` (format 2); otherwise ``post`` format 3, no names
    glyph_names: bool = False
    #: a symbolic simple TrueType font (codes 1..31 through a (3,0) cmap) instead of Type0
    simple: bool = False
    #: Type0 only: CIDs are the glyph ids in reverse order, mapped back by a CIDToGIDMap stream
    shuffled: bool = False
    #: cut the ``hmtx`` table short, as some PDF writers' subsets have it (renderers cope)
    short_hmtx: bool = False
    #: Type0 only: the outlines as CFF in a CIDFontType0, "opentype" (an OpenType font in
    #: FontFile3) or "bare" (the CFF table alone, name-keyed); the glyph names come from its charset
    cff: str | None = None


@dataclass
class _Subset:
    data: bytes
    codes: dict[str, int]  # character -> code in the content stream (CID, or the simple font's byte)
    widths: dict[int, int]  # code -> advance in 1/1000 em
    cid_to_gid: list[int] | None  # the CIDToGIDMap, when it is not Identity
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    name: str


def _subset(font: EmbeddedFont, chars: str) -> _Subset:
    source = TTFont(str(FONT_BOLD if font.bold else FONT_REGULAR))
    options = ft_subset.Options()
    options.glyph_names = font.glyph_names
    options.notdef_outline = True
    options.name_IDs = []
    options.layout_features = []
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=sorted({ord(ch) for ch in chars}))
    subsetter.subset(source)
    unicode_cmap = source.getBestCmap()
    names = {ch: unicode_cmap[ord(ch)] for ch in sorted(set(chars)) if ord(ch) in unicode_cmap}
    units = source["head"].unitsPerEm
    advance = {name: round(source["hmtx"][name][0] * 1000 / units) for name in source.getGlyphOrder()}
    if font.simple:
        if len(names) > 31:
            raise ValueError(f"a simple font here holds at most 31 characters, not {len(names)}")
        # codes below 32, as reportlab assigns them, so that no standard encoding can guess them
        codes = {ch: code for code, ch in enumerate(names, 1)}
        symbol = CmapSubtable.newSubtable(4)
        symbol.platformID, symbol.platEncID, symbol.language = 3, 0, 0
        symbol.cmap = {0xF000 | code: names[ch] for ch, code in codes.items()}
        kept = [t for t in source["cmap"].tables if t.isUnicode() and t.platformID == 3] if font.cmap else []
        source["cmap"].tables = [symbol, *kept]
    else:
        count = len(source.getGlyphOrder())
        cid_of = (lambda gid: count - 1 - gid) if font.shuffled else (lambda gid: gid)
        codes = {ch: cid_of(source.getGlyphID(name)) for ch, name in names.items()}
        if not font.cmap:
            del source["cmap"]
    if not font.glyph_names:
        source["post"].formatType = 3.0
    head = source["head"]
    scale = 1000 / units
    if font.short_hmtx:
        table = DefaultTable("hmtx")
        table.data = source["hmtx"].compile(source)[: 4 * 3]
        source["hmtx"] = table
        source.recalcBBoxes = False  # hhea would recompute its maxima from the cut table
    out = io.BytesIO()
    source.save(out)
    if font.cff:
        out = io.BytesIO(_as_cff(source, font))
    widths = {codes[ch]: advance[name] for ch, name in names.items()}
    cid_to_gid = None
    if not font.simple:
        widths = {cid_of(source.getGlyphID(name)): w for name, w in advance.items()}
        cid_to_gid = [count - 1 - cid for cid in range(count)] if font.shuffled else None
    return _Subset(
        data=out.getvalue(),
        codes=codes,
        widths=widths,
        cid_to_gid=cid_to_gid,
        bbox=tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)),
        ascent=round(source["hhea"].ascent * scale),
        descent=round(source["hhea"].descent * scale),
        name=("GHIJKL+BitstreamVeraSans-Bold" if font.bold else "ABCDEF+BitstreamVeraSans-Roman"),
    )


def _as_cff(source: TTFont, font: EmbeddedFont) -> bytes:
    """The subset's outlines as a CFF-flavoured OpenType font, or as its bare CFF table."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    order = source.getGlyphOrder()
    glyphs = source.getGlyphSet()
    charstrings = {}
    for name in order:
        pen = T2CharStringPen(glyphs[name].width, glyphs)
        glyphs[name].draw(pen)
        charstrings[name] = pen.getCharString()
    builder = FontBuilder(source["head"].unitsPerEm, isTTF=False)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(source.getBestCmap() if font.cmap else {})
    builder.setupCFF("BitstreamVeraSans-Roman", {"FullName": "Bitstream Vera Sans"}, charstrings, {})
    builder.setupHorizontalMetrics({name: source["hmtx"][name] for name in order})
    builder.setupHorizontalHeader(ascent=source["hhea"].ascent, descent=source["hhea"].descent)
    builder.setupNameTable({"familyName": "Bitstream Vera Sans", "styleName": "Roman"})
    builder.setupOS2()
    builder.setupPost(keepGlyphNames=False)
    out = io.BytesIO()
    builder.save(out)
    if font.cff == "bare":
        return TTFont(io.BytesIO(out.getvalue())).getTableData("CFF ")
    return out.getvalue()


@cache
def _cached_subset(font: EmbeddedFont, chars: str) -> _Subset:
    return _subset(font, chars)


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

    def stream(self, data: bytes, extra: bytes = b"") -> int:
        data = zlib.compress(data)
        return self.add(b"<< /Length %d /Filter /FlateDecode%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream")

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


def _to_unicode(sub: _Subset, simple: bool) -> bytes:
    """The /ToUnicode CMap :func:`cid_pdf` leaves out, for comparisons."""
    digits = 2 if simple else 4
    pairs = sorted((code, ch) for ch, code in sub.codes.items())
    return b"\n".join([
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        b"1 begincodespacerange <%s> <%s> endcodespacerange" % (b"0" * digits, b"F" * digits),
        b"%d beginbfchar" % len(pairs),
        *(b"<%0*X> <%s>" % (digits, code, ch.encode("utf-16-be").hex().upper().encode()) for code, ch in pairs),
        b"endbfchar endcmap CMapName currentdict /CMap defineresource pop end end",
    ])


def _font_objects(writer: _Writer, sub: _Subset, font: EmbeddedFont, to_unicode: bool) -> int:
    if font.cff:
        kind = b"/OpenType" if font.cff == "opentype" else b"/CIDFontType0C"
        program, entry = writer.stream(sub.data, b" /Subtype " + kind), b"FontFile3"
    else:
        program, entry = writer.stream(sub.data, b" /Length1 %d" % len(sub.data)), b"FontFile2"
    descriptor = writer.add(
        b"<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%d %d %d %d] /ItalicAngle 0"
        b" /Ascent %d /Descent %d /CapHeight %d /StemV 80 /%s %d 0 R >>"
        % (sub.name.encode(), *sub.bbox, sub.ascent, sub.descent, sub.ascent, entry, program)
    )
    extra = b" /ToUnicode %d 0 R" % writer.stream(_to_unicode(sub, font.simple)) if to_unicode else b""
    if font.simple:
        last = max(sub.widths)
        widths = b" ".join(b"%d" % sub.widths.get(code, 0) for code in range(1, last + 1))
        return writer.add(
            b"<< /Type /Font /Subtype /TrueType /BaseFont /%s /FirstChar 1 /LastChar %d /Widths [%s]"
            b" /FontDescriptor %d 0 R%s >>" % (sub.name.encode(), last, widths, descriptor, extra)
        )
    widths = b" ".join(b"%d" % sub.widths[cid] for cid in range(len(sub.widths)))
    cid_map = b"/Identity"
    if sub.cid_to_gid is not None:
        cid_map = b"%d 0 R" % writer.stream(b"".join(gid.to_bytes(2, "big") for gid in sub.cid_to_gid))
    subtype, map_entry = (b"CIDFontType0", b"") if font.cff else (b"CIDFontType2", b" /CIDToGIDMap " + cid_map)
    cid_font = writer.add(
        b"<< /Type /Font /Subtype /%s /BaseFont /%s"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
        b" /FontDescriptor %d 0 R /DW 1000 /W [0 [%s]]%s >>"
        % (subtype, sub.name.encode(), descriptor, widths, map_entry)
    )
    return writer.add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R]%s >>"
        % (sub.name.encode(), cid_font, extra)
    )


def _content(texts: Sequence[TextItem], lines: Sequence[LineItem], sub: _Subset, simple: bool, ctm) -> bytes:
    ops: list[bytes] = []
    if ctm is not None:
        # coordinates are then in the scaled frame, as AutoCAD plots write "0.24 0 0 0.24 0 0 cm"
        ops.append(b"q %.5f %.5f %.5f %.5f %.3f %.3f cm" % tuple(ctm))
    for x0, y0, x1, y1, width in lines:
        ops.append(b"%.2f w %.2f %.2f m %.2f %.2f l S" % (width, x0, y0, x1, y1))
    digits = 2 if simple else 4
    for text, x, y, size, angle in texts:
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        codes = b"".join(b"%0*X" % (digits, sub.codes[ch]) for ch in text)
        ops.append(
            b"BT /F1 %.2f Tf %.5f %.5f %.5f %.5f %.2f %.2f Tm <%s> Tj ET"
            % (size, cos, sin, -sin, cos, x, y, codes)
        )
    if ctm is not None:
        ops.append(b"Q")
    return b"\n".join(ops)


def cid_pdf(
    texts: Sequence[TextItem] | Sequence[Sequence[TextItem]],
    page_size: tuple[float, float] = (1224.0, 792.0),
    *,
    font: EmbeddedFont = EmbeddedFont(),
    lines: Sequence[LineItem] = (),
    to_unicode: bool = False,
    ctm: tuple[float, float, float, float, float, float] | None = None,
) -> bytes:
    """A PDF with ``texts`` drawn in an embedded subset of Vera without /ToUnicode.

    ``texts`` is one page's items, or a list of pages' items (one subset of
    every character used serves all pages). ``lines`` are stroked on the
    first page, under the text. ``font`` chooses the kind of font and what
    its program keeps; ``to_unicode`` adds the /ToUnicode CMap after all:
    the same file as a well-behaved writer makes it. ``ctm`` is concatenated
    before everything is drawn: items and lines are then in its frame.
    """
    pages: list[Sequence[TextItem]] = [texts] if not texts or isinstance(texts[0], tuple) else list(texts)  # type: ignore[list-item]
    sub = _cached_subset(font, "".join(sorted({ch for page in pages for item in page for ch in item[0]})))
    writer = _Writer()
    catalog, tree = writer.reserve(), writer.reserve()
    font_ref = _font_objects(writer, sub, font, to_unicode)
    kids = []
    for number, page in enumerate(pages):
        content = writer.stream(_content(page, lines if number == 0 else (), sub, font.simple, ctm))
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
def _advances(bold: bool) -> tuple[dict[int, str], dict[str, int], int]:
    font = TTFont(str(FONT_BOLD if bold else FONT_REGULAR))
    return font.getBestCmap(), {n: a for n, (a, _) in font["hmtx"].metrics.items()}, font["head"].unitsPerEm


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The advance of ``text`` in points, as :func:`cid_pdf` draws it."""
    cmap, advances, units = _advances(bold)
    return sum(advances[cmap.get(ord(ch), ".notdef")] for ch in text) * size / units


# --- whole generated sheets --------------------------------------------------------------------


class _Recorder:
    """The part of reportlab's canvas that :func:`testkit.sheets._draw_sheet` uses, recording
    text items and line segments in page coordinates instead of drawing them."""

    def __init__(self) -> None:
        self.page_size = (0.0, 0.0)
        self.texts: list[TextItem] = []
        self.lines: list[LineItem] = []
        self.matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        self.saved: list[tuple[float, ...]] = []
        self.size = 10.0
        self.line_width = 1.0

    def setPageSize(self, size) -> None:
        self.page_size = (float(size[0]), float(size[1]))

    def saveState(self) -> None:
        self.saved.append(self.matrix)

    def restoreState(self) -> None:
        self.matrix = self.saved.pop()

    def translate(self, dx: float, dy: float) -> None:
        a, b, c, d, e, f = self.matrix
        self.matrix = (a, b, c, d, a * dx + c * dy + e, b * dx + d * dy + f)

    def rotate(self, degrees: float) -> None:
        a, b, c, d, e, f = self.matrix
        cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
        self.matrix = (cos * a + sin * c, cos * b + sin * d, -sin * a + cos * c, -sin * b + cos * d, e, f)

    def _point(self, x: float, y: float) -> tuple[float, float]:
        a, b, c, d, e, f = self.matrix
        return a * x + c * y + e, b * x + d * y + f

    def setFont(self, name: str, size: float) -> None:
        self.size = size

    def stringWidth(self, text: str, font: str, size: float) -> float:
        return text_width(text, size)

    def drawString(self, x: float, y: float, text: str) -> None:
        px, py = self._point(x, y)
        angle = math.degrees(math.atan2(self.matrix[1], self.matrix[0]))
        self.texts.append((text, px, py, self.size, round(angle, 6)))

    def drawCentredString(self, x: float, y: float, text: str) -> None:
        self.drawString(x - text_width(text, self.size) / 2, y, text)

    def drawRightString(self, x: float, y: float, text: str) -> None:
        self.drawString(x - text_width(text, self.size), y, text)

    def setLineWidth(self, width: float) -> None:
        self.line_width = width

    def line(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.lines.append((*self._point(x0, y0), *self._point(x1, y1), self.line_width))

    def rect(self, x: float, y: float, w: float, h: float, stroke: int = 1, fill: int = 0) -> None:
        corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
        for (x0, y0), (x1, y1) in zip(corners, corners[1:], strict=False):
            self.line(x0, y0, x1, y1)

    def circle(self, x: float, y: float, r: float, stroke: int = 1, fill: int = 0) -> None:
        points = [(x + r * math.cos(t * math.pi / 12), y + r * math.sin(t * math.pi / 12)) for t in range(25)]
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            self.line(x0, y0, x1, y1)


def sheet_pdf(spec, *, font: EmbeddedFont = EmbeddedFont(), to_unicode: bool = False) -> bytes:
    """A generated sheet (a ``SheetSpec``) with every text in :func:`cid_pdf`'s font (regular Vera)."""
    from testkit.sheets.drawing import _draw_sheet

    recorder = _Recorder()
    _draw_sheet(recorder, spec)
    return cid_pdf(recorder.texts, recorder.page_size, font=font, lines=recorder.lines, to_unicode=to_unicode)


# --- reportlab's embedded TrueType ---------------------------------------------------------------

_TOUNICODE = re.compile(rb"/ToUnicode\s+\d+\s+\d+\s+R")


def reportlab_truetype_pdf(
    texts: Sequence[TextItem], page_size: tuple[float, float] = (792.0, 612.0), *, to_unicode: bool = False
) -> bytes:
    """A reportlab PDF drawing ``texts`` in embedded Vera, reportlab's own TrueType subset.

    reportlab keeps ASCII at its own codes and gives other characters codes
    below 32; its subset programs have only a (1,0) code ``cmap`` and no
    glyph names. Without ``to_unicode`` the /ToUnicode entries are removed
    (blanked in place, so every offset stays valid).
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
    if to_unicode:
        return data
    blanked = _TOUNICODE.sub(lambda m: b" " * len(m.group(0)), data)
    if blanked == data:
        raise AssertionError("reportlab wrote no /ToUnicode entry to remove")
    return blanked
