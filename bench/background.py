"""Background work: three documents started with StartDocument on three replicas, nobody attached.

Three replica processes on loopback share one PostgreSQL; each engine waits
200 ms a page without using the CPU, like a network OCR service, with 2 OCR
workers per replica (no PLANOCR_PEERS: the database alone spreads the
work). A 60-, a 20- and a 2-page document are started one after the other,
each on another replica, and the caller leaves. The floor is the engine's:
the pages' engine time spread perfectly over all workers. Also measured:
how long StartDocument takes to answer, how long WatchDocument takes to
send a running document's counts, when the 2-page document ends against
the 60-page one, and how long a ProcessPage call waits while background
pages fill every worker.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import grpc
from google.longrunning import operations_pb2
from google.longrunning import operations_pb2_grpc as ops_grpc

from bench import harness
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import ocr_service_pb2_grpc as pb_grpc
from testkit.documents import tiff_document
from testkit.replicas import engine_calls, replicas

COMMAND = "python -m bench background"
SIZES = {"large": 60, "medium": 20, "small": 2}
DELAY = 0.2
WORKERS = 2
REPLICAS = 3
WATCHES = 5
#: ProcessPage calls sent while the background work runs.
CALLS = 5


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def run(space: harness.Workspace) -> dict:
    load_before = harness.load_average()
    root = space.folder("background")
    with replicas(REPLICAS, root, space.database(), delay=DELAY, workers=WORKERS, spread=False) as group:
        group.process(group.upload(tiff_document(4)))  # warm: connections, imports, first pages
        documents = {name: group.upload(tiff_document(count)) for name, count in SIZES.items()}
        interactive = group.upload(tiff_document(CALLS))
        page_ids = [p.page_id for p in pb_grpc.OcrServiceStub(group.channel).ListPages(pb.ListPagesRequest(document_id=interactive)).pages]
        channels = [grpc.insecure_channel(server.address) for server in group.servers]
        stubs = [pb_grpc.OcrServiceStub(channel) for channel in channels]
        ops = ops_grpc.OperationsStub(channels[0])
        before = len(engine_calls(group.engine_log))

        started = time.monotonic()
        names, start_seconds = {}, []
        for index, (name, document_id) in enumerate(documents.items()):
            t0 = time.monotonic()
            names[name] = stubs[index % REPLICAS].StartDocument(pb.StartDocumentRequest(document_id=document_id), timeout=30).name
            start_seconds.append(time.monotonic() - t0)

        snapshots = []
        for _ in range(WATCHES):
            t0 = time.monotonic()
            stream = stubs[1].WatchDocument(pb.WatchDocumentRequest(document_id=documents["large"]), timeout=30)
            next(stream)
            snapshots.append(time.monotonic() - t0)
            stream.cancel()

        # ProcessPage calls while the background pages fill every worker, at random moments of their pages,
        # from another thread: this one notes when each operation ends.
        busy: list[float] = []
        readings: list[float] = []

        def interactive_calls() -> None:
            for page_id in page_ids:
                time.sleep(random.uniform(0, DELAY))
                t0 = time.monotonic()
                reply = stubs[2].ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=60)
                busy.append(time.monotonic() - t0)
                readings.append(reply.page.processing_time.ToTimedelta().total_seconds())

        caller = threading.Thread(target=interactive_calls)
        caller.start()
        ended: dict[str, float] = {}
        while len(ended) < len(SIZES):
            for name in SIZES:
                if name not in ended and ops.GetOperation(operations_pb2.GetOperationRequest(name=names[name]), timeout=10).done:
                    ended[name] = time.monotonic() - started
            time.sleep(0.05)
        caller.join()
        process_page, reading = harness.median(busy), harness.median(readings)
        calls = engine_calls(group.engine_log)[before:]
        # The same pages read again on the now idle replica: one page's time through the service.
        idle = []
        for page_id in page_ids:
            t0 = time.monotonic()
            stubs[2].ProcessPage(pb.ProcessPageRequest(page_id=page_id, options=pb.ProcessOptions(force=True)), timeout=60)
            idle.append(time.monotonic() - t0)
        one_page = harness.median(idle)
        for channel in channels:
            channel.close()

    pages = sum(SIZES.values()) + CALLS
    floor = pages * DELAY / (REPLICAS * WORKERS)
    page_time = max(ended.values()) * REPLICAS * WORKERS / pages
    reads = Counter(c.size for c in calls)
    return {
        "command": COMMAND,
        "documents": SIZES,
        "engine_delay_s": DELAY,
        "workers_per_replica": WORKERS,
        "replicas": REPLICAS,
        "load_before": load_before,
        "start_ms": [_ms(s) for s in start_seconds],
        "watch_snapshot_ms": [_ms(s) for s in snapshots],
        "watch_snapshot_median_ms": _ms(harness.median(snapshots)),
        "process_page_s": round(process_page, 2),  # median of CALLS calls
        "process_page_calls_s": [round(b, 2) for b in busy],
        "process_page_in_engine_passes": round(process_page / DELAY, 1),
        # Of which reading the page itself (processing_time).
        "process_page_reading_s": round(reading, 2),
        # The same call on an idle replica (median of 3); what the background work added to it, in seconds
        # and in page times under that load (a worker's wall time per background page: all workers over all pages).
        "process_page_idle_s": round(one_page, 2),
        "process_page_wait_s": round(process_page - one_page, 2),
        "page_time_under_load_s": round(page_time, 3),
        "process_page_wait_in_page_times": round((process_page - one_page) / page_time, 2),
        "ended_s": {name: round(seconds, 2) for name, seconds in ended.items()},
        "all_s": round(max(ended.values()), 2),
        "floor_s": round(floor, 2),
        "against_floor": round(max(ended.values()) / floor, 2),
        "pages_read": len(calls),
        # The interactive page and the three documents: page sizes repeat across documents.
        "pages_read_per_replica": sorted(Counter(c.pid for c in calls).values(), reverse=True),
        "pages_expected": pages,
        "distinct_page_sizes": len(reads),
        "load_after": harness.load_average(),
    }
