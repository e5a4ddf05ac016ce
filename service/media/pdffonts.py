"""Unicode for text-layer characters PDFium cannot map, read from the embedded font programs.

CAD programs often write text in subset fonts without a /ToUnicode CMap:
a Type0 font with Identity-H encoding over an embedded TrueType
(CIDFontType2), or a simple TrueType font whose codes follow no standard
encoding. PDFium flags such characters (``FPDFText_HasUnicodeMapError``) and
reports the raw character code in their place: the CID, which Identity
CIDToGIDMap makes the glyph id, or the simple font's one-byte code. The
font program usually still says what its glyphs are: its Unicode ``cmap``
subtables, the glyph names in ``post`` or in a CFF charset, read through
the Adobe Glyph List.

PDFium's API does not expose the font dictionary, so whether a code is a
glyph id (Type0, Identity) or goes through the font's own code ``cmap``
(simple TrueType: (3,0), (1,0), then (3,1)) is not known from it. Both
readings are checked against what PDFium drew: a character's tight box
(``FPDFText_GetCharBox``) is the bounding box of the glyph PDFium rendered,
so the reading under which the glyphs' own bounds, placed with the
character's matrix, origin and font size, give those boxes is the right one;
a reading is trusted only when it explains at least half of a font's codes.
A code whose glyph does not fit its box (another CIDToGIDMap, a wrong
reading) or has no Unicode in the program stays U+FFFD, so a layer that
cannot be read still looks like glyph soup to
:func:`planocr.media.textlayer.assess`.

What a font program tells is cached by the digest of its bytes, so a page's
thousands of characters, and every page sharing the font, parse it once.
All functions here call PDFium: the caller holds ``planocr.media.pdf.PDFIUM_LOCK``.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import logging
import math
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pypdfium2.raw as pdfium_c

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

# fontTools is imported where a font program is first parsed: most pages never need it,
# and it is a third of a second of every process's start.

log = logging.getLogger(__name__)

REPLACEMENT = "\ufffd"

#: How far a glyph's bounds may lie from PDFium's box, as a share of the em
#: (PDFium rounds glyph metrics to 1/1000 em).
BOX_TOLERANCE = 0.004
#: Share of a font's codes whose glyphs must fit their boxes for its reading to be trusted.
MIN_CONFIRMED = 0.5
#: Fonts whose parsed programs are kept (an embedded CJK program can be tens of megabytes).
CACHE_SIZE = 16

_Bounds = tuple[float, float, float, float]


@dataclass
class FontProgram:
    """What one embedded font program says about its glyphs.

    ``text`` maps glyph ids to the Unicode text they stand for; ``codes``
    maps a simple font's one-byte codes to glyph ids the way PDFium picks
    them from the program's own ``cmap`` subtables; ``cid_glyphs`` maps CIDs
    to glyph ids for a CID-keyed CFF (otherwise CID = glyph id).
    """

    glyph_count: int
    units_per_em: float
    text: dict[int, str]
    codes: dict[int, int]
    cid_glyphs: dict[int, int] | None
    _names: list[str]
    _outline_bounds: Callable[[str], _Bounds | None]
    _bounds: dict[int, _Bounds | None] = field(default_factory=dict)

    def bounds(self, gid: int) -> _Bounds | None:
        """The glyph's control box in 1/1000 em, or None for a glyph without outline (or a damaged one)."""
        if gid not in self._bounds:
            try:
                box = self._outline_bounds(self._names[gid])
            except Exception:  # a damaged glyph cannot be checked, so it is not used
                log.debug("glyph %d cannot be read", gid, exc_info=True)
                box = None
            scale = 1000.0 / self.units_per_em
            self._bounds[gid] = None if box is None else (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)
        return self._bounds[gid]


def _usable(text: str) -> bool:
    return bool(text) and all(unicodedata.category(ch) not in ("Co", "Cn", "Cs", "Cc") for ch in text)


def _name_text(name: str) -> str:
    """The Unicode text of a glyph name (AGL, uniXXXX, uXXXXX, ligatures, .suffixes); '' when unknown."""
    if not name or name.startswith((".notdef", "glyph", "cid", "gid")):
        return ""
    from fontTools import agl

    text = agl.toUnicode(name)
    return text if _usable(text) else ""


def _glyph_texts(names: list[str], unicode_maps: list[dict[int, str]], index: dict[str, int]) -> dict[int, str]:
    text: dict[int, str] = {}
    # Unicode cmaps first: the lowest code point of each glyph (space before no-break space).
    for mapping in unicode_maps:
        for cp in sorted(mapping):
            gid = index.get(mapping[cp])
            ch = chr(cp)
            if gid is not None and gid not in text and _usable(ch):
                text[gid] = ch
    for gid, name in enumerate(names):
        if gid not in text and (found := _name_text(name)):
            text[gid] = found
    return text


def _from_sfnt(data: bytes) -> FontProgram:
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    names = font.getGlyphOrder()
    index = {name: gid for gid, name in enumerate(names)}
    unicode_maps: list[dict[int, str]] = []
    by_platform: dict[tuple[int, int], dict[int, str]] = {}
    if "cmap" in font:
        for table in font["cmap"].tables:
            by_platform.setdefault((table.platformID, table.platEncID), table.cmap)
            if table.isUnicode() and (table.platformID, table.platEncID) != (3, 0):
                unicode_maps.append(table.cmap)
    # fontTools names glyphs from the Unicode cmap when ``post`` has none; those names say no more.
    post = font.get("post")
    has_names = post is not None and post.formatType in (1.0, 2.0)
    texts = _glyph_texts(names if has_names or "CFF " in font else [], unicode_maps, index)
    return FontProgram(
        glyph_count=len(names),
        units_per_em=float(font["head"].unitsPerEm),
        text=texts,
        codes=_simple_codes(by_platform, index),
        cid_glyphs=None,
        _names=names,
        _outline_bounds=_glyf_bounds(font) if "glyf" in font else _charstring_bounds(font["CFF "].cff.topDictIndex[0].CharStrings),
    )


# Outlines are read from glyf or the CFF charstrings themselves: subsets often carry a
# truncated hmtx table, which FreeType (so PDFium) tolerates and fontTools' glyph sets do not.
def _glyf_bounds(font: TTFont) -> Callable[[str], _Bounds | None]:
    glyf = font["glyf"]

    def bounds(name: str) -> _Bounds | None:
        coordinates, _, _ = glyf[name].getCoordinates(glyf)
        if not len(coordinates):
            return None
        xs, ys = [x for x, _ in coordinates], [y for _, y in coordinates]
        return min(xs), min(ys), max(xs), max(ys)

    return bounds


def _charstring_bounds(charstrings) -> Callable[[str], _Bounds | None]:
    from fontTools.pens.boundsPen import ControlBoundsPen

    def bounds(name: str) -> _Bounds | None:
        pen = ControlBoundsPen(None)
        charstrings[name].draw(pen)
        return pen.bounds

    return bounds


def _simple_codes(by_platform: dict[tuple[int, int], dict[int, str]], index: dict[str, int]) -> dict[int, int]:
    """Code -> glyph id for a simple TrueType font without a usable encoding, as PDFium looks it up."""
    codes: dict[int, int] = {}
    symbol, mac, windows = by_platform.get((3, 0)), by_platform.get((1, 0)), by_platform.get((3, 1))
    for code in range(256):
        name = None
        if symbol is not None:
            name = next((symbol[c] for c in (code, 0xF000 | code, 0xF100 | code, 0xF200 | code) if c in symbol), None)
        if name is None and mac is not None:
            name = mac.get(code)
        if name is None and windows is not None:
            name = windows.get(code)
        if name is not None and name in index:
            codes[code] = index[name]
    return codes


def _from_cff(data: bytes) -> FontProgram:
    from fontTools.cffLib import CFFFontSet

    fonts = CFFFontSet()
    fonts.decompile(io.BytesIO(data), None)
    top = fonts[fonts.fontNames[0]]
    names = list(top.charset)
    index = {name: gid for gid, name in enumerate(names)}
    cid_glyphs = None
    if hasattr(top, "ROS"):
        # CID-keyed: the charset names each glyph "cidNNNNN" after its CID; they carry no Unicode.
        cid_glyphs = {int(name[3:]): gid for gid, name in enumerate(names) if name.startswith("cid") and name[3:].isdigit()}
    matrix = getattr(top, "FontMatrix", None) or [0.001]
    return FontProgram(
        glyph_count=len(names),
        units_per_em=1.0 / matrix[0] if matrix[0] else 1000.0,
        text={} if cid_glyphs is not None else _glyph_texts(names, [], index),
        codes={},
        cid_glyphs=cid_glyphs,
        _names=names,
        _outline_bounds=_charstring_bounds(top.CharStrings),
    )


def read_program(data: bytes) -> FontProgram | None:
    """Parse an embedded TrueType, OpenType or bare CFF program; None for other kinds or damaged data."""
    try:
        if data[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO"):
            return _from_sfnt(data)
        if len(data) > 4 and data[0] == 1 and data[1] == 0 and 4 <= data[2] <= 6:  # CFF header 1.0, hdrSize
            return _from_cff(data)
    except Exception:  # fontTools raises many kinds (TTLibError, struct.error, ...) on damaged fonts
        log.debug("embedded font program cannot be read", exc_info=True)
    return None


class _ProgramCache:
    """Parsed programs by the digest of their bytes, least recently used dropped first."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[bytes, FontProgram | None] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, data: bytes) -> FontProgram | None:
        key = hashlib.blake2b(data, digest_size=16).digest()
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        program = read_program(data)
        with self.lock:
            self.items[key] = program
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return program


_PROGRAMS = _ProgramCache(CACHE_SIZE)


def _font_data(font) -> bytes | None:
    if not pdfium_c.FPDFFont_GetIsEmbedded(font):
        return None
    size = ctypes.c_size_t()
    if not pdfium_c.FPDFFont_GetFontData(font, None, 0, ctypes.byref(size)) or not size.value:
        return None
    buffer = (ctypes.c_uint8 * size.value)()
    if not pdfium_c.FPDFFont_GetFontData(font, buffer, size.value, ctypes.byref(size)):
        return None
    return bytes(buffer)


@dataclass
class _Placed:
    """Where PDFium drew one character: its tight box, origin, matrix and font size (points)."""

    box: _Bounds
    origin: tuple[float, float]
    matrix: tuple[float, float, float, float]
    size: float

    @classmethod
    def read(cls, raw_textpage, index: int) -> _Placed | None:
        left, right, bottom, top = (ctypes.c_double() for _ in range(4))
        x, y = ctypes.c_double(), ctypes.c_double()
        matrix = pdfium_c.FS_MATRIX()
        if not (
            pdfium_c.FPDFText_GetCharBox(raw_textpage, index, left, right, bottom, top)
            and pdfium_c.FPDFText_GetCharOrigin(raw_textpage, index, x, y)
            and pdfium_c.FPDFText_GetMatrix(raw_textpage, index, matrix)
        ):
            return None
        size = pdfium_c.FPDFText_GetFontSize(raw_textpage, index)
        if size <= 0:
            return None
        return cls(
            (left.value, bottom.value, right.value, top.value),
            (x.value, y.value),
            (matrix.a, matrix.b, matrix.c, matrix.d),
            size,
        )

    def fits(self, bounds: _Bounds | None) -> bool:
        """Whether a glyph with these bounds (1/1000 em, None: no outline) drew this box.

        PDFium gives simple fonts' glyphs their exact bounds but raises the
        top of a CID font's glyph by 1/64 of itself; either is accepted. The
        box may sit shifted along the baseline: FreeType places the glyph by
        its ``hmtx`` side bearing, which in some subsets is cut short or
        disagrees with the outline. Its size and its place across the
        baseline must match.
        """
        if bounds is None:
            # PDFium gives a glyph without outline a box as thin as a line along its advance.
            a, b, c, d = self.matrix
            left, bottom, right, top = self.box
            return min(right - left, top - bottom) <= BOX_TOLERANCE * self.size * math.sqrt(abs(a * d - b * c))
        x0, y0, x1, y1 = bounds
        return self._fits(bounds) or self._fits((x0, y0, x1, y1 + math.trunc(round(y1) / 64)))

    def _fits(self, bounds: _Bounds) -> bool:
        a, b, c, d = self.matrix
        scale = math.sqrt(abs(a * d - b * c))
        em = self.size * scale
        if em <= 0:
            return False
        tolerance = BOX_TOLERANCE * em
        x0, y0, x1, y1 = (v * self.size / 1000.0 for v in bounds)
        xs = [self.origin[0] + a * gx + c * gy for gx, gy in ((x0, y0), (x0, y1), (x1, y0), (x1, y1))]
        ys = [self.origin[1] + b * gx + d * gy for gx, gy in ((x0, y0), (x0, y1), (x1, y0), (x1, y1))]
        left, bottom, right, top = self.box
        shift_x = ((left - min(xs)) + (right - max(xs))) / 2
        shift_y = ((bottom - min(ys)) + (top - max(ys))) / 2
        if abs((left - min(xs)) - (right - max(xs))) > tolerance or abs((bottom - min(ys)) - (top - max(ys))) > tolerance:
            return False  # not the same size
        # the shift must run along the baseline (a, b) and stay within half an em
        along = (shift_x * a + shift_y * b) / scale
        across = (-shift_x * b + shift_y * a) / scale
        return abs(across) <= tolerance and abs(along) <= 0.5 * em


def _cid_glyph(program: FontProgram, code: int) -> int | None:
    if program.cid_glyphs is not None:
        return program.cid_glyphs.get(code)
    return code if code < program.glyph_count else None


def _simple_glyph(program: FontProgram, code: int) -> int | None:
    return program.codes.get(code) if code < 256 else None


_READINGS = (_cid_glyph, _simple_glyph)


def _font_texts(program: FontProgram | None, samples: dict[int, _Placed | None]) -> dict[int, str]:
    """Code -> text for one font's unmapped codes, under the reading the drawn boxes confirm."""
    if program is None:
        return {}
    best: dict[int, int] = {}
    for reading in _READINGS:
        confirmed = {}
        for code, placed in samples.items():
            gid = reading(program, code)
            if gid is not None and placed is not None and placed.fits(program.bounds(gid)):
                confirmed[code] = gid
        if len(confirmed) > len(best):
            best = confirmed
    if len(best) < MIN_CONFIRMED * len(samples):
        return {}  # no reading explains this font's boxes: a few chance fits are not trusted
    return {code: program.text[gid] for code, gid in best.items() if gid in program.text}


def recover_unmapped(raw_textpage) -> dict[int, str]:
    """Text for every character of the page PDFium could not map to Unicode, by character index.

    A character whose glyph cannot be identified (no embedded program, a
    program without ``cmap`` or names, a glyph that does not fit the box
    PDFium drew) gets U+FFFD; one whose glyph is a space gets ``" "``.
    Characters PDFium mapped are not in the result.
    """
    count = pdfium_c.FPDFText_CountChars(raw_textpage)
    unmapped = [i for i in range(count) if pdfium_c.FPDFText_HasUnicodeMapError(raw_textpage, i) == 1]
    if not unmapped:
        return {}
    # Characters by font (PDFium's font object for this page) and code; the first of each code is checked.
    by_font: dict[int, tuple[object, dict[int, list[int]]]] = {}
    result: dict[int, str] = {}
    for index in unmapped:
        result[index] = REPLACEMENT
        text_object = pdfium_c.FPDFText_GetTextObject(raw_textpage, index)
        font = pdfium_c.FPDFTextObj_GetFont(text_object) if text_object else None
        if not font:
            continue
        address = ctypes.cast(font, ctypes.c_void_p).value or 0
        code = pdfium_c.FPDFText_GetUnicode(raw_textpage, index)
        by_font.setdefault(address, (font, {}))[1].setdefault(code, []).append(index)
    for font, codes in by_font.values():
        data = _font_data(font)
        program = _PROGRAMS.get(data) if data else None
        samples = {code: _Placed.read(raw_textpage, indices[0]) for code, indices in codes.items()}
        texts = _font_texts(program, samples)
        for code, indices in codes.items():
            if code in texts:
                for index in indices:
                    result[index] = texts[code]
    return result
