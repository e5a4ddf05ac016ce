"""Engine-bound throughput: the same raster pages through ProcessDocument and through the engine alone.

The baseline is what a user of the engine would write without the service:
decode each PNG and call the same engine class, built with the same
settings (``planocr.engines.registry.build_engine``), in a plain loop, first on one
thread and then on one thread per core. The service runs the same pages
uploaded as one multi-page TIFF, timed from the ProcessDocument call to its
summary, with PLANOCR_OCR_WORKERS = 1 and then = cores. Besides wall time,
the CPU seconds each side used are recorded (the bench process for the
loop, the server process for the service), a ratio other load on the
machine does not move. Both sides are
warmed first (a model loaded on every thread). Measurements alternate
(direct, service, direct, service) so machine load drifts into both sides
alike. Each figure is the fastest of the repeats on its side: on a machine
shared with other work, the run least disturbed by it is the closest to
what the code costs; every run is kept in the results.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from bench import harness
from bench.pages import PageSet, tiff_bytes
from planocr.config import Settings
from planocr.engines.registry import build_engine
from planocr.media.imaging import decode_image

COMMAND = "python -m bench throughput"
REPEATS = 3


def cores() -> int:
    return len(os.sched_getaffinity(0))


class DirectLoop:
    """The engine alone on ``threads`` long-lived threads: decode the PNG, recognize it; nothing else."""

    def __init__(self, threads: int, engine_name: str = "tesseract"):
        self.settings = Settings(engine=engine_name)
        self.engine = build_engine(engine_name, self.settings)
        self.threads = threads
        self._pool = ThreadPoolExecutor(threads) if threads > 1 else None

    def read(self, path: Path, dpi: int) -> int:
        image = decode_image(path.read_bytes(), self.settings.max_image_pixels)
        return len(self.engine.recognize(image, dpi=dpi).lines)

    def run(self, paths: list[Path], dpi: int) -> float:
        started = time.perf_counter()
        if self._pool is None:
            for path in paths:
                self.read(path, dpi)
        else:
            list(self._pool.map(lambda p: self.read(p, dpi), paths))
        return time.perf_counter() - started

    def warm(self, path: Path, dpi: int) -> None:
        """One page per thread, so every thread has loaded its model before timing."""
        self.run([path] * self.threads, dpi)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self.engine.close()


def warm_document(pages: PageSet, count: int) -> bytes:
    """The first ``count`` pages as a TIFF: one page for each worker to load its model on."""
    images = [Image.open(path) for path in pages.png_files[:count]]
    return tiff_bytes(images, pages.dpi)


def image_size(path: Path) -> str:
    with Image.open(path) as image:
        return f"{image.width} x {image.height}"


def measure(space: harness.Workspace, pages: PageSet, workers: int, repeats: int) -> dict:
    """Direct loop and service, ``workers`` threads each, alternating, ``repeats`` times."""
    tiff = pages.tiff.read_bytes()
    count = len(pages.png_files)
    direct_times: list[float] = []
    service_times: list[float] = []
    direct_cpu: list[float] = []
    service_cpu: list[float] = []
    direct = DirectLoop(workers)
    try:
        with harness.server(space, f"throughput-{workers}", space.database(), engine="tesseract", ocr_workers=workers) as srv:
            direct.warm(pages.png_files[0], pages.dpi)
            harness.process_document(srv.stub, harness.upload(srv.stub, warm_document(pages, workers), "warm.tif"))
            documents = [harness.upload(srv.stub, tiff, f"set-{i}.tif") for i in range(repeats)]
            for document_id in documents:
                cpu = time.process_time()
                direct_times.append(direct.run(pages.png_files, pages.dpi))
                direct_cpu.append(time.process_time() - cpu)
                cpu = srv.cpu_seconds()
                timing = harness.process_document(srv.stub, document_id)
                service_cpu.append(srv.cpu_seconds() - cpu)
                if timing.completed != count:
                    raise RuntimeError(f"the service completed {timing.completed} of {count} pages; see {srv.log}")
                service_times.append(timing.seconds)
    finally:
        direct.close()
    d, s = min(direct_times), min(service_times)
    return {
        "direct_seconds": [round(t, 2) for t in direct_times],
        "service_seconds": [round(t, 2) for t in service_times],
        "direct_pages_per_minute": round(60 * count / d, 1),
        "service_pages_per_minute": round(60 * count / s, 1),
        "service_vs_direct": round(d / s, 3),
        # CPU seconds used, direct over service: the same ratio, blind to other load on the machine.
        "direct_cpu_seconds": [round(t, 2) for t in direct_cpu],
        "service_cpu_seconds": [round(t, 2) for t in service_cpu],
        "cpu_service_vs_direct": round(min(direct_cpu) / min(service_cpu), 3),
        "spread": round(max(harness.spread(direct_times), harness.spread(service_times)), 3),
    }


def run(space: harness.Workspace, pages: PageSet, repeats: int = REPEATS) -> dict:
    n = cores()
    result: dict = {
        "command": COMMAND,
        "pages": len(pages.png_files),
        "page_pixels": image_size(pages.png_files[0]),
        "dpi": pages.dpi,
        "cores": n,
        "engine": "tesseract",
        "load_before": harness.load_average(),
        "runs": {},
    }
    for workers in sorted({1, n}):
        result["runs"][str(workers)] = measure(space, pages, workers, repeats)
    if n > 1:
        one, many = result["runs"]["1"], result["runs"][str(n)]
        result["scaling_service"] = round(many["service_pages_per_minute"] / one["service_pages_per_minute"], 3)
        result["scaling_direct"] = round(many["direct_pages_per_minute"] / one["direct_pages_per_minute"], 3)
    result["load_after"] = harness.load_average()
    return result
