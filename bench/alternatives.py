"""Against what users would script instead, on the same pages.

* ``ocrmypdf --force-ocr --sidecar`` with ``-j`` = cores, on the image-only
  PDF of the raster pages and on the vector PDF;
* the ``tesseract`` command line run in parallel with ``xargs -P`` = cores
  and ``OMP_THREAD_LIMIT=1``, on the PNG files, and on the vector PDF after
  ``pdftoppm -r 300`` (tesseract cannot read PDFs);
* the service, end to end: CreateDocument (the rasters as one multi-page
  TIFF, or the vector PDF as it is) then ProcessDocument with the default
  settings (one OCR worker per core, text layer used when it is usable).

Each tool's time is reported as a multiple of the service's time on the same
pages (above 1: the service is faster). A tool that is not installed is
reported as missing, with how to install it, and the rest still runs.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from bench import harness
from bench.pages import PageSet
from bench.throughput import cores

COMMAND = "python -m bench alternatives"
INSTALL = {
    "ocrmypdf": "apt-get install ocrmypdf (or pip install ocrmypdf)",
    "tesseract": "apt-get install tesseract-ocr",
    "pdftoppm": "apt-get install poppler-utils",
}


def missing(*tools: str) -> str | None:
    """Why a comparison cannot run: the first tool not on PATH, with how to get it."""
    for tool in tools:
        if shutil.which(tool) is None:
            return f"{tool} not installed ({INSTALL[tool]})"
    return None


def tool_version(tool: str) -> str:
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def _scripts(j: int) -> dict[str, dict[str, str]]:
    """The shell commands a user would type, run in a scratch copy of the page set."""
    tess = f"OMP_THREAD_LIMIT=1 xargs -P {j} -I{{}} tesseract {{}} {{}} >/dev/null 2>&1"
    return {
        "raster": {
            "ocrmypdf": f"ocrmypdf --force-ocr --sidecar raster.txt -j {j} raster.pdf raster-ocr.pdf",
            "tesseract": f"ls page-*.png | {tess}",
        },
        "vector": {
            "ocrmypdf": f"ocrmypdf --force-ocr --sidecar vector.txt -j {j} vector.pdf vector-ocr.pdf",
            "tesseract": f"pdftoppm -r 300 -gray -png vector.pdf render && ls render-*.png | {tess}",
        },
    }


_NEEDS = {("raster", "ocrmypdf"): ("ocrmypdf",), ("raster", "tesseract"): ("tesseract",),
          ("vector", "ocrmypdf"): ("ocrmypdf",), ("vector", "tesseract"): ("pdftoppm", "tesseract")}


def _scratch(space: harness.Workspace, pages: PageSet, name: str) -> Path:
    folder = space.folder(name)
    for path in [pages.vector_pdf, pages.image_pdf, *pages.png_files]:
        shutil.copy(path, folder / path.name)
    return folder


def service_time(space: harness.Workspace, pages: PageSet, kind: str, command=harness.SERVE) -> dict:
    """CreateDocument + ProcessDocument on a fresh server with default settings."""
    data, filename = (pages.tiff.read_bytes(), "raster.tif") if kind == "raster" else (pages.vector_pdf.read_bytes(), "vector.pdf")
    name = f"alt-{kind}" + ("-single" if command != harness.SERVE else "")
    with harness.server(space, name, space.database(), command=command, engine="tesseract") as srv:
        # A warm server: one small document first, as a running service would be.
        harness.process_document(srv.stub, harness.upload(srv.stub, pages.png_files[0].read_bytes(), "warm.png"))
        started = time.perf_counter()
        document_id = harness.upload(srv.stub, data, filename)
        uploaded = time.perf_counter() - started
        timing = harness.process_document(srv.stub, document_id)
        total = time.perf_counter() - started
        peak = srv.peak_rss_mb()
    if timing.completed != len(pages.png_files):
        raise RuntimeError(f"the service completed {timing.completed} of {len(pages.png_files)} {kind} pages")
    return {"seconds": round(total, 2), "upload_seconds": round(uploaded, 2), "process_seconds": round(timing.seconds, 2), "peak_rss_mb": round(peak)}


def run(space: harness.Workspace, pages: PageSet) -> dict:
    j = cores()
    scripts = _scripts(j)
    result: dict = {
        "command": COMMAND,
        "pages": len(pages.png_files),
        "dpi": pages.dpi,
        "jobs": j,
        "versions": {tool: tool_version(tool) for tool in ("ocrmypdf", "tesseract") if shutil.which(tool)},
        "load_before": harness.load_average(),
        "runs": {},
    }
    for kind in ("raster", "vector"):
        service = service_time(space, pages, kind)
        entry: dict = {"service": service, "tools": {}}
        if kind == "raster":
            # The same comparison with the engine doing the command line's work: one pass per page.
            single = service_time(space, pages, kind, harness.SERVE_SINGLE_PASS)
            entry["service_single_pass"] = single
        for tool, script in scripts[kind].items():
            why = missing(*_NEEDS[(kind, tool)])
            if why:
                entry["tools"][tool] = {"missing": why, "script": script}
                continue
            folder = _scratch(space, pages, f"alt-{kind}-{tool}")
            seconds = harness.run_command(script, cwd=folder, shell=True)
            entry["tools"][tool] = {
                "script": script,
                "seconds": round(seconds, 2),
                "tool_vs_service": round(seconds / service["seconds"], 2),
            }
            if "service_single_pass" in entry:
                entry["tools"][tool]["tool_vs_service_single_pass"] = round(seconds / entry["service_single_pass"]["seconds"], 2)
        result["runs"][kind] = entry
    result["load_after"] = harness.load_average()
    return result
