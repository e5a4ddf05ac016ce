"""Load on loopback: many ProcessPage callers on the null engine, then ProcessDocument streams on tesseract.

    .venv/bin/python -m bench.load                      # both phases, default sizes
    .venv/bin/python -m bench.load --clients 100 --seconds 20 --streams 4 --doc-pages 6
    .venv/bin/python -m bench.load --json load.json     # also write the figures as JSON

Phase 1: ``--clients`` concurrent callers (grpc.aio tasks on one channel)
each call ProcessPage on the next pending page, for ``--seconds`` or until
the pages run out, against one server process with the null engine on
PostgreSQL. Phase 2: ``--streams`` concurrent ProcessDocument streams, each
on its own document of ``--doc-pages`` drawn sheets, with the tesseract
engine (OCR forced, no text layer). Both phases report throughput, p50/p99
latency, errors by status code, and the largest number of the server's
database connections seen in ``pg_stat_activity`` (polled every 20 ms),
which must stay within ``PLANOCR_DB_POOL_SIZE + PLANOCR_DB_MAX_OVERFLOW``.
Afterwards every page must be completed and none left in ``processing``.
Exits 1 when a check fails. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import platform
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import grpc
import psycopg2
from sqlalchemy.engine import make_url

from planocr.config import Settings
from planocr.db import migrate
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.repository import NewPage, Repository
from planocr.storage import open_storage
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import ocr_service_pb2_grpc as pb_grpc
from planocr.v1 import page_pb2
from testkit.drawing import sheet
from testkit.postgres import PostgresProvider
from testkit.procserver import ServerProcess

COMMAND = ".venv/bin/python -m bench.load"


@dataclass
class PhaseResult:
    name: str
    calls: int = 0
    seconds: float = 0.0
    throughput: float = 0.0
    unit: str = "calls/s"
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    max_db_connections: int = 0
    max_db_active: int = 0
    pool_limit: int = 0
    pages_not_completed: int = 0
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.max_db_connections <= self.pool_limit and not self.errors and self.pages_not_completed == 0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class ConnectionWatcher:
    """Polls pg_stat_activity for the server's connections to one database and keeps the largest counts."""

    def __init__(self, database_url: str, interval: float = 0.02):
        self.url = make_url(database_url)
        self.interval = interval
        self.max_total = 0
        self.max_active = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-watch", daemon=True)

    def __enter__(self) -> ConnectionWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        conn = psycopg2.connect(
            host=self.url.host, port=self.url.port or 5432, user=self.url.username or "postgres",
            password=self.url.password, dbname=self.url.database, application_name="planocr-load-watch",
        )
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                while not self._stop.is_set():
                    cur.execute(
                        "select count(*), count(*) filter (where state <> 'idle') from pg_stat_activity"
                        " where datname = %s and application_name = 'planocr'",
                        (self.url.database,),
                    )
                    total, active = cur.fetchone()
                    self.max_total = max(self.max_total, total)
                    self.max_active = max(self.max_active, active)
                    self.samples += 1
                    self._stop.wait(self.interval)
        finally:
            conn.close()


def seed(repository: Repository, storage, images: list[bytes], pages: int, width: int, height: int) -> tuple[uuid.UUID, list[str]]:
    """One document of ``pages`` pending pages whose images cycle through ``images``."""
    document_id = uuid.uuid4()
    keys = []
    for index, image in enumerate(images):
        key = f"load/{document_id}/{index:04d}.png"
        storage.put(key, image, "image/png")
        keys.append(key)
    repository.create_document(
        document_id=document_id,
        filename="load.pdf",
        content_type="application/pdf",
        source_key=f"load/{document_id}",
        size_bytes=0,
        sha256="",
        request_id=None,
        pages=[NewPage(n, keys[(n - 1) % len(keys)], width, height, 150) for n in range(1, pages + 1)],
    )
    records, _ = repository.list_pages(document_id, after=0, limit=pages + 1)
    return document_id, [str(r.id) for r in records]


def not_completed(database_url: str, document_ids: list[uuid.UUID]) -> int:
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select count(*) from pages where document_id = any(%s::uuid[]) and status <> 'completed'",
                ([str(d) for d in document_ids],),
            )
            return cur.fetchone()[0]
    finally:
        conn.close()


def server_env(root: Path, database_url: str, args: argparse.Namespace, engine: str) -> dict[str, str]:
    return {
        "PLANOCR_LISTEN": "127.0.0.1:0",
        "PLANOCR_DATA_DIR": str(root / "data"),
        "PLANOCR_DATABASE_URL": database_url,
        "PLANOCR_MIGRATE_ON_START": "false",
        "PLANOCR_STORAGE_URL": (root / "objects").as_uri(),
        "PLANOCR_ENGINE": engine,
        "PLANOCR_OCR_WORKERS": str(args.ocr_workers),
        "PLANOCR_DB_POOL_SIZE": str(args.pool_size),
        "PLANOCR_DB_MAX_OVERFLOW": str(args.max_overflow),
        "PLANOCR_RPC_THREADS": str(args.rpc_threads),
        "PLANOCR_LOG_LEVEL": "WARNING",
        "PLANOCR_LOG_FORMAT": "json",
        "OMP_THREAD_LIMIT": "1",
    }


# -- phase 1: ProcessPage, null engine --------------------------------------------------


async def _page_clients(address: str, page_ids: list[str], clients: int, seconds: float, timeout: float):
    latencies: list[float] = []
    codes: collections.Counter[str] = collections.Counter()
    queue = iter(page_ids)
    deadline = time.monotonic() + seconds
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.OcrServiceStub(channel)
        await channel.channel_ready()

        async def client() -> None:
            while time.monotonic() < deadline:
                page_id = next(queue, None)
                if page_id is None:
                    return
                started = time.perf_counter()
                try:
                    reply = await stub.ProcessPage(
                        pb.ProcessPageRequest(page_id=page_id, view=page_pb2.PAGE_VIEW_BASIC), timeout=timeout
                    )
                    codes["OK" if reply.page.state == page_pb2.PAGE_STATE_COMPLETED else "OK_NOT_COMPLETED"] += 1
                except grpc.aio.AioRpcError as error:
                    codes[error.code().name] += 1
                latencies.append(time.perf_counter() - started)

        began = time.monotonic()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.monotonic() - began
    return latencies, codes, elapsed


def phase_process_page(root: Path, database_url: str, args: argparse.Namespace, repository: Repository, storage) -> PhaseResult:
    image = sheet("A-101", "FIRST FLOOR PLAN", size=(args.page_width, args.page_height))
    document_id, page_ids = seed(repository, storage, [image], args.pages, args.page_width, args.page_height)
    server = ServerProcess(server_env(root, database_url, args, "null"), root / "server-null.log")
    server.start(timeout=90)
    try:
        with ConnectionWatcher(database_url) as watcher:
            latencies, codes, elapsed = asyncio.run(_page_clients(server.address, page_ids, args.clients, args.seconds, args.call_timeout))
    finally:
        server.stop()
    ok_calls = codes.get("OK", 0)
    done = set(page_ids[: len(latencies)])
    result = PhaseResult(
        name=f"ProcessPage x {args.clients} clients, null engine",
        calls=len(latencies),
        seconds=round(elapsed, 2),
        throughput=round(ok_calls / elapsed, 1) if elapsed else 0.0,
        unit="pages/s",
        p50_ms=round(percentile(latencies, 50) * 1000, 1),
        p90_ms=round(percentile(latencies, 90) * 1000, 1),
        p99_ms=round(percentile(latencies, 99) * 1000, 1),
        max_ms=round(max(latencies, default=0) * 1000, 1),
        errors={k: v for k, v in codes.items() if k != "OK"},
        max_db_connections=watcher.max_total,
        max_db_active=watcher.max_active,
        pool_limit=args.pool_size + args.max_overflow,
        notes={"watch_samples": watcher.samples, "page_pixels": f"{args.page_width}x{args.page_height}", "pages_seeded": args.pages},
    )
    # Every page a client asked for must be completed; none may be left processing.
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("select id::text, status from pages where document_id = %s", (str(document_id),))
            states = dict(cur.fetchall())
    finally:
        conn.close()
    result.pages_not_completed = sum(states[pid] != "completed" for pid in done)
    result.notes["left_processing"] = sum(s == "processing" for s in states.values())
    result.pages_not_completed += result.notes["left_processing"]
    return result


# -- phase 2: ProcessDocument streams, tesseract -----------------------------------------


def _stream(address: str, document_id: uuid.UUID, timeout: float) -> dict:
    channel = grpc.insecure_channel(address)
    stub = pb_grpc.OcrServiceStub(channel)
    request = pb.ProcessDocumentRequest(
        document_id=str(document_id), options=pb.ProcessOptions(text_source_mode=page_pb2.TEXT_SOURCE_MODE_OCR)
    )
    started = time.perf_counter()
    gaps, engine_ms, codes = [], [], collections.Counter()
    last = started
    try:
        for event in stub.ProcessDocument(request, timeout=timeout):
            now = time.perf_counter()
            if event.WhichOneof("event") == "page":
                gaps.append(now - last)
                last = now
                engine_ms.append(event.page.processing_time.ToMilliseconds())
                codes["OK" if event.page.state == page_pb2.PAGE_STATE_COMPLETED else f"PAGE_{grpc.StatusCode(event.page.error.code).name}"] += 1
    except grpc.RpcError as error:
        codes[error.code().name] += 1
    except ValueError:
        codes["PAGE_BAD_CODE"] += 1
    finally:
        channel.close()
    return {"elapsed": time.perf_counter() - started, "gaps": gaps, "page_ms": engine_ms, "codes": codes}


def phase_process_document(root: Path, database_url: str, args: argparse.Namespace, repository: Repository, storage) -> PhaseResult:
    size = (args.sheet_width, args.sheet_height)
    images = [sheet(f"A-{100 + n}", f"PLAN LEVEL {n}", size=size) for n in range(1, args.doc_pages + 1)]
    documents = [seed(repository, storage, images, args.doc_pages, *size)[0] for _ in range(args.streams)]
    server = ServerProcess(server_env(root, database_url, args, "tesseract"), root / "server-tesseract.log")
    server.start(timeout=120)
    try:
        with ConnectionWatcher(database_url) as watcher:
            began = time.monotonic()
            results: list[dict] = []
            threads = [threading.Thread(target=lambda d=d: results.append(_stream(server.address, d, args.stream_timeout))) for d in documents]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - began
    finally:
        server.stop()
    codes: collections.Counter[str] = collections.Counter()
    for r in results:
        codes.update(r["codes"])
    page_ms = [ms / 1000 for r in results for ms in r["page_ms"]]
    pages = codes.get("OK", 0)
    return PhaseResult(
        name=f"ProcessDocument x {args.streams} streams, tesseract",
        calls=sum(len(r["page_ms"]) for r in results),
        seconds=round(elapsed, 2),
        throughput=round(pages / elapsed, 2) if elapsed else 0.0,
        unit="pages/s",
        p50_ms=round(percentile(page_ms, 50) * 1000, 1),
        p90_ms=round(percentile(page_ms, 90) * 1000, 1),
        p99_ms=round(percentile(page_ms, 99) * 1000, 1),
        max_ms=round(max(page_ms, default=0) * 1000, 1),
        errors={k: v for k, v in codes.items() if k != "OK"},
        max_db_connections=watcher.max_total,
        max_db_active=watcher.max_active,
        pool_limit=args.pool_size + args.max_overflow,
        pages_not_completed=not_completed(database_url, documents),
        notes={
            "latency": "per page, time in the service (claim to save) as reported in the stream",
            "stream_seconds": sorted(round(r["elapsed"], 2) for r in results),
            "pages": args.streams * args.doc_pages,
            "sheet_pixels": f"{size[0]}x{size[1]}",
            "watch_samples": watcher.samples,
        },
    )


def report(results: list[PhaseResult]) -> str:
    lines = []
    for r in results:
        lines.append(f"== {r.name}")
        lines.append(f"   {r.calls} calls in {r.seconds} s: {r.throughput} {r.unit}")
        lines.append(f"   latency p50 {r.p50_ms} ms, p90 {r.p90_ms} ms, p99 {r.p99_ms} ms, max {r.max_ms} ms")
        lines.append(f"   errors by code: {r.errors or 'none'}")
        lines.append(
            f"   database connections: max {r.max_db_connections} open ({r.max_db_active} active) of a pool of {r.pool_limit}"
            f" -> {'within' if r.max_db_connections <= r.pool_limit else 'EXCEEDED'}"
        )
        lines.append(f"   pages not completed or left processing: {r.pages_not_completed}")
        for key, value in r.notes.items():
            lines.append(f"   {key}: {value}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long phase 1 calls for (bounded also by --pages)")
    parser.add_argument("--pages", type=int, default=20000, help="pending pages seeded for phase 1")
    parser.add_argument("--page-width", type=int, default=1700)
    parser.add_argument("--page-height", type=int, default=1100)
    parser.add_argument("--call-timeout", type=float, default=60.0)
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--doc-pages", type=int, default=6)
    parser.add_argument("--sheet-width", type=int, default=3400, help="phase 2 sheets: 3400 x 2200 is 22 x 11 in at 150 DPI")
    parser.add_argument("--sheet-height", type=int, default=2200)
    parser.add_argument("--stream-timeout", type=float, default=600.0)
    parser.add_argument("--ocr-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--pool-size", type=int, default=5)
    parser.add_argument("--max-overflow", type=int, default=5)
    parser.add_argument("--rpc-threads", type=int, default=32)
    parser.add_argument("--skip-pages", action="store_true", help="skip phase 1")
    parser.add_argument("--skip-documents", action="store_true", help="skip phase 2")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    postgres = PostgresProvider()
    database_url = postgres.new_database()
    root = Path(tempfile.mkdtemp(prefix="planocr-load-"))
    db_engine = create_db_engine(Settings(database_url=database_url, data_dir=root / "seed"))
    results: list[PhaseResult] = []
    try:
        migrate.upgrade(db_engine)
        repository = Repository(create_sessionmaker(db_engine))
        storage = open_storage((root / "objects").as_uri())
        if not args.skip_pages:
            results.append(phase_process_page(root, database_url, args, repository, storage))
        if not args.skip_documents:
            results.append(phase_process_document(root, database_url, args, repository, storage))
    finally:
        db_engine.dispose()
        postgres.drop(database_url)
        postgres.close()
    header = (
        f"{COMMAND} {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip()
        + f"\nmachine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()},"
        f" load average {os.getloadavg()[0]:.2f} at the end"
    )
    print(header)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps({"command": header, "results": [asdict(r) | {"ok": r.ok} for r in results]}, indent=2))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
