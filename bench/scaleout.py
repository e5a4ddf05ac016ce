"""Scale-out: one replica against three on one PostgreSQL, with an engine that waits like a network engine.

Each replica is a server process on loopback whose engine takes 200 ms a
page without using the CPU (``testkit.procserver``'s counting engine),
as a remote OCR service would; PLANOCR_OCR_WORKERS is 2 on every replica.
The baseline is one replica without PLANOCR_PEERS; the contender is three
replicas whose PLANOCR_PEERS names all three, with ProcessDocument sent to
the first. Both read 30-page documents after one warm-up document; the
engine log confirms that every page was read exactly once and which
replica read it.
"""

from __future__ import annotations

from collections import Counter

from bench import harness
from testkit.documents import tiff_document
from testkit.replicas import engine_calls, replicas

COMMAND = "python -m bench scaleout"
PAGES = 30
DELAY = 0.2
WORKERS = 2
REPEATS = 3


def measure(space: harness.Workspace, count: int, repeats: int) -> dict:
    root = space.folder(f"scaleout-{count}")
    document = tiff_document(PAGES)
    with replicas(count, root, space.database(), delay=DELAY, workers=WORKERS, spread=count > 1) as group:
        group.process(group.upload(tiff_document(6)))  # warm: connections, imports, first pages
        documents = [group.upload(document) for _ in range(repeats)]
        before = len(engine_calls(group.engine_log))
        seconds = []
        for document_id in documents:
            events, elapsed = group.process(document_id)
            if events[-1].summary.completed != PAGES:
                raise RuntimeError(f"{count} replicas completed {events[-1].summary.completed} of {PAGES} pages")
            seconds.append(elapsed)
        calls = engine_calls(group.engine_log)[before:]
    reads = Counter(c.size for c in calls)
    return {
        "seconds": [round(s, 2) for s in seconds],
        "median_seconds": round(harness.median(seconds), 2),
        "pages_read": len(calls),
        # Page sizes repeat across the documents: each must be read once per document.
        "pages_not_read_once": sum(1 for n in reads.values() if n != repeats),
        "pages_per_replica": sorted(Counter(c.pid for c in calls).values(), reverse=True),
    }


def run(space: harness.Workspace, repeats: int = REPEATS) -> dict:
    load_before = harness.load_average()
    one = measure(space, 1, repeats)
    three = measure(space, 3, repeats)
    ideal = PAGES * DELAY / WORKERS
    return {
        "command": COMMAND,
        "pages": PAGES,
        "engine_delay_s": DELAY,
        "workers_per_replica": WORKERS,
        "load_before": load_before,
        "one_replica": one,
        "three_replicas": three,
        "speedup": round(one["median_seconds"] / three["median_seconds"], 2),
        "ideal_one_replica_s": ideal,
        "ideal_three_replicas_s": round(ideal / 3, 2),
        "load_after": harness.load_average(),
    }
