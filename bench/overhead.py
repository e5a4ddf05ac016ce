"""Service overhead: ProcessPage with the null engine against PostgreSQL, 1 and 16 concurrent clients.

Each call reads a different pending page (claim, fetch, decode, null OCR,
title-block parse, save), so this is the service's own cost per page. The
page image is small (200 x 100 pixels) so that decoding it does not hide the
rest. The baseline, in the same run, is the cheapest call the same server
answers: the gRPC health check, at the same concurrency.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from grpc_health.v1 import health_pb2, health_pb2_grpc
from PIL import Image, ImageDraw

from bench import harness
from planocr.config import Settings
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.repository import NewPage, Repository
from planocr.storage import open_storage
from planocr.v1 import ocr_service_pb2 as pb

COMMAND = "python -m bench overhead"
CONCURRENCY = (1, 16)
CALLS = {1: 1500, 16: 4000}
WARMUP = 300


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
            page = figures(*drive(process, batch, clients))
            base = figures(*drive(check, batch, clients))
            page["vs_health_check"] = round(page["per_second"] / base["per_second"], 3)
            result["runs"][str(clients)] = {"process_page": page, "health_check": base}
        result["server_peak_rss_mb"] = round(srv.peak_rss_mb(), 1)
    result["load_after"] = harness.load_average()
    return result
