"""Sets of generated sheets on disk with their ``truth.json``, and the command line.

Every truth entry keeps the evaluation format (``file``, ``page``,
``sheet_number``, ``title``, ``scale``) and adds ``classes``: the page kind
(vector, outline, raster, scan), the block style (labelled, label-free,
none), the language, and the traits that make the sheet hard (see
:data:`TRAITS`). ``--classes`` keeps only sheets that have all the classes
named.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from testkit.sheets import raster
from testkit.sheets.choosing import random_kind, random_spec, set_pages
from testkit.sheets.drawing import draw_pdf
from testkit.sheets.spec import PAGE_SIZES, SheetSpec
from testkit.sheets.text import MIXED_MODES, TEXT_MODES, text_mode
from testkit.sheets.vocabulary import LANGUAGES

# textless: text drawn by a mode of MIXED_MODES; cid: every text in a CID font without a Unicode map
FORMS = ("vector", "textless", "raster", "scan", "bilevel", "turned", "cid")
_FORM_WEIGHTS = {
    None: (27, 14, 16, 24, 8, 8, 3),
    "labelled": (32, 10, 20, 24, 5, 5, 4),
    "civil": (10, 5, 5, 20, 55, 5, 0),
    "spec-page": (45, 0, 15, 30, 10, 0, 0),
    "map": (35, 0, 25, 40, 0, 0, 0),
    "drawing-list": (35, 10, 20, 30, 5, 0, 0),
}
_SET_KINDS = ("labelled", "label-free", "foreign")
_SET_SHARE = 0.08

PAGE_CLASSES = ("vector", "outline", "raster", "scan")
BLOCK_CLASSES = ("labelled", "label-free", "none")
TRAITS = (
    "classic",  # the labelled English or German sheet the parser was written for
    "multi-line-title", "cover-sheet", "no-number", "view-scale", "civil-scale", "scale-paper-size",
    "bubble-number", "number-in-title", "date-near-number", "drawing-list", "spec-page", "map-page",
    "outline-block",  # real text on the sheet, the title block in outlines (or another mode's text)
    "g4-tiff", "rotated-page", "sheet-set",
    "cid-font",  # a vector page whose text is in CID fonts without a Unicode map
)
_CIVIL_SCALE = re.compile(r"^1\" ?= ?\d+'$")
_PAPER_SIZE = re.compile(r"(@| at )\s*A\d\b")


def known_classes() -> set[str]:
    """Every class a truth entry can carry (page kinds of registered text modes included)."""
    pages = set(PAGE_CLASSES) | {mode.page_class for mode in TEXT_MODES.values()}
    return pages | set(BLOCK_CLASSES) | set(LANGUAGES) | set(TRAITS)


def sheet_classes(spec: SheetSpec, form: str, *, in_set: bool = False) -> list[str]:
    """The classes of one sheet written as ``form`` (one of :data:`FORMS` or "set")."""
    if form == "cid":
        page = "vector"
    elif form == "raster":
        page = "raster"
    elif form in ("scan", "bilevel", "turned"):
        page = "scan"
    else:
        special = sorted({spec.text_mode, spec.block_text_mode or spec.text_mode} - {"text"})
        page = text_mode(special[0]).page_class if special else "vector"
    if not spec.has_block:
        block = "none"
    else:
        block = "labelled" if spec.block_style == "labelled" else "label-free"
    traits = []
    if spec.kind == "labelled":
        traits.append("classic")
    if spec.has_block and len(spec.title) > 1:
        traits.append("multi-line-title")
    if spec.content == "cover":
        traits.append("cover-sheet")
    if spec.content in ("drawing-list", "spec-page"):
        traits.append(spec.content)
    if spec.content == "map":
        traits.append("map-page")
    if spec.has_block and not spec.sheet_number:
        traits.append("no-number")
    if spec.has_block and spec.scale is None and spec.scale_truth:
        traits.append("view-scale")
    if any(_CIVIL_SCALE.match(s) for s in spec.scale_truth or []):
        traits.append("civil-scale")
    shown = spec.scale or (spec.views[0][1] if spec.views and spec.scale_truth else None)
    if shown and _PAPER_SIZE.search(shown):
        traits.append("scale-paper-size")
    if spec.number_style == "bubble":
        traits.append("bubble-number")
    if spec.number_style == "in-title":
        traits.append("number-in-title")
    if spec.number_date and spec.sheet_number:
        traits.append("date-near-number")
    if page != "vector" and form not in ("raster", "scan", "bilevel", "turned") and spec.text_mode == "text":
        traits.append("outline-block")
    if form == "bilevel":
        traits.append("g4-tiff")
    if form == "turned":
        traits.append("rotated-page")
    if in_set:
        traits.append("sheet-set")
    if form == "cid":
        traits.append("cid-font")
    return [page, block, spec.language, *traits]


def truth_entry(spec: SheetSpec, file: str, page: int, classes: list[str]) -> dict:
    return {
        "file": file,
        "page": page,
        "sheet_number": spec.sheet_number,
        "title": spec.truth_title(),
        "scale": spec.scale_truth,
        "layout": spec.layout,
        "language": spec.language,
        "classes": classes,
    }


@dataclass
class Planned:
    """One file to write: its sheets, how they are written, and their classes."""

    specs: list[SheetSpec]
    form: str  # one of FORMS, or "set" (a three-page vector PDF)
    fmt: str  # pdf, png, jpg, tif
    dpi: int = 0

    def classes(self) -> list[list[str]]:
        form = "vector" if self.form == "set" else self.form
        return [sheet_classes(s, form, in_set=self.form == "set") for s in self.specs]


def _raster_page(rng: random.Random, spec: SheetSpec, form: str) -> tuple[float, float]:
    """Scans come on smaller sheets, as scanned sets usually do; that also keeps OCR time bounded."""
    W, _ = spec.page_size
    if W < 1000:  # letter pages stay as they are
        return spec.page_size
    iso = spec.page_size in (PAGE_SIZES["A1"], PAGE_SIZES["A2"], PAGE_SIZES["A3"])
    if form == "bilevel" and spec.block_style == "civil":
        return spec.page_size
    if iso:
        return PAGE_SIZES["A3"]
    return rng.choice([PAGE_SIZES["ANSI B"], PAGE_SIZES["ARCH C"]]) if form != "bilevel" else rng.choice(
        [PAGE_SIZES["ANSI B"], PAGE_SIZES["ARCH C"], PAGE_SIZES["ARCH C"], PAGE_SIZES["ANSI D"]])


def plan_file(rng: random.Random, seed: int, index: int, room: int, kind: str | None = None) -> Planned:
    """Choose the next file of a set: a kind of sheet and a way of writing it (nothing is drawn yet)."""
    kind = kind or random_kind(rng)
    spec = random_spec(rng, seed * 100000 + index, kind=kind)
    if kind in _SET_KINDS and room >= 3 and rng.random() < _SET_SHARE:
        if spec.layout == "none":
            spec = random_spec(rng, seed * 100000 + index, kind=kind, layout="corner")
        return Planned(set_pages(rng, spec), "set", "pdf")
    form = rng.choices(FORMS, weights=_FORM_WEIGHTS.get(kind, _FORM_WEIGHTS[None]))[0]
    if form == "textless":
        mode = rng.choice(MIXED_MODES)
        if spec.has_block and rng.random() < 0.4:
            spec = replace(spec, block_text_mode=mode)  # real text on the sheet, the block drawn the other way
        else:
            spec = replace(spec, text_mode=mode)
        return Planned([spec], form, "pdf")
    if form in ("vector", "cid"):
        return Planned([spec], form, "pdf")
    spec = replace(spec, page_size=_raster_page(rng, spec, form))
    if form in ("bilevel", "turned"):
        dpi = raster.SCAN_DPI if form == "bilevel" or spec.page_size[0] <= PAGE_SIZES["ANSI B"][0] else 150
        return Planned([spec], form, "tif" if form == "bilevel" else "pdf", dpi)
    dpi = rng.choice([150, 200]) if spec.page_size[0] < 1500 else 150
    fmt = rng.choice(["jpg", "jpg", "png", "pdf"]) if form == "scan" else "png"
    return Planned([spec], form, fmt, dpi)


def write_planned(planned: Planned, out: Path, index: int, rng: random.Random) -> list[dict]:
    """Draw and write one planned file; its truth entries."""
    pdf = draw_pdf(planned.specs)
    name = f"{'set' if planned.form == 'set' else 'sheet'}-{index:04d}.{planned.fmt}"
    if planned.form == "cid":
        from testkit.cidpdf import sheet_pdf

        data = sheet_pdf(planned.specs[0])
    elif planned.form in ("vector", "textless", "set"):
        data = pdf
    else:
        image = raster.render(pdf, planned.dpi)
        if planned.form == "scan":
            image = raster.degrade(image, rng)
        if planned.form == "bilevel":
            data = raster.image_bytes(raster.bilevel_scan(image, rng), "tif", rng)
        elif planned.form == "turned":
            data = raster.turned_scan_pdf(image, rng)
        else:
            data = raster.image_bytes(image, planned.fmt, rng)
    (out / name).write_bytes(data)
    return [truth_entry(s, name, p + 1, c) for p, (s, c) in enumerate(zip(planned.specs, planned.classes(), strict=False))]


def write_set(out: Path, count: int, seed: int, classes: Iterable[str] | None = None, *, tries: int = 50_000) -> dict:
    """Write ``count`` sheets to ``out`` with ``truth.json``; returns the truth document.

    With ``classes``, only sheets that have every one of them are written:
    files are drawn from the same mix until one fits, up to ``tries`` times
    per file (a ValueError says the combination never came up).
    """
    wanted = set(classes or ())
    unknown = wanted - known_classes()
    if unknown:
        raise ValueError(f"unknown classes {sorted(unknown)}; known: {', '.join(sorted(known_classes()))}")
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sheets: list[dict] = []
    index = 0
    while len(sheets) < count:
        index += 1
        for _ in range(tries):
            planned = plan_file(rng, seed, index, count - len(sheets))
            if all(wanted <= set(c) for c in planned.classes()):
                break
        else:
            raise ValueError(f"no generated sheet has all of {sorted(wanted)}")
        sheets.extend(write_planned(planned, out, index, rng))
    truth = {
        "about": f"Generated by testkit.sheets (seed {seed}{', classes ' + ','.join(sorted(wanted)) if wanted else ''}). "
                 "A null field means: not scored.",
        "sheets": sheets,
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False))
    return truth


def class_counts(truth: dict) -> Counter:
    """How many sheets carry each class."""
    return Counter(c for sheet in truth["sheets"] for c in sheet.get("classes", []))


def _class_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = set(names) - known_classes()
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown classes {sorted(unknown)}; known: {', '.join(sorted(known_classes()))}")
    return names


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write generated construction sheets with a truth.json.")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--classes", type=_class_list, default=[],
                        help="comma-separated classes every sheet must have, e.g. scan,label-free")
    args = parser.parse_args(argv)
    started = time.monotonic()
    truth = write_set(args.out, args.count, args.seed, args.classes)
    files = len({s["file"] for s in truth["sheets"]})
    print(f"wrote {len(truth['sheets'])} sheets in {files} files to {args.out} in {time.monotonic() - started:.0f} s")
    for name, n in sorted(class_counts(truth).items(), key=lambda item: (-item[1], item[0])):
        print(f"  {name:<18} {n}")
