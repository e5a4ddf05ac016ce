"""Sheet-index accuracy on a folder of drawings with a truth.json.

    python tools/eval.py DIR                  # the whole service path: planocr ocr --json
    python tools/eval.py DIR --in-process     # the service's reading in this process, engine answers cached
    python tools/eval.py DIR --in-process --budget 0 --reads ""    # one engine pass a page
    python tools/eval.py DIR --ablation       # accuracy and seconds for each extra read, added one at a time

``DIR/truth.json`` lists sheets as ``{"file", "page", "sheet_number",
"title", "scale"}`` and optionally ``"classes"``; ``scale`` is a scale or
a list of accepted scales, a null field is not scored, and a
``sheet_number`` of ``""`` means the page has none. Comparison ignores
case, runs of whitespace and quote style, and treats ``1/8" = 1'`` and
``1/8"=1'-0"`` (or ``NTS`` and ``N.T.S.``) as the same scale, and ignores
accents (OCR's English model reads ``FAÇADES`` as ``FACADES``); anything
else must match exactly.

Besides the per-field figures and the misses, a table by class: the page
kind (vector: the text layer reads; outline: a PDF whose title block is
drawn, not written; raster: images and scans), whether the title block is
labelled, and the language of its labels. Classes come from the truth's
``classes`` when it has them, else from the page itself.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIELDS = ("sheet_number", "title", "scale")
KINDS = ("vector", "outline", "raster")


def norm_text(value: str | None) -> str:
    """Upper case without accents (the engines' English model reads É as E), one space between words,
    straight quotes and dashes."""
    from planocr.titleblock.labels import fold
    from planocr.titleblock.scales import normalize_marks

    text = fold(normalize_marks(value or ""))
    return re.sub(r"\s+", " ", text).strip()


def norm_number(value: str | None) -> str:
    return re.sub(r"\s+", "", norm_text(value))


def same(field: str, got: str | None, want) -> bool:
    """Whether the service's value matches the truth for ``field``."""
    from planocr.titleblock.scales import scale_key

    if field == "scale":
        accepted = want if isinstance(want, list) else [want]
        if not accepted:
            return not got
        return bool(got) and scale_key(got) in {scale_key(a) for a in accepted}
    if field == "sheet_number":
        return norm_number(got) == norm_number(want)
    return norm_text(got) == norm_text(want)


# --- running ------------------------------------------------------------------------------------


def run_service(folder: Path, files: list[str], planocr: str) -> dict[tuple[str, int], dict]:
    """Pages as ``planocr ocr --json`` reports them, keyed by (file, page number)."""
    cmd = [*(planocr.split() if planocr else [sys.executable, "-m", "planocr.cli"]), "ocr", "--json", "--quiet", *[str(folder / f) for f in files]]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 and not proc.stdout.strip():
        raise SystemExit(f"{' '.join(cmd[:3])} ... failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    pages = {}
    for document in report.get("documents", []):
        name = Path(document["file"]).name
        for page in document.get("pages", []):
            page["kind"] = _service_kind(name, page)
            pages[(name, int(page["page_number"]))] = page
    return pages


def _service_kind(name: str, page: dict) -> str:
    source = page.get("text_source") or ""
    if source == "text-layer":
        return "vector"
    if source == "text-layer+ocr":
        return "outline"
    return "outline" if name.lower().endswith(".pdf") and not page.get("scanned", True) else "raster"


def run_in_process(folder: Path, files: list[str], options, engine_name: str = "tesseract") -> dict[tuple[str, int], dict]:
    """The service's reading in this process (:mod:`tools.sheetcache`), engine answers cached."""
    from planocr.config import Settings
    from planocr.engines.registry import EngineRegistry, build_engine
    from tools.sheetcache import CachingEngine, read_sheets

    settings = Settings(_env_file=None)
    engine = CachingEngine(EngineRegistry(engine_name, factory=lambda n, c: build_engine(n, settings, c)).get())
    pages: dict[tuple[str, int], dict] = {}
    try:
        for page in read_sheets(folder, files, engine, options, settings):
            tb = page.read.title_block
            pages[(page.file, page.page)] = {
                "sheet_number": tb.value("sheet_number"),
                "title": tb.value("sheet_title"),
                "scale": tb.value("scale"),
                "text": page.read.ocr.text,
                "lines": page.read.ocr.lines,
                "kind": page.kind,
                "seconds": round(page.seconds, 2),
                "steps": page.steps,
            }
    finally:
        engine.close()
    return pages


# --- classes ------------------------------------------------------------------------------------


def page_classes(sheet: dict, page: dict | None) -> dict[str, str]:
    """kind, block (labelled / label-free) and language of one page: from the truth, else from the page."""
    given = set(sheet.get("classes") or [])
    out: dict[str, str] = {}
    kind = next((k for k in ("vector", "outline", "raster", "scan") if k in given), None)
    out["kind"] = ("raster" if kind == "scan" else kind) or (page or {}).get("kind") or "?"
    block = next((b for b in ("labelled", "label-free", "none") if b in given), None)
    language = next((c[5:] if c.startswith("lang:") else c for c in given if c in LANGUAGES or c.startswith("lang:")), None)
    if block is None or language is None:
        lines = _page_lines(page)
        if block is None:
            block = "none" if sheet.get("sheet_number") == "" and not sheet.get("title") else _block_style(lines)
        if language is None:
            language = _language(lines)
    out["block"] = block
    out["language"] = language
    return out


LANGUAGES = ("en", "de", "it", "fr", "es", "nl")


def _page_lines(page: dict | None) -> list[list[str]]:
    if not page:
        return []
    if page.get("lines") is not None:
        return [[w.text for w in line.words] for line in page["lines"]]
    return [line.split() for line in (page.get("text") or "").splitlines()]


def _block_style(lines: list[list[str]]) -> str:
    """labelled when some line starts with a sheet-number or sheet-title label, else label-free."""
    from planocr.titleblock.labels import match_label

    for words in lines:
        for start in range(min(3, len(words))):
            found = match_label(words[start:])
            if found and found[0] in ("sheet_number", "sheet_title"):
                return "labelled"
    return "label-free"


def _language(lines: list[list[str]]) -> str:
    from planocr.titleblock.labels import label_languages

    counts = label_languages(lines)
    best = max(counts, key=counts.get, default=None)
    return best if best and counts[best] >= 2 else "en"


# --- scoring and reporting -------------------------------------------------------------------


def score(truth: list[dict], pages: dict[tuple[str, int], dict]) -> tuple[dict[str, list[int]], list[str]]:
    """Right/scored counts per field, and one line per miss."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[str] = []
    for sheet in truth:
        key = (sheet["file"], int(sheet.get("page", 1)))
        page = pages.get(key)
        for field in FIELDS:
            want = sheet.get(field)
            if want is None:
                continue
            got = (page or {}).get(field) or ""
            counts[field][1] += 1
            if page is not None and same(field, got, want):
                counts[field][0] += 1
            else:
                where = f"{key[0]} p{key[1]}"
                detail = "page missing" if page is None else f"got {got!r}"
                if page is not None and page.get("error"):
                    detail += f" (error: {page['error']})"
                misses.append(f"{where:<28} {field:<13} want {want!r:<40} {detail}")
    return counts, misses


def class_table(truth: list[dict], pages: dict[tuple[str, int], dict]) -> list[str]:
    """One row per class value: pages, and right/scored per field."""
    rows: dict[tuple[str, str], dict] = {}
    for sheet in truth:
        key = (sheet["file"], int(sheet.get("page", 1)))
        page = pages.get(key)
        classes = page_classes(sheet, page)
        for dimension, value in classes.items():
            row = rows.setdefault((dimension, value), {"pages": 0, **{f: [0, 0] for f in FIELDS}, "seconds": []})
            row["pages"] += 1
            if page is not None and page.get("seconds") is not None:
                row["seconds"].append(page["seconds"])
            for field in FIELDS:
                want = sheet.get(field)
                if want is None:
                    continue
                row[field][1] += 1
                row[field][0] += int(page is not None and same(field, (page or {}).get(field) or "", want))
    out = [f"  {'class':<22} {'pages':>5}  {'number':>13}  {'title':>13}  {'scale':>13}  {'median s':>8}"]
    for (dimension, value), row in sorted(rows.items()):
        cells = []
        for field in FIELDS:
            right, total = row[field]
            cells.append(f"{100 * right / total:5.0f} % {right:>2}/{total:<2}" if total else f"{'-':>13}")
        seconds = sorted(row["seconds"])
        median = f"{seconds[len(seconds) // 2]:8.1f}" if seconds else f"{'-':>8}"
        out.append(f"  {dimension + ': ' + value:<22} {row['pages']:>5}  {'  '.join(cells)}  {median}")
    return out


def summary(counts: dict[str, list[int]]) -> dict[str, float]:
    return {field: (100 * counts[field][0] / counts[field][1] if counts[field][1] else 0.0) for field in FIELDS}


def print_report(label: str, sheets: list[dict], pages: dict, elapsed: float, *, misses_shown: bool = True) -> None:
    counts, misses = score(sheets, pages)
    print(f"{label}, {elapsed:.0f} s")
    for field in FIELDS:
        right, total = counts[field]
        share = f"{100 * right / total:5.1f} %" if total else "    -  "
        print(f"  {field:<13} {share}  ({right}/{total})")
    seconds = sorted(p["seconds"] for p in pages.values() if p.get("seconds") is not None)
    if seconds:
        print(f"  seconds a page: median {seconds[len(seconds) // 2]:.1f}, worst {seconds[-1]:.1f}, total {sum(seconds):.0f}")
    print("by class:")
    for line in class_table(sheets, pages):
        print(line)
    if misses and misses_shown:
        print(f"misses ({len(misses)}):")
        for line in misses:
            print(f"  {line}")


# --- the ablation -----------------------------------------------------------------------------

#: Extra reads added one at a time, in the order the reader runs them.
ABLATION = ("large", "vertical", "bubble", "block", "cells", "lang", "complete")


def ablation(folder: Path, files: list[str], sheets: list[dict], engine: str) -> list[str]:
    """Accuracy and engine seconds with one engine pass a page, then with each extra read added."""
    from planocr.reading.sheetreader import ReadingOptions

    rows = []
    previous = None
    for count in range(len(ABLATION) + 1):
        reads = frozenset(ABLATION[:count])
        options = ReadingOptions(budget=0.5 if reads else 0.0, extra_reads=reads)
        pages = run_in_process(folder, files, options, engine)
        counts, _ = score(sheets, pages)
        right = sum(counts[f][0] for f in FIELDS)
        seconds = sum(p["seconds"] for p in pages.values())
        label = "one pass (text layer or OCR)" if count == 0 else f"+ {ABLATION[count - 1]}"
        gain = ""
        if previous is not None:
            extra = seconds - previous[1]
            gain = f"{right - previous[0]:+d} fields, {extra:+.0f} s" + (
                f", {(right - previous[0]) / extra * 60:+.1f} fields/min" if extra > 0.5 else "")
        figures = "  ".join(f"{summary(counts)[f]:5.1f}" for f in FIELDS)
        rows.append(f"  {label:<30} {figures}   {seconds:7.0f} s   {gain}")
        previous = (right, seconds)
    return [f"  {'reads':<30} {'num':>5}  {'title':>5}  {'scale':>5}   {'engine s':>9}   gain", *rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Per-field sheet-index accuracy against DIR/truth.json.")
    parser.add_argument("dir", type=Path)
    parser.add_argument("--in-process", action="store_true",
                        help="read the pages in this process as the service does, engine answers cached in build/eval-cache")
    parser.add_argument("--budget", type=float, default=None, help="--in-process: the reading budget (PLANOCR_READ_BUDGET)")
    parser.add_argument("--reads", default=None,
                        help="--in-process: extra reads allowed, comma-separated (default all; '' for none)")
    parser.add_argument("--ablation", action="store_true", help="accuracy and seconds with each extra read added in turn")
    parser.add_argument("--engine", default="tesseract", help="engine for --in-process (default tesseract)")
    parser.add_argument("--planocr", default="", help="the planocr command (default: this Python's planocr.cli)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files")
    parser.add_argument("--files", default="", help="only files whose name contains one of these comma-separated words")
    parser.add_argument("--json", type=Path, default=None, help="also write every page's fields and seconds here")
    args = parser.parse_args(argv)

    truth_doc = json.loads((args.dir / "truth.json").read_text())
    sheets = truth_doc["sheets"]
    files = list(dict.fromkeys(s["file"] for s in sheets))
    if args.files:
        words = [w for w in args.files.split(",") if w]
        files = [f for f in files if any(w in f for w in words)]
    if args.limit:
        files = files[: args.limit]
    sheets = [s for s in sheets if s["file"] in files]
    started = time.monotonic()
    if args.ablation:
        for line in ablation(args.dir, files, sheets, args.engine):
            print(line)
        return 0
    if args.in_process:
        from planocr.reading.sheetreader import EXTRA_READS, ReadingOptions

        reads = frozenset(EXTRA_READS) if args.reads is None else frozenset(r for r in args.reads.split(",") if r)
        options = ReadingOptions(**({"budget": args.budget} if args.budget is not None else {}), extra_reads=reads)
        pages = run_in_process(args.dir, files, options, args.engine)
        mode = f"in process ({args.engine}, budget {options.budget}, reads {','.join(sorted(reads)) or 'none'})"
    else:
        pages = run_service(args.dir, files, args.planocr)
        mode = "service (planocr ocr --json)"
    elapsed = time.monotonic() - started
    print_report(f"{args.dir}: {len(sheets)} sheets in {len(files)} files, {mode}", sheets, pages, elapsed)
    if args.json:
        out = [{"file": f, "page": p, **{k: v for k, v in page.items() if k in (*FIELDS, "kind", "seconds")}}
               for (f, p), page in sorted(pages.items())]
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
