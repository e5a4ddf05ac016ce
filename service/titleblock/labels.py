"""Title-block labels and which field each one names, in the languages of ``vocabulary.toml``.

A label is matched against one to four words at the start of a phrase (or
after another label). Labels of fields we do not report (client, location,
phase, job number ...) still matter: they claim the value next to them, so
a project number under "JOB NO." is never taken for the sheet number.

The words themselves are data (``vocabulary.toml``): a language is added by
listing its labels there, not by code. The same file lists the words that
say what a piece of text is (a kind of drawing, a stamp, a firm), which
:mod:`planocr.titleblock.candidates` uses.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from importlib import resources

# Field names used for labels of things the result does not report.
OTHER = "other"


@functools.cache
def vocabulary() -> dict:
    """The parsed ``vocabulary.toml``."""
    return tomllib.loads(resources.files("planocr.titleblock").joinpath("vocabulary.toml").read_text("utf-8"))


def fold(text: str) -> str:
    """Upper case, ß as SS, without accents (É as E, Ä as A): how labels are compared."""
    text = text.upper().replace("ß", "SS").replace("ẞ", "SS")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def label_key(text: str) -> str:
    """Folded (:func:`fold`), one space between words, without the punctuation labels end with."""
    text = re.sub(r"[\s_]+", " ", fold(text))
    return text.strip(" :.;,|")


@functools.cache
def _compiled() -> list[tuple[str, str, re.Pattern[str]]]:
    """(field, language, pattern) for every label in the vocabulary, in file order."""
    data = vocabulary()
    number = "(?:" + "|".join(_fold_pattern(n) for n in data["numbers"]["no"]) + ")"
    out = []
    for field, languages in data["labels"].items():
        for language, patterns in languages.items():
            for pattern in patterns:
                out.append((field, language, re.compile(_fold_pattern(pattern).replace("{no}", number))))
    return out


def _fold_pattern(pattern: str) -> str:
    """A vocabulary entry (written in capitals) folded like :func:`label_key` folds text; escapes kept."""
    pattern = pattern.replace("ß", "SS")
    return "".join(ch for ch in unicodedata.normalize("NFKD", pattern) if not unicodedata.combining(ch))


@functools.cache
def word_pattern(kind: str) -> re.Pattern[str]:
    """The words of ``[words] kind`` in the vocabulary as one case-insensitive whole-word pattern."""
    words = vocabulary()["words"][kind]
    return re.compile(r"\b(?:" + "|".join(words) + r")\b\.?", re.IGNORECASE)


@functools.lru_cache(maxsize=1 << 16)
def _field_of(key: str) -> tuple[str, str] | None:
    """The field and language of the first vocabulary entry ``key`` (a :func:`label_key`) matches."""
    for name, language, pattern in _compiled():
        if pattern.fullmatch(key):
            return name, language
    return None


def _match(words: Sequence[str]) -> tuple[str, str, int, bool] | None:
    for count in range(min(4, len(words)), 0, -1):
        raw = " ".join(words[:count])
        key = label_key(raw)
        if not key or len(key) > 30:
            continue
        found = _field_of(key)
        if found is not None:
            return found[0], found[1], count, raw.rstrip().endswith(":")
    # A scan's label with a letter misread (DRAWNG NAME): its long words mended, if it has two words or more.
    mended = [_mended(label_key(w)) or w for w in words[:4]]
    if mended != list(words[:4]):
        for count in range(min(4, len(mended)), 1, -1):
            found = _field_of(label_key(" ".join(mended[:count])))
            if found is not None:
                return found[0], found[1], count, " ".join(words[:count]).rstrip().endswith(":")
    return None


#: Label words this long are still recognised with one letter missing, extra or misread.
MENDED_LETTERS = 6


@functools.cache
def _label_words() -> frozenset[str]:
    """The long plain words of the vocabulary's labels (DRAWING, DESCRIPTION, MASSSTAB...)."""
    found: set[str] = set()
    for _, _, pattern in _compiled():
        found.update(re.findall(rf"(?<![A-Z\\])[A-Z]{{{MENDED_LETTERS},}}", pattern.pattern))
    return frozenset(found)


@functools.lru_cache(maxsize=1 << 14)
def _mended(word: str) -> str | None:
    """The one label word that ``word`` (a :func:`label_key`) is a letter away from; None when none or several."""
    if len(word) < MENDED_LETTERS - 1 or not word.isalpha() or word in _label_words():
        return None
    near = [w for w in _label_words() if _one_letter_apart(word, w)]
    return near[0] if len(near) == 1 else None


def _one_letter_apart(a: str, b: str) -> bool:
    """Whether one letter left out, added or changed turns ``a`` into ``b``."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k, (x, y) in enumerate(zip(short, long_, strict=False)) if x != y), len(short))
    return short[i:] == long_[i + 1 :]


def match_label(words: Sequence[str]) -> tuple[str, int, bool] | None:
    """Which field the leading words name: ``(field, words used, ended with colon)``.

    The longest match wins; ``None`` when the phrase does not start with a label.
    """
    found = _match(words)
    return None if found is None else (found[0], found[2], found[3])


def label_languages(lines: Iterable[Sequence[str]]) -> Counter[str]:
    """How many distinct labels of each language start the given lines (or follow a word or two)."""
    seen: dict[str, set[str]] = {}
    for words in lines:
        for start in range(min(3, len(words))):
            found = _match(words[start:])
            if found is None:
                continue
            name, _, count, _ = found
            key = label_key(" ".join(words[start : start + count]))
            for field, language, pattern in _compiled():
                if field == name and pattern.fullmatch(key):
                    seen.setdefault(language, set()).add(key)
            break
    return Counter({language: len(keys) for language, keys in seen.items()})


def is_label_text(text: str) -> bool:
    """Whether the whole of ``text`` is made of labels (a header row such as "DATE  CHECKED  DRAWN")."""
    words = text.split()
    i = 0
    while i < len(words):
        found = match_label(words[i:])
        if not found:
            return False
        i += found[1]
    return bool(words)
