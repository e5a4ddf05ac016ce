"""Cold start of ``planocr ocr``, time to the first ProcessDocument event, and the server's peak memory.

Cold start: ``planocr ocr --quiet page.pdf`` on one A3 vector sheet with a
text layer, run from the shell as a user would (a new process each time:
imports, in-process server on a private SQLite database, upload, read,
print, stop), after one warm-up run that leaves the bytecode caches an
installed package has. The floor in the same run is the interpreter
starting and exiting (``python -c pass``).

First event: a fresh document of the raster pages, ProcessDocument timed
from the call to its first message (DocumentStarted, which says how many
pages will be read) and to its first page event (one page read). The
baseline is a unary GetDocument on the same server and document.

Peak memory: the server's VmHWM (peak resident set) after start, after
uploading a 42 x 30 in vector sheet rendered at 300 DPI (12600 x 9000
pixels), after reading it from its text layer, and after reading it again
with OCR (text_source_mode OCR, force), which decodes the page and runs the
engine on all 113 million pixels. Then, for sizing a pod, one such sheet
on every OCR worker at once.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import harness
from bench.pages import ARCH_E1, PageSet, sheet_specs, vector_pdf
from bench.throughput import cores
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2

COMMAND = "python -m bench latency"
FIRST_EVENT_REPEATS = 3
E1_DPI = 300
#: ISO A3 landscape, in inches.
A3 = (16.54, 11.69)
COLD_START_RUNS = 7


def _planocr_command() -> list[str]:
    """The ``planocr`` script installed beside this interpreter, as a user runs it; else ``python -m planocr.cli``."""
    script = Path(sys.executable).with_name("planocr")
    return [str(script)] if script.exists() else [sys.executable, "-m", "planocr.cli"]


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed


def cli_cold_start(space: harness.Workspace, runs: int = COLD_START_RUNS) -> dict:
    """Seconds for ``planocr ocr`` on one A3 vector sheet, each run a new process; and the interpreter's own start."""
    sheet = space.folder("cold-start") / "a3.pdf"
    sheet.write_bytes(vector_pdf(sheet_specs(1, A3, seed=3)))
    # Bytecode caches as an installed package has them (some shells switch writing them off).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [*_planocr_command(), "ocr", "--quiet", str(sheet)]
    first = subprocess.run(command, env=env, capture_output=True, text=True)
    if first.returncode != 0 or "A-101" not in first.stdout:
        raise RuntimeError(f"planocr ocr did not read the sheet: {first.stdout[-500:]} {first.stderr[-2000:]}")
    cli, interpreter = [], []
    for _ in range(runs):  # alternated, so both see the same moments of a shared machine
        cli.append(_timed(command, env))
        interpreter.append(_timed([sys.executable, "-c", "pass"], env))
    return {
        "command": f"planocr ocr --quiet {sheet.name}",
        "sheet": f"A3 ({A3[0]:g} x {A3[1]:g} in), vector with a text layer",
        "seconds": [round(v, 3) for v in cli],
        "median_seconds": round(statistics.median(cli), 3),
        "min_seconds": round(min(cli), 3),
        "interpreter_seconds": round(statistics.median(interpreter), 3),
    }


def first_event(space: harness.Workspace, pages: PageSet, repeats: int = FIRST_EVENT_REPEATS) -> dict:
    tiff = pages.tiff.read_bytes()
    with harness.server(space, "first-event", space.database(), engine="tesseract") as srv:
        documents = [harness.upload(srv.stub, tiff, f"first-{i}.tif") for i in range(repeats)]
        get_ms, first_ms, page_ms = [], [], []
        for document_id in documents:
            started = time.perf_counter()
            srv.stub.GetDocument(pb.GetDocumentRequest(document_id=document_id), timeout=30)
            get_ms.append((time.perf_counter() - started) * 1000)
            timing = harness.process_document(srv.stub, document_id)
            first_ms.append(timing.first_message * 1000)
            page_ms.append((timing.first_page or timing.seconds) * 1000)
    first = harness.median(first_ms)
    return {
        "first_message_ms": [round(v, 1) for v in first_ms],
        "first_page_ms": [round(v) for v in page_ms],
        "get_document_ms": [round(v, 1) for v in get_ms],
        "median_first_message_ms": round(first, 1),
        "median_first_page_ms": round(harness.median(page_ms)),
        "first_message_vs_get_document": round(first / harness.median(get_ms), 2),
    }


def peak_memory(space: harness.Workspace) -> dict:
    sheet = vector_pdf(sheet_specs(1, ARCH_E1, seed=30))
    with harness.server(space, "peak-memory", space.database(), engine="tesseract") as srv:
        stages = {"started": srv.peak_rss_mb()}
        started = time.perf_counter()
        document_id = harness.upload(srv.stub, sheet, "e1.pdf", render_dpi=E1_DPI)
        upload_s = time.perf_counter() - started
        stages["uploaded"] = srv.peak_rss_mb()
        text_layer = harness.process_document(srv.stub, document_id)
        stages["text_layer"] = srv.peak_rss_mb()
        ocr = harness.process_document(srv.stub, document_id, force=True, text_source_mode=page_pb2.TEXT_SOURCE_MODE_OCR)
        stages["ocr"] = srv.peak_rss_mb()
        page = srv.stub.ListPages(pb.ListPagesRequest(document_id=document_id), timeout=30).pages[0]
        # For sizing a pod: one such sheet on every OCR worker at once.
        workers = cores()
        several = harness.upload(srv.stub, vector_pdf(sheet_specs(workers, ARCH_E1, seed=31)), "e1-set.pdf", render_dpi=E1_DPI)
        together = harness.process_document(srv.stub, several, text_source_mode=page_pb2.TEXT_SOURCE_MODE_OCR)
        stages[f"ocr_{workers}_at_once"] = srv.peak_rss_mb()
    if ocr.completed != 1 or together.completed != workers:
        raise RuntimeError("the ARCH E1 sheets were not read")
    return {
        "sheet": f"{ARCH_E1[0]:g} x {ARCH_E1[1]:g} in at {E1_DPI} DPI",
        "pixels": f"{page.width} x {page.height}",
        "peak_rss_mb": {k: round(v) for k, v in stages.items()},
        "peak_mb": round(stages["ocr"]),
        "peak_vs_idle": round(stages["ocr"] / stages["started"], 1),
        "workers": workers,
        "upload_seconds": round(upload_s, 2),
        "text_layer_seconds": round(text_layer.seconds, 2),
        "ocr_seconds": round(ocr.seconds, 2),
    }


def run(space: harness.Workspace, pages: PageSet) -> dict:
    return {
        "command": COMMAND,
        "load_before": harness.load_average(),
        "cli_cold_start": cli_cold_start(space),
        "first_event": first_event(space, pages),
        "peak_memory": peak_memory(space),
        "load_after": harness.load_average(),
    }
