"""Service overhead: ProcessPage with the null engine against PostgreSQL, 1 and 16 concurrent clients.

Each call reads a different pending page (claim, fetch, decode, null OCR,
title-block parse, save), so this is the service's own cost per page. The
page image is small (200 x 100 pixels) so that decoding it does not hide the
rest. The baseline, in the same run, is the cheapest call the same server
answers: the gRPC health check, at the same concurrency. The floor is a bare
grpcio server in its own process that echoes the request bytes (no
protobuf, no interceptor, no database): what Python gRPC alone costs here.

The breakdown runs the same server in this process with timing probes
around each step of the call, one client, and reports each step's median:
where the milliseconds of one call go. It runs in thread isolation, so the
decode and the engine call are steps of this process too; the other
figures run the server as deployed, pages read in its worker processes.
"""

from __future__ import annotations

import functools
import io
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from PIL import Image, ImageDraw

from bench import harness
from planocr.config import Settings
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.repository import NewPage, Repository
from planocr.jobs import workers as workers_module
from planocr.reading import sheetreader as sheetreader_module
from planocr.rpc import servicer as servicer_module
from planocr.storage import open_storage
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import ocr_service_pb2_grpc as pb_grpc

COMMAND = "python -m bench overhead"
CONCURRENCY = (1, 16)
CALLS = {1: 1500, 16: 4000}
WARMUP = 300
BREAKDOWN_CALLS = 500


def small_page() -> bytes:
    image = Image.new("L", (200, 100), 255)
    ImageDraw.Draw(image).text((10, 40), "A-101", fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def seed_pages(database_url: str, storage_url: str, count: int) -> list[str]:
    """``count`` pending pages sharing one stored image, in documents of 500."""
    storage = open_storage(storage_url)
    storage.put("bench/page.png", small_page(), "image/png")
    engine = create_db_engine(Settings(database_url=database_url))
    repo = Repository(create_sessionmaker(engine))
    ids: list[str] = []
    try:
        for start in range(0, count, 500):
            document_id = uuid.uuid4()
            n = min(500, count - start)
            repo.create_document(
                document_id=document_id,
                filename="overhead.png",
                content_type="image/png",
                source_key="bench/page.png",
                size_bytes=0,
                sha256="",
                request_id=None,
                pages=[NewPage(i + 1, "bench/page.png", 200, 100, 72) for i in range(n)],
            )
            pages, _ = repo.list_pages(document_id, after=0, limit=n)
            ids.extend(str(p.id) for p in pages)
    finally:
        engine.dispose()
    return ids


def drive(call: Callable[[str], None], items: list[str], clients: int) -> tuple[list[float], float]:
    """Call ``call`` once per item from ``clients`` threads; per-call latencies and the wall time."""
    latencies: list[float] = []
    lock = threading.Lock()
    it = iter(items)

    def client() -> None:
        mine = []
        while True:
            with lock:
                item = next(it, None)
            if item is None:
                break
            started = time.perf_counter()
            call(item)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return latencies, time.perf_counter() - started


def figures(latencies: list[float], wall: float) -> dict:
    return {
        "calls": len(latencies),
        "per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(harness.percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(harness.percentile(latencies, 99) * 1000, 2),
    }


# A bare grpcio server: one generic unary method that returns the request's bytes, 32 handler threads
# like planocr's PLANOCR_RPC_THREADS. It prints its port, then serves until killed.
ECHO_SERVER = """
from concurrent import futures
import grpc
handler = grpc.method_handlers_generic_handler(
    "bench.Echo", {"Echo": grpc.unary_unary_rpc_method_handler(lambda request, context: request)}
)
server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
server.add_generic_rpc_handlers((handler,))
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
server.wait_for_termination()
"""


@contextmanager
def echo_server() -> Iterator[grpc.Channel]:
    """The bare grpcio echo server in its own process, and a channel to it."""
    proc = subprocess.Popen([sys.executable, "-c", ECHO_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            yield channel
    finally:
        proc.kill()
        proc.wait()


def echo_floor(calls: dict[int, int]) -> dict:
    """Calls per second and latency of the bare echo server at each concurrency."""
    with echo_server() as channel:
        echo = channel.unary_unary("/bench.Echo/Echo")
        payload = str(uuid.uuid4()).encode()

        def call(_: str) -> None:
            echo(payload, timeout=30)

        drive(call, ["warm-up"] * WARMUP, 4)
        return {str(clients): figures(*drive(call, ["call"] * n, clients)) for clients, n in calls.items()}


#: The steps timed in the breakdown: (label, where the step lives, its name). "servicer" is the
#: OcrServicer class (its handlers are bound when the server is built); the other strings name parts of
#: the built server, looked up at call time; modules are patched for the module-level functions they call.
_PROBES = (
    ("ProcessPage handler (RPC thread, inside the interceptor)", "servicer", "ProcessPage"),
    ("page job on an OCR worker (claim to save)", "pipeline", "run_page"),
    ("claim (UPDATE ... RETURNING)", "repository", "claim_page"),
    ("read the page (fetch, decode, engine, title block)", "pipeline", "_read_page"),
    ("fetch the image from storage", "storage", "get"),
    ("decode the image", workers_module, "decode_image"),
    ("engine call on the engine runner (hand-off + null engine + title-block parse)", "runner", "run"),
    ("title-block parse", sheetreader_module, "parse_title_block"),
    ("save (UPDATE ... RETURNING, durable commit)", "repository", "complete_page"),
    ("Page message for the reply", servicer_module.convert, "page_message"),
)
WHOLE_CALL = "the whole call, at the client"


def breakdown(database_url: str, calls: int = 500) -> dict:
    """Median milliseconds of each step of one ProcessPage call, one client, the server in this process.

    Probes wrap the steps of a server built as ``planocr serve`` builds it
    (null engine, this database); what no probe covers is the gRPC round
    trip, the interceptor (log line, metrics) and the thread hand-offs. Each
    step has its wall time and the CPU time of the thread it ran on
    (``time.thread_time``), so waiting (for PostgreSQL, another thread, the
    GIL) shows as the difference.
    """
    from planocr.rpc.server import create_server

    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    restore: list[tuple[object, str, object]] = []

    def probe(owner: object, attribute: str, label: str) -> None:
        original = getattr(owner, attribute)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spans[label].append((time.perf_counter() - started, time.thread_time() - cpu))

        setattr(owner, attribute, timed)
        restore.append((owner, attribute, original))

    with tempfile.TemporaryDirectory(prefix="planocr-breakdown-") as folder:
        settings = Settings(
            listen="127.0.0.1:0", data_dir=Path(folder), database_url=database_url, engine="null", migrate_on_start=True,
            engine_isolation="thread",  # the steps inside the engine call are timed in this process
        )
        try:
            probe(servicer_module.OcrServicer, "ProcessPage", _PROBES[0][0])
            server, port = create_server(settings)
            parts = {"pipeline": server.pipeline, "repository": server.repository, "storage": server.storage, "runner": server.runner}
            for label, owner, attribute in _PROBES[1:]:
                probe(parts.get(owner, owner) if isinstance(owner, str) else owner, attribute, label)
            server.start()
            try:
                ids = seed_pages(database_url, settings.resolved_storage_url, calls + WARMUP)
                with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                    stub = pb_grpc.OcrServiceStub(channel)
                    for page_id in ids[:WARMUP]:
                        stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=30)
                    spans.clear()
                    process_cpu = time.process_time()
                    for page_id in ids[WARMUP:]:
                        started, cpu = time.perf_counter(), time.thread_time()
                        stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=30)
                        spans[WHOLE_CALL].append((time.perf_counter() - started, time.thread_time() - cpu))
                    process_cpu = time.process_time() - process_cpu
            finally:
                server.stop(grace=1.0)
        finally:
            for owner, attribute, original in reversed(restore):
                setattr(owner, attribute, original)
    steps = {
        label: {
            "wall_ms": round(statistics.median(wall for wall, _ in values) * 1000, 3),
            "cpu_ms": round(statistics.median(cpu for _, cpu in values) * 1000, 3),
        }
        for label, values in spans.items()
    }
    client_cpu = sum(cpu for _, cpu in spans[WHOLE_CALL])
    return {
        "calls": calls,
        # CPU of every thread of this process but the client's: the server's Python and gRPC threads.
        "server_cpu_ms_per_call": round((process_cpu - client_cpu) / calls * 1000, 3),
        "steps": {WHOLE_CALL: steps.pop(WHOLE_CALL), **steps},
    }


def run(space: harness.Workspace) -> dict:
    database_url = space.database()
    total = WARMUP + sum(CALLS.values())
    result: dict = {"command": COMMAND, "load_before": harness.load_average(), "runs": {}}
    with harness.server(space, "overhead", database_url, engine="null") as srv:
        objects = (space.root / "overhead" / "objects").as_uri()
        ids = seed_pages(database_url, objects, total)
        stub = srv.stub
        health = health_pb2_grpc.HealthStub(srv.channel)

        def process(page_id: str) -> None:
            stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=30)

        def check(_: str) -> None:
            health.Check(health_pb2.HealthCheckRequest(), timeout=30)

        drive(process, ids[:WARMUP], 4)
        offset = WARMUP
        for clients in CONCURRENCY:
            batch = ids[offset : offset + CALLS[clients]]
            offset += CALLS[clients]
            cpu = srv.cpu_seconds()
            page = figures(*drive(process, batch, clients))
            page["server_cpu_ms"] = round((srv.cpu_seconds() - cpu) / len(batch) * 1000, 2)
            cpu = srv.cpu_seconds()
            base = figures(*drive(check, batch, clients))
            base["server_cpu_ms"] = round((srv.cpu_seconds() - cpu) / len(batch) * 1000, 2)
            page["vs_health_check"] = round(page["per_second"] / base["per_second"], 3)
            result["runs"][str(clients)] = {"process_page": page, "health_check": base}
        result["server_peak_rss_mb"] = round(srv.peak_rss_mb(), 1)
    floor = echo_floor(CALLS)
    for clients, echo in floor.items():
        run = result["runs"][clients]
        run["echo"] = echo
        run["process_page"]["vs_echo"] = round(run["process_page"]["per_second"] / echo["per_second"], 3)
    result["breakdown_ms"] = breakdown(space.database(), BREAKDOWN_CALLS)
    result["load_after"] = harness.load_average()
    return result
