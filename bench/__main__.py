"""``python -m bench``: run the benchmarks, keep their results, write docs/benchmarks.md.

``python -m bench`` runs all of them (``make bench``); ``python -m bench
overhead scaleout`` runs some, and the report is rebuilt from the newest
result of each (``bench/results/*.json``). ``python -m bench sheets
--limit 1`` reads one page of each kind from each sheet set; it alone
needs no PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from bench import alternatives, background, harness, latency, overhead, report, scaleout, sheets, throughput
from bench.machine import describe
from bench.pages import write_page_set

BENCHMARKS = ("sheets", "overhead", "throughput", "alternatives", "latency", "scaleout", "background")
#: Benchmarks that run in this process without a database or a server.
IN_PROCESS = {"sheets"}
RESULTS = harness.ROOT / "bench" / "results"
DOC = harness.ROOT / "docs" / "benchmarks.md"


def _run_one(name: str, space: harness.Workspace | None, pages, args: argparse.Namespace) -> dict:
    if name == "sheets":
        return sheets.run(args.limit, real=None if args.no_real else args.real, engine=args.engine,
                          generated_count=args.generated)
    if name == "overhead":
        return overhead.run(space)
    if name == "throughput":
        return throughput.run(space, pages, args.repeats)
    if name == "alternatives":
        return alternatives.run(space, pages)
    if name == "latency":
        return latency.run(space, pages)
    if name == "background":
        return background.run(space)
    return scaleout.run(space)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("benchmarks", nargs="*", metavar="NAME", help=f"some of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--pages", type=int, default=4, help="raster pages in the set (default 4)")
    parser.add_argument("--dpi", type=int, default=100, help="raster resolution of the ARCH D pages (default 100)")
    parser.add_argument("--repeats", type=int, default=throughput.REPEATS, help="repeats of the throughput measurement")
    parser.add_argument("--settle", type=float, default=60.0,
                        help="seconds to wait, before each benchmark, for the machine's load to drop below 1 (default 60)")
    parser.add_argument("--limit", type=int, default=sheets.LIMIT,
                        help=f"sheets: pages of each kind taken from each set (default {sheets.LIMIT})")
    parser.add_argument("--real", type=Path, default=sheets.REAL,
                        help="sheets: the folder of real sheets with truth.json (default ../shared/eval-real; skipped when absent)")
    parser.add_argument("--generated", type=int, default=sheets.GENERATED_COUNT,
                        help=f"sheets: generated sheets of each kind in the stand-in set (default {sheets.GENERATED_COUNT})")
    parser.add_argument("--no-real", action="store_true", help="sheets: only the generated stand-in")
    parser.add_argument("--engine", default="tesseract", help="sheets: the engine planocr and its floor use (default tesseract)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--write", type=Path, default=DOC, help="the report to write (default docs/benchmarks.md)")
    parser.add_argument("--no-write", action="store_true", help="only print and keep the results")
    args = parser.parse_args(argv)
    names = args.benchmarks or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    args.results.mkdir(parents=True, exist_ok=True)

    needs_database = any(name not in IN_PROCESS for name in names)
    with harness.workspace() if needs_database else nullcontext() as space:
        machine = describe(space.postgres.admin_url if space else None)
        pages = write_page_set(space.folder("pages"), args.pages, args.dpi) if space else None
        for name in names:
            load = harness.settle(args.settle)
            print(f"bench: {name} (load average {load})", file=sys.stderr, flush=True)
            started = time.monotonic()
            pressure = harness.cpu_pressure()
            result = _run_one(name, space, pages, args)
            result["minutes"] = round((time.monotonic() - started) / 60, 1)
            result["cpu_pressure"] = [pressure, harness.cpu_pressure()]
            result["machine"] = machine
            (args.results / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
            print(json.dumps(result, indent=1), flush=True)
    if not args.no_write:
        results = {n: json.loads((args.results / f"{n}.json").read_text()) for n in BENCHMARKS if (args.results / f"{n}.json").exists()}
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(report.render(results))
        print(f"bench: wrote {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
