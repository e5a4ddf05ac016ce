"""What reading a page in an engine worker process costs beside reading it on a thread of the server.

    python -m bench.isolation [--pages 2] [--dpi 100] [--repeats 5] [--small-repeats 200]

For each engine (null, tesseract) and page (a 200 x 100 PNG; generated ARCH D
raster sheets at ``--dpi``), the same page bytes are read the way the
pipeline reads them, in a loop on one caller:

* thread: :meth:`planocr.jobs.workers.EngineRunner.read` decodes the image on the
  calling thread and runs the sheet reader on the runner's thread;
* process: :meth:`planocr.jobs.procworkers.EngineProcesses.read` sends the bytes
  to a worker process, which decodes, reads and parses and sends the
  reading back.

It prints the median milliseconds per page of each, their difference (what
process isolation adds to a page) and their ratio, and how long a worker
takes to start (what replacing one after a crash or an overrun costs).

Then the whole call: a server built as ``planocr serve`` builds it (SQLite,
local objects, the null engine, two OCR workers) in each isolation answers
ProcessPage on pending 200 x 100 pages, from one client and from four; the
median milliseconds per call and the pages per second.
Figures, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from bench.overhead import small_page
from bench.pages import ARCH_D, png_bytes, raster_pages, sheet_specs, vector_pdf
from planocr.config import Settings
from planocr.engines.registry import EngineRegistry
from planocr.jobs.cancel import CancelToken
from planocr.jobs.pipeline import reading_options
from planocr.jobs.procworkers import EngineProcesses
from planocr.jobs.workers import EngineRunner
from planocr.reading.sheetreader import SheetReader


def sheets(count: int, dpi: int) -> list[bytes]:
    return [png_bytes(image, dpi) for image in raster_pages(vector_pdf(sheet_specs(count, ARCH_D)), dpi)]


def measure(engine: str, pages: list[tuple[bytes, int]], repeats: int, data_dir: Path) -> dict[str, float]:
    """Median seconds of one page read on a thread and in a worker, and a worker's start.

    The two are timed in turns, page by page (the order swapped every
    repeat), after a pass of each to warm up, so a machine whose load
    drifts weighs on both alike.
    """
    settings = Settings(data_dir=data_dir, engine=engine, ocr_workers=1, engine_timeout=600)
    engines = EngineRegistry.from_settings(settings)
    reader = SheetReader(reading_options(settings))
    runner = EngineRunner(1, settings.engine_timeout)
    started = time.perf_counter()
    workers = EngineProcesses.from_settings(settings, EngineRegistry.from_settings(settings), reading_options(settings))
    cancel = CancelToken()
    try:
        workers.wait_ready()
        start = time.perf_counter() - started
        modes = {
            "thread": lambda d, dpi: runner.read(engines, reader, None, d, dpi, None, settings.max_image_pixels, cancel),
            "process": lambda d, dpi: workers.read(None, None, None, d, dpi, None, settings.max_image_pixels, cancel),
        }
        times: dict[str, list[float]] = {name: [] for name in modes}
        for data, dpi in pages:
            for read in modes.values():
                read(data, dpi)
        for repeat in range(repeats):
            order = list(modes) if repeat % 2 == 0 else list(reversed(modes))
            for data, dpi in pages:
                for name in order:
                    began = time.perf_counter()
                    modes[name](data, dpi)
                    times[name].append(time.perf_counter() - began)
    finally:
        workers.shutdown()
        runner.shutdown()
        engines.close()
    return {"thread": statistics.median(times["thread"]), "process": statistics.median(times["process"]), "start": start}


def serve_pages(isolation: str, calls: int, clients: int, folder: Path) -> tuple[float, float]:
    """Median seconds of one ProcessPage call and pages per second, ``clients`` callers, null engine."""
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    import grpc

    from planocr.db.repository import NewPage
    from planocr.rpc.server import create_server
    from planocr.v1 import ocr_service_pb2 as pb
    from planocr.v1 import ocr_service_pb2_grpc as pb_grpc

    settings = Settings(listen="127.0.0.1:0", data_dir=folder / f"{isolation}-{clients}", engine="null", ocr_workers=2,
                        engine_isolation=isolation, metrics_listen=None)
    server, port = create_server(settings)
    server.start()
    try:
        server.storage.put("bench/page.png", small_page(), "image/png")
        document_id = uuid.uuid4()
        server.repository.create_document(
            document_id=document_id, filename="bench.png", content_type="image/png", source_key="bench/page.png",
            size_bytes=0, sha256="", request_id=None,
            pages=[NewPage(i + 1, "bench/page.png", 200, 100, 150) for i in range(calls + 20)],
        )
        ids = [str(p.id) for p in server.repository.list_pages(document_id, after=0, limit=calls + 20)[0]]
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.OcrServiceStub(channel)

            def call(page_id: str) -> float:
                began = time.perf_counter()
                stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=60)
                return time.perf_counter() - began

            for page_id in ids[:20]:
                call(page_id)
            began = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                times = list(pool.map(call, ids[20:]))
            wall = time.perf_counter() - began
    finally:
        server.stop(grace=1.0)
    return statistics.median(times), calls / wall


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.isolation", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2, help="generated ARCH D sheets (default 2)")
    parser.add_argument("--dpi", type=int, default=100, help="their raster resolution (default 100)")
    parser.add_argument("--repeats", type=int, default=4, help="passes over the sheets (default 4)")
    parser.add_argument("--small-repeats", type=int, default=200, help="reads of the small page (default 200)")
    parser.add_argument("--engines", default="null,tesseract", help="engines to measure (default null,tesseract)")
    parser.add_argument("--calls", type=int, default=300, help="ProcessPage calls per server (default 300; 0: skip)")
    args = parser.parse_args(argv)

    small = [(small_page(), 150)]
    sheet = [(data, args.dpi) for data in sheets(args.pages, args.dpi)]
    width, height = Image.open(io.BytesIO(sheet[0][0])).size
    cases = [("200 x 100 PNG", small, args.small_repeats),
             (f"ARCH D sheet at {args.dpi} DPI ({width} x {height})", sheet, args.repeats)]
    print(f"{'engine':10} {'page':36} {'thread ms':>10} {'process ms':>11} {'added ms':>9} {'ratio':>6} {'start s':>8}")
    with tempfile.TemporaryDirectory(prefix="planocr-isolation-") as folder:
        for engine in args.engines.split(","):
            for label, pages, repeats in cases:
                if engine != "null" and pages is small:
                    continue  # the small page says nothing about an engine
                figures = measure(engine, pages, repeats, Path(folder))
                thread, process = figures["thread"] * 1000, figures["process"] * 1000
                print(f"{engine:10} {label:36} {thread:10.1f} {process:11.1f} {process - thread:9.1f} "
                      f"{process / thread:6.2f} {figures['start']:8.2f}", flush=True)
        if args.calls:
            print(f"\nProcessPage, null engine, 200 x 100 pages, {args.calls} calls")
            print(f"{'clients':8} {'thread ms':>10} {'process ms':>11} {'ratio':>6} {'thread pages/s':>15} {'process pages/s':>16}")
            for clients in (1, 4):
                (t_ms, t_rate), (p_ms, p_rate) = (serve_pages(mode, args.calls, clients, Path(folder))
                                                  for mode in ("thread", "process"))
                print(f"{clients:<8} {t_ms * 1000:10.2f} {p_ms * 1000:11.2f} {p_ms / t_ms:6.2f} {t_rate:15.0f} {p_rate:16.0f}",
                      flush=True)


if __name__ == "__main__":
    main()
