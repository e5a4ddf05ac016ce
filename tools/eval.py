"""Sheet-index accuracy on a folder of drawings with a truth.json.

    python tools/eval.py DIR                 # the whole service path: planocr ocr --json
    python tools/eval.py DIR --parser-only   # engine + title-block parser in this process

``DIR/truth.json`` lists sheets as ``{"file", "page", "sheet_number", "title",
"scale"}``; ``scale`` is a list of accepted scales, and a null field is not
scored. Comparison ignores case, runs of whitespace and quote style, and
treats ``1/8" = 1'`` and ``1/8"=1'-0"`` (or ``NTS`` and ``N.T.S.``) as the
same scale; anything else must match exactly.
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

FIELDS = ("sheet_number", "title", "scale")


def norm_text(value: str | None) -> str:
    """Upper case, one space between words, straight quotes and dashes."""
    from planocr.titleblock.scales import normalize_marks

    text = normalize_marks(value or "").upper().replace("ß", "SS")
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
            pages[(name, int(page["page_number"]))] = page
    return pages


def run_parser(folder: Path, files: list[str], engine_name: str, dpi: int) -> dict[tuple[str, int], dict]:
    """The same fields from the engine (or PDF text layer) and the parser, in this process."""
    from planocr import imaging, pdf
    from planocr.engines import textlayer
    from planocr.engines.registry import EngineRegistry
    from planocr.titleblock import parse_title_block

    engine = EngineRegistry(engine_name).get()
    pages: dict[tuple[str, int], dict] = {}
    for name in files:
        data = (folder / name).read_bytes()
        if imaging.sniff_media_type(data[:1024]) == imaging.PDF:
            items = ((r.index + 1, r.image, r.dpi, r.words) for r in pdf.render_pages(data, dpi, 120_000_000))
        else:
            items = ((i + 1, image, image_dpi, []) for i, (image, image_dpi) in enumerate(imaging.decode_frames(data, 400_000_000)))
        for number, image, image_dpi, words in items:
            started = time.monotonic()
            usable, _ = textlayer.assess(words, image.width, image.height) if words else (False, "")
            if usable:
                ocr, source = textlayer.result_from_words(words, image.width, image.height), "text-layer"
            else:
                ocr, source = engine.recognize(image, dpi=image_dpi), engine.name
            result = parse_title_block(ocr.lines, ocr.width, ocr.height)
            pages[(name, number)] = {
                "sheet_number": result.value("sheet_number"),
                "title": result.value("sheet_title"),
                "scale": result.value("scale"),
                "text_source": source,
                "seconds": round(time.monotonic() - started, 2),
            }
    return pages


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Per-field sheet-index accuracy against DIR/truth.json.")
    parser.add_argument("dir", type=Path)
    parser.add_argument("--parser-only", action="store_true", help="run engine + parser in-process, not the service")
    parser.add_argument("--engine", default="tesseract", help="engine for --parser-only (default tesseract)")
    parser.add_argument("--dpi", type=int, default=150, help="PDF render DPI for --parser-only (default 150)")
    parser.add_argument("--planocr", default="", help="the planocr command (default: this Python's planocr.cli)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files")
    args = parser.parse_args(argv)

    truth_doc = json.loads((args.dir / "truth.json").read_text())
    sheets = truth_doc["sheets"]
    files = list(dict.fromkeys(s["file"] for s in sheets))
    if args.limit:
        files = files[: args.limit]
        sheets = [s for s in sheets if s["file"] in files]
    started = time.monotonic()
    if args.parser_only:
        pages = run_parser(args.dir, files, args.engine, args.dpi)
    else:
        pages = run_service(args.dir, files, args.planocr)
    elapsed = time.monotonic() - started
    counts, misses = score(sheets, pages)

    mode = f"parser-only ({args.engine}, {args.dpi} dpi)" if args.parser_only else "service (planocr ocr --json)"
    print(f"{args.dir}: {len(sheets)} sheets in {len(files)} files, {mode}, {elapsed:.0f} s")
    for field in FIELDS:
        right, total = counts[field]
        share = f"{100 * right / total:5.1f} %" if total else "    -  "
        print(f"  {field:<13} {share}  ({right}/{total})")
    if misses:
        print(f"misses ({len(misses)}):")
        for line in misses:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
