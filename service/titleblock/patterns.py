"""What sheet numbers, dates and other title-block values look like, token by token."""

from __future__ import annotations

import re
import string

# Discipline prefix and number: A-101, A101, A1.01, AF600, S2.01, M-001, FP-2, C3.1, TR14, A001.01.
_DISCIPLINE = re.compile(r"[A-Z]{1,4}[-_.]?\d{1,4}(?:[-_.]\d{1,4}){0,3}[A-Z]?(?:[-_.]\d{1,3}[A-Z]?)?")
# Several parts joined by - _ or .: 12-B-04a-201, 7810_A_GR_OG_102, TR14-07C.
_COMPOUND = re.compile(r"[A-Za-z0-9]{1,8}(?:[-_.][A-Za-z0-9]{1,8}){2,7}")
_COMPOUND_SHORT = re.compile(r"[A-Z]{1,4}\d{1,4}[-_.]\d{1,4}[A-Z]?|\d{1,4}[A-Z]{1,3}[-_.]?\d{1,4}")
_DOTTED = re.compile(r"\d{1,3}(?:\.\d{1,3}){1,3}")
_DIGITS = re.compile(r"\d{1,4}[A-Za-z]?")

_DATE = re.compile(
    r"\d{1,2}[./-]\d{1,2}[./-](?:\d{2}|\d{4})|\d{4}[./-]\d{1,2}[./-]\d{1,2}|"
    r"(?:19|20)\d{2}|\d{1,2}[./-](?:19|20)\d{2}",
)
_MONTHS = re.compile(
    r"\b(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|SEPT|OCT|NOV|DEC|JANUARY|FEBRUARY|MARCH|APRIL|JUNE|JULY|AUGUST|"
    r"SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER|JANUAR|FEBRUAR|MÄRZ|MAERZ|MAI|JUNI|JULI|OKTOBER|DEZEMBER)\b\.?",
    re.IGNORECASE,
)
_PROJECT_NUMBER = re.compile(r"(?:19|20)\d{2}[-_.]\d{1,4}(?:[-_.]\d{1,4})?|\d{3,}[-.]\d{2,}[-.]\d{2,}|\d{5,}(?:\.\d+)?")
_DIMENSION_CHARS = set("'\"+±°%$@\\/=:,()[]{}<>")

_STRIP = " \t.,;:()[]{}|\\\u2022*"


def clean_token(text: str) -> str:
    """A word without the punctuation around it, with OCR's look-alike dashes straightened."""
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2212", "-").replace("\u2010", "-")
    text = text.strip(_STRIP)
    # OCR reads a structural "S2.01" as "$2.01"; money does not appear in title blocks.
    return re.sub(r"^[$§](?=\d)", "S", text)


def sheet_number_shape(token: str) -> float:
    """How much ``token`` looks like a sheet number on its own, from 0 (not at all) to 1.

    Bare numbers score low: they are sheet numbers only next to a label.
    """
    if not token or len(token) > 28 or not any(ch.isdigit() for ch in token):
        return 0.0
    if any(ch in _DIMENSION_CHARS for ch in token):
        return 0.0
    if _DOTTED.fullmatch(token):
        return 0.3  # 3.2.10 (also a date shape: only taken next to its label)
    if is_date(token):
        return 0.0
    upper = token.upper()
    if _DISCIPLINE.fullmatch(upper):
        letters = len(upper) - len(upper.lstrip(string.ascii_uppercase))
        digits = sum(ch.isdigit() for ch in upper)
        if letters >= 1 and digits >= 2:
            return 1.0
        return 0.45  # A1, I-5: grid names and roads look like this too
    if _COMPOUND_SHORT.fullmatch(upper):
        return 0.8
    if _COMPOUND.fullmatch(token):
        has_alpha = any(ch.isalpha() for ch in token)
        if not has_alpha:
            return 0.35 if not _PROJECT_NUMBER.fullmatch(token) else 0.15
        return 0.85
    if _DIGITS.fullmatch(token):
        return 0.12
    return 0.0


def shape_class(token: str) -> str:
    """Which family of sheet-number shapes ``token`` belongs to: discipline (A-101), short (A1), compound
    (12-B-04a-201), dotted (3.2.10), digits (7), or other."""
    if sheet_number_shape(token) <= 0:
        return "other"
    upper = token.upper()
    if _DOTTED.fullmatch(token):
        return "dotted"
    if _DISCIPLINE.fullmatch(upper):
        letters = len(upper) - len(upper.lstrip(string.ascii_uppercase))
        digits = sum(ch.isdigit() for ch in upper)
        return "discipline" if letters >= 1 and digits >= 2 else "short"
    if _COMPOUND_SHORT.fullmatch(upper) or _COMPOUND.fullmatch(token):
        return "compound"
    if _DIGITS.fullmatch(token):
        return "digits"
    return "other"


def is_date(text: str) -> bool:
    """Dates in the usual US, German and ISO forms, and bare years."""
    text = text.strip(_STRIP)
    return bool(_DATE.fullmatch(text)) or bool(_MONTHS.search(text) and re.search(r"\d", text))


_WRITTEN_DATE = re.compile(r"(\d{2})([./-])(\d{2})\2(\d{2}|\d{4})")


def is_written_date(text: str) -> bool:
    """A date as title blocks write it, two-digit day and month (``12.03.19``, ``05/22/2024``), either order.

    Looser date shapes (``3.2.10``) are also how some sets number their sheets, so they are not dates here.
    """
    m = _WRITTEN_DATE.fullmatch(text.strip(_STRIP))
    if not m:
        return False
    a, b = int(m.group(1)), int(m.group(3))
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


def is_continuation(token: str) -> bool:
    """The second half of a sheet number broken over two lines (``-07C`` under ``TR14``)."""
    return bool(re.fullmatch(r"[-_.][A-Za-z0-9]{1,6}|[A-Za-z0-9]{1,6}", token)) and any(ch.isdigit() for ch in token)


def split_lead_number(text: str) -> tuple[str, str] | None:
    """``A001.01 - SITE PLAN`` as (``A001.01``, ``SITE PLAN``); None when there is no such split."""
    m = re.match(r"^\s*(\S+)\s*(?:[-\u2013\u2014:|/]\s*|\s+)(.+)$", text)
    if not m:
        return None
    number, rest = clean_token(m.group(1)), m.group(2).strip(" -\u2013\u2014:|")
    if sheet_number_shape(number) >= 0.8 and sum(ch.isalpha() for ch in rest) >= 3:
        return number, rest
    return None


def split_trailing_number(text: str) -> tuple[str, str] | None:
    """``FLOOR PLAN: A2.01`` as (``A2.01``, ``FLOOR PLAN``): a sheet number printed at the end of a name field."""
    m = re.match(r"^(.*?[A-Za-zÀ-ÿ].*?)\s*(?:[:|\u2013\u2014]|\s-)\s*(\S+)\s*$", text)
    if not m:
        return None
    rest, number = m.group(1).strip(" -:|"), clean_token(m.group(2))
    if sheet_number_shape(number) >= 0.8 and sum(ch.isalpha() for ch in rest) >= 3:
        return number, rest
    return None


OCR_DIGIT_FIXES = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8", "Z": "2"})


def repair_ocr_number(token: str) -> str:
    """Fix letters OCR puts for digits inside the digit part of ``A-1O1`` style numbers.

    An ``O`` that would make the letter prefix longer than a discipline
    prefix is a zero too (``TSDEO1`` for ``TSDE01``).
    """
    zero = re.fullmatch(r"([A-Z]{2,4})O(\d{1,3}[A-Z]?)", token)
    if zero and not _DISCIPLINE.fullmatch(token) and _DISCIPLINE.fullmatch(f"{zero.group(1)}0{zero.group(2)}"):
        return f"{zero.group(1)}0{zero.group(2)}"
    m = re.fullmatch(r"([A-Z]{1,3}[-_.]?)(\d[0-9OolI|SBZ.\-]*)", token)
    if not m or _DISCIPLINE.fullmatch(token) or _COMPOUND.fullmatch(token):
        return token
    fixed = m.group(1) + m.group(2).translate(OCR_DIGIT_FIXES)
    return fixed if _DISCIPLINE.fullmatch(fixed) else token
