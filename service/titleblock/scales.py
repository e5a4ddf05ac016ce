"""Drawing-scale expressions: find them in text and write them in one canonical form.

Canonical forms: ``1/4" = 1'-0"`` (architectural), ``1" = 20'`` (engineering),
``1:100`` (metric), ``NTS``, ``NOT TO SCALE``, ``AS NOTED`` and friends. OCR
and PDF text write the same scale many ways (curly quotes, ``''`` for an inch
mark, missing spaces, the two sides swapped), so matching works on a
normalized copy of the text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

_QUOTES = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u2033": '"', "\u02ba": '"', "\u201e": '"', "\u00a8": '"',
    "\u2018": "'", "\u2019": "'", "\u2032": "'", "\u00b4": "'", "`": "'", "\u02b9": "'",
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u00a0": " ",
})


def normalize_marks(text: str) -> str:
    """Straight quotes and dashes; ``''`` becomes an inch mark."""
    return text.translate(_QUOTES).replace("''", '"')


def _degree_marks(text: str) -> str:
    """OCR reads a small inch or foot mark as a degree sign: ``3° = 1'-0"``, ``1" = 10°``.

    Before ``=`` it is an inch mark, elsewhere after a number a foot mark;
    an asterisk before ``=`` or after a fraction is an inch mark too.
    A ``V`` or ``Y`` before a digit and an inch mark is ``1/`` squeezed
    (``V2"`` for ``1/2"``).
    """
    text = re.sub(r"(?<![\w/])[VY](?=[248]\s*\")", "1/", text)
    text = re.sub(r"(?<=\d)(\s*)[°º*](?=\s*=)", r'\1"', text)
    text = re.sub(r"(?<=\d/\d)\*|(?<=\d/\d\d)\*", '"', text)  # 1/4* 3/32*: an asterisk after a fraction
    return re.sub(r"(?<=\d)(\s*)[°º]", r"\1'", text)


_INCH = r"(?P<inch>(?:\d{1,2}\s*[- ]\s*)?\d{1,2}\s*/\s*\d{1,3}|\d{1,3}(?:\.\d+)?)"
_ARCH = re.compile(
    _INCH
    + r"""\s*(?P<imark>"|in\b|'(?=\s*=))?\s*=\s*(?P<ft>\d{1,4})\s*(?:'|ft\b)(?:\s*-?\s*(?P<fin>\d{1,2})\s*(?:"|(?=\s|$)))?"""
)
_ARCH_SWAPPED = re.compile(
    r"""(?<![\d/.])(?P<ft>\d{1,4})\s*'(?:\s*-?\s*0\s*")?\s*=\s*(?P<inch>(?:\d{1,2}\s*[- ]\s*)?\d{1,2}\s*/\s*\d{1,3}|\d{1,3})\s*\""""
)
# OCR drops the foot mark: 1/8" = 1-0
_ARCH_LOOSE = re.compile(
    r"""(?P<inch>(?:\d{1,2}\s*[- ]\s*)?\d{1,2}\s*/\s*\d{1,3}|\d{1,2})\s*"\s*=\s*(?P<ft>\d{1,3})\s*-\s*(?P<fin>\d{1,2})(?![\d/])\s*"?"""
)
_METRIC = re.compile(r"(?<![\d:.,/])(?:(?<![A-Za-z])M\s*\.?\s*|\b)1\s*:\s*(?P<den>\d{1,6}(?:[.,]\d{1,2})?)(?![\d:])", re.IGNORECASE)
_NTS = re.compile(r"(?<![A-Z0-9])N\s?\.?\s?T\s?\.?\s?S\b\.?", re.IGNORECASE)
_WORDS = re.compile(
    r"\b(NOT\s+TO\s+SCALE|AS\s+NOTED|AS\s+SHOWN|AS\s+INDICATED|NONE|VARIES|OHNE\s+MA(?:SS|ß)STAB|WIE\s+ANGEGEBEN)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ScaleMatch:
    """One scale found in a string: canonical text, its kind, and where it was."""

    text: str
    kind: str  # "architectural", "engineering", "metric", "nts" or "words"
    start: int
    end: int


def _fraction(text: str) -> Fraction | None:
    text = re.sub(r"\s+", " ", text.strip())
    try:
        whole_frac = re.fullmatch(r"(\d+)\s*[- ]\s*(\d+)\s*/\s*(\d+)", text)
        if whole_frac:
            whole, num, den = (int(g) for g in whole_frac.groups())
            return Fraction(whole) + Fraction(num, den) if den else None
        frac = re.fullmatch(r"(\d+)\s*/\s*(\d+)", text)
        if frac:
            num, den = (int(g) for g in frac.groups())
            return Fraction(num, den) if den else None
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def _inch_text(text: str) -> str:
    """``1 1/2`` / ``1-1/2`` / ``3 /4`` as ``1 1/2`` / ``3/4``."""
    text = re.sub(r"\s*/\s*", "/", text.strip())
    return re.sub(r"(\d)\s*[- ]\s*(\d+/)", r"\1 \2", text)


def _imperial(inch: str, ft: str, fin: str | None) -> tuple[str, str] | None:
    value = _fraction(inch)
    if value is None or value <= 0 or value > 12:
        return None
    feet = int(ft)
    if feet == 0 or (fin is not None and int(fin) >= 12):
        return None
    inch_text = _inch_text(inch)
    if fin is None and (feet >= 10 and value.denominator == 1):
        return f'{inch_text}" = {feet}\'', "engineering"
    kind = "engineering" if value.denominator == 1 and feet >= 10 else "architectural"
    return f'{inch_text}" = {feet}\'-{int(fin or 0)}"', kind


def find_scales(text: str) -> list[ScaleMatch]:
    """Every scale expression in ``text``, in order, canonicalized."""
    norm = _degree_marks(normalize_marks(text))
    found: list[ScaleMatch] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, canonical: str, kind: str) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(ScaleMatch(canonical, kind, start, end))

    for m in _ARCH.finditer(norm):
        if m.start() > 0 and (norm[m.start() - 1].isdigit() or norm[m.start() - 1] in "/."):
            continue
        if m.group("imark") is None and "/" not in m.group("inch"):
            continue  # a bare integer before "=" is too often not a scale
        parsed = _imperial(m.group("inch"), m.group("ft"), m.group("fin"))
        if parsed:
            add(m.start(), m.end(), *parsed)
    for m in _ARCH_LOOSE.finditer(norm):
        if m.start() > 0 and (norm[m.start() - 1].isdigit() or norm[m.start() - 1] in "/."):
            continue
        parsed = _imperial(m.group("inch"), m.group("ft"), m.group("fin"))
        if parsed:
            add(m.start(), m.end(), *parsed)
    for m in _ARCH_SWAPPED.finditer(norm):
        parsed = _imperial(m.group("inch"), m.group("ft"), None if int(m.group("ft")) >= 10 else "0")
        if parsed:
            add(m.start(), m.end(), *parsed)
    for m in _METRIC.finditer(norm):
        den = m.group("den").replace(",", ".")
        if float(den) < 1 or float(den) > 100000:
            continue
        add(m.start(), m.end(), f"1:{den.rstrip('0').rstrip('.') if '.' in den else den}", "metric")
    for m in _NTS.finditer(norm):
        add(m.start(), m.end(), "NTS", "nts")
    for m in _WORDS.finditer(norm):
        words = re.sub(r"\s+", " ", m.group(1).upper())
        add(m.start(), m.end(), words, "words")
    found.sort(key=lambda s: s.start)
    return found


# Inch values that architectural scales use (inches per foot); OCR slips such as
# "4/4" for "1/4" produce values outside this set.
_STANDARD_INCHES = {Fraction(1, d) for d in (128, 64, 32, 16, 8, 4, 2)} | {
    Fraction(3, 32), Fraction(3, 16), Fraction(3, 8), Fraction(3, 4), Fraction(1), Fraction(3, 2), Fraction(3),
    Fraction(6), Fraction(12),
}


def implausible_fraction(text: str) -> tuple[int, int] | None:
    """For an architectural scale whose inch value no drawing uses (``4/4" = 1'-0"``), its (numerator, denominator)."""
    matches = find_scales(text)
    if len(matches) != 1 or matches[0].kind != "architectural":
        return None
    inch, _, feet = matches[0].text.partition("=")
    frac = re.fullmatch(r"\s*(\d+)/(\d+)\"\s*", inch)
    if not frac or not feet.strip().startswith("1'"):
        return None
    num, den = int(frac.group(1)), int(frac.group(2))
    # Nobody writes a whole inch as a fraction (4/4" is a misread, not 1"), nor 1/2" as 4/8".
    plausible = num < den and math.gcd(num, den) == 1 and Fraction(num, den) in _STANDARD_INCHES
    return None if plausible else (num, den)


def repair_fraction(text: str, others: list[str]) -> tuple[str, bool]:
    """Mend a scale no drawing uses; returns the text and whether it changed.

    An architectural inch value off the standard list (``4/4" = 1'-0"``): a
    plausible scale elsewhere on the sheet with the same denominator wins
    (the title block usually repeats a view's scale), else ``1/d`` when that
    is a standard scale, since OCR most often misreads the leading 1;
    ``11/2"`` is ``1 1/2"`` with its space lost. An
    engineering scale is always one inch to so many feet (``4" = 50'`` is
    ``1" = 50'`` misread).
    """
    engineering = _bad_engineering(text)
    if engineering is not None:
        return f'1" = {engineering}\'', True
    bad = implausible_fraction(text)
    if bad is None:
        return text, False
    num, den = bad
    mixed = re.fullmatch(r"1(\d)", str(num))
    if mixed and 1 + Fraction(int(mixed.group(1)), den) in _STANDARD_INCHES:
        # "11/2"" is "1 1/2"" with its space lost
        return re.sub(r"^\s*1(\d)/", r"1 \1/", text), True
    for other in others:
        if implausible_fraction(other) is None and re.match(rf"\s*\d+/{den}\"", other):
            return other, True
    if Fraction(1, den) in _STANDARD_INCHES:
        return re.sub(r"^\s*\d+/", "1/", text), True
    return text, False


def _bad_engineering(text: str) -> int | None:
    """The feet of an engineering scale whose inch side is not 1 (``4" = 50'``), else None."""
    matches = find_scales(text)
    if len(matches) != 1 or matches[0].kind != "engineering":
        return None
    found = re.fullmatch(r"(\d+)\" = (\d+)'", matches[0].text)
    if found is None or found.group(1) == "1":
        return None
    return int(found.group(2))


_PARTIAL = re.compile(r"""^\s*(?P<inch>\d{1,2}(?:\s+\d{1,2}/\d{1,3}|/\d{1,3})?)\s*"(?:\s.*|=.*)?$""")


def partial_scale(text: str) -> str | None:
    """The architectural scale a scale cell starts to state when OCR lost the rest.

    ``3/32"``, ``3/4" = 0"``, ``3" =1`` and ``3/32" 2.1108`` all say N inches to the foot:
    architectural scales are stated per foot. Only standard inch values are
    taken, and never a bare ``1"`` (``1" = 1'-0"`` or ``1" = 20'``?).
    ``11/2"`` is read as ``1 1/2"`` (OCR drops the space).
    """
    found = _PARTIAL.match(_degree_marks(normalize_marks(text)))
    if found is None:
        return None
    inch = re.sub(r"\s+", " ", found.group("inch"))
    value = _fraction(inch)
    if value is not None and value not in _STANDARD_INCHES:
        split = re.fullmatch(r"1(\d)/(\d+)", inch)
        if split and Fraction(int(split.group(1)), int(split.group(2))) in _STANDARD_INCHES:
            inch = f"1 {split.group(1)}/{split.group(2)}"
            value = _fraction(inch)
    if value is None or value == 1 or value not in _STANDARD_INCHES:
        return None
    return f'{inch}" = 1\'-0"'


def scale_key(text: str) -> str:
    """A comparison key: two strings with the same key state the same scale.

    ``1/8" = 1'`` and ``1/8"=1'-0"`` share a key; ``N.T.S.`` and ``NTS`` too.
    Text that is not a scale keys to its upper-cased, space-free self.
    """
    matches = find_scales(text)
    if len(matches) == 1:
        match = matches[0]
        if match.kind in ("architectural", "engineering"):
            inch, _, feet = match.text.partition("=")
            feet_inches = re.fullmatch(r"\s*(\d+)'(?:-(\d+)\")?\s*", feet)
            value = _fraction(inch.strip().rstrip('"'))
            if feet_inches and value is not None:
                total = int(feet_inches.group(1)) * 12 + int(feet_inches.group(2) or 0)
                return f"imperial:{value}={total}"
        if match.kind == "nts" or match.text == "NOT TO SCALE":
            return "NTS"
        return match.text.replace(" ", "")
    return re.sub(r"\s+", "", normalize_marks(text).upper())
