"""Engine worker processes that crash, hang or run out of memory, and the memory a server uses on huge pages.

Each test runs a real server process (``testkit.procserver``) in the
default process isolation: the engine runs in worker processes forked from
the server's fork server, and the faults happen there.
"""

from __future__ import annotations

import io
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from PIL import Image, ImageDraw

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from testkit.documents import page_number, page_width
from tests.faults.conftest import error_info, page_events, rpc_reason
from tests.operability.helpers import scrape
from tests.support.polling import wait_for

UNAVAILABLE = grpc.StatusCode.UNAVAILABLE.value[0]
DEADLINE_EXCEEDED = grpc.StatusCode.DEADLINE_EXCEEDED.value[0]
GIB = 1024**3


def engine_calls_by_page(stack) -> dict[int, list[tuple[int, str]]]:
    """(pid of the process the engine ran in, fault) of every engine call, by page number, from the engine log."""
    calls: dict[int, list[tuple[int, str]]] = {}
    for line in stack.engine_log.read_text().splitlines():
        size, _server, pid, *fault = line.split()
        number = page_number(int(size.split("x")[0]))
        calls.setdefault(number, []).append((int(pid), fault[0] if fault else ""))
    return calls


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def serving(stack) -> bool:
    health = health_pb2_grpc.HealthStub(stack.channels[-1]).Check(health_pb2.HealthCheckRequest(), timeout=10)
    return health.status == health_pb2.HealthCheckResponse.SERVING


def replaced(server) -> dict[str, float]:
    """Engine workers the server replaced, by cause, from its metrics."""
    return {dict(labels)["cause"]: value for (name, labels), value in scrape(server.metrics_port).items()
            if name == "planocr_engine_workers_replaced_total" and value}


def test_a_worker_killed_by_sigsegv_fails_its_page_alone_and_the_next_run_completes_it(stack):
    pages, crashing = 12, 5
    server = stack.start_server(PLANOCR_TEST_ENGINE_FAULTS=f"segfault@{page_width(crashing)}", PLANOCR_TEST_ENGINE_DELAY="0.2")
    stub = stack.stub(server)
    document_id, page_ids = stack.upload(stub, pages)

    events = list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=120))

    by_number = {p.page_number: p for p in page_events(events)}
    assert sorted(by_number) == list(range(1, pages + 1))
    crashed = by_number.pop(crashing)
    assert crashed.state == page_pb2.PAGE_STATE_FAILED
    assert (crashed.error.code, error_info(crashed.error).reason) == (UNAVAILABLE, "ENGINE_CRASHED")
    assert "SIGSEGV" in crashed.error.message
    assert [(n, p.error.message) for n, p in by_number.items() if p.state != page_pb2.PAGE_STATE_COMPLETED] == []
    assert (events[-1].summary.completed, events[-1].summary.failed) == (pages - 1, 1)

    # The page is failed, not lost or held: no lease, and only one attempt at it (a crash is not retried in the run).
    rows = {r["page_number"]: r for r in stack.rows(document_id)}
    assert rows[crashing]["status"] == "error" and rows[crashing]["error_reason"] == "ENGINE_CRASHED"
    assert all(r["lease_owner"] is None for r in rows.values())
    calls = engine_calls_by_page(stack)
    assert calls[crashing] == [(calls[crashing][0][0], "segfault")]
    dead = calls[crashing][0][0]
    assert dead != server.proc.pid and not alive(dead)
    assert server.proc.poll() is None and serving(stack)
    assert replaced(server) == {"crashed": 1}

    # The fault fires once: the next run reads the page in a fresh worker and completes it, and only it.
    rerun = list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=120))
    assert rerun[0].started.skipped == pages - 1
    assert (rerun[-1].summary.completed, rerun[-1].summary.failed) == (1, 0)
    assert stack.rows(document_id)[crashing - 1]["status"] == "completed"
    calls = engine_calls_by_page(stack)
    assert len(calls[crashing]) == 2 and calls[crashing][1][0] != dead
    assert all(len(calls[n]) == 1 for n in range(1, pages + 1) if n != crashing)
    assert page_ids  # every page was listed at upload


def test_a_hung_page_times_out_and_its_worker_is_replaced(stack):
    timeout = 2.0
    server = stack.start_server(
        PLANOCR_TEST_ENGINE_FAULTS=f"hang@{page_width(2)}",
        PLANOCR_ENGINE_TIMEOUT=str(timeout),
        PLANOCR_OCR_WORKERS="1",
    )
    stub = stack.stub(server)
    _document_id, page_ids = stack.upload(stub, 3)

    first = stub.ProcessPage(pb.ProcessPageRequest(page_id=page_ids[1]), timeout=30)
    assert first.page.state == page_pb2.PAGE_STATE_COMPLETED
    started = time.monotonic()
    try:
        stub.ProcessPage(pb.ProcessPageRequest(page_id=page_ids[2]), timeout=60)
    except grpc.RpcError as error:
        assert (error.code(), rpc_reason(error)) == (grpc.StatusCode.DEADLINE_EXCEEDED, "ENGINE_TIMEOUT")
        assert f"did not finish within {timeout:g} s" in error.details()
    else:
        raise AssertionError("ProcessPage on a page whose engine hangs succeeded")
    assert timeout <= time.monotonic() - started < timeout + 20
    third = stub.ProcessPage(pb.ProcessPageRequest(page_id=page_ids[3]), timeout=30)
    assert third.page.state == page_pb2.PAGE_STATE_COMPLETED

    calls = engine_calls_by_page(stack)
    (before, _), (hung, fault), (after, _) = calls[1][0], calls[2][0], calls[3][0]
    assert fault == "hang" and before == hung, "one worker read the first two pages"
    assert after != hung, "the page after the hung one was read by the same worker"
    assert not alive(hung), "the hung worker was not killed"
    assert server.proc.poll() is None and serving(stack)
    assert replaced(server) == {"timeout": 1}


def test_a_worker_over_its_memory_limit_fails_its_page_alone(stack):
    pages, hungry = 4, 2
    server = stack.start_server(
        PLANOCR_TEST_ENGINE_FAULTS=f"allocate@{page_width(hungry)}",
        PLANOCR_WORKER_MEMORY_MB="1024",
    )
    stub = stack.stub(server)
    document_id, _ = stack.upload(stub, pages)

    events = list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=120))

    by_number = {p.page_number: p for p in page_events(events)}
    failed = by_number.pop(hungry)
    assert (failed.error.code, error_info(failed.error).reason) == (UNAVAILABLE, "ENGINE_CRASHED")
    assert "out of memory" in failed.error.message and "1024 MiB" in failed.error.message
    assert all(p.state == page_pb2.PAGE_STATE_COMPLETED for p in by_number.values())
    assert not alive(engine_calls_by_page(stack)[hungry][0][0])
    assert server.proc.poll() is None and serving(stack)


# -- memory -----------------------------------------------------------------------------------------


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and every process below it (the fork server and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    pids, total = [root], 0
    while pids:
        pid = pids.pop()
        pids += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def huge_png(marker: int) -> bytes:
    """A 14000 x 14000 1-bit PNG (196 megapixels, about 24 KB), told apart by one dot."""
    image = Image.new("1", (14000, 14000), 1)
    ImageDraw.Draw(image).rectangle((100 + 10 * marker, 100, 104 + 10 * marker, 104), fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def test_memory_stays_bounded_on_eight_concurrent_huge_pages(stack):
    env = {"PLANOCR_TEST_ENGINE_LOG": "", "PLANOCR_ENGINE": "null"}  # the null engine, by name
    # The pages are uploaded through another server (a replica): an upload decodes its image in the
    # server process, and what that leaves behind is not what this test measures.
    uploader = stack.start_server(**env)
    stub = stack.stub(uploader)
    page_ids = []
    for number in range(8):
        data = huge_png(number)
        assert len(data) < 100_000

        def messages(data=data, number=number):
            yield pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename=f"huge{number}.png"))
            yield pb.CreateDocumentRequest(chunk=data)

        document = stub.CreateDocument(messages(), timeout=120).document
        listed = stub.ListPages(pb.ListPagesRequest(document_id=document.document_id), timeout=30)
        page_ids.append(listed.pages[0].page_id)
    uploader.stop()
    server = stack.start_server(**env, PLANOCR_OCR_WORKERS="4", PLANOCR_RPC_THREADS="16")
    stub = stack.stub(server)
    pid = server.proc.pid
    assert tree_rss(pid) < GIB

    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with ThreadPoolExecutor(8) as calls:
            replies = list(calls.map(lambda page_id: stub.ProcessPage(pb.ProcessPageRequest(page_id=page_id), timeout=240), page_ids))
    finally:
        done.set()
        sampler.join()
    assert [r.page.state for r in replies] == [page_pb2.PAGE_STATE_COMPLETED] * 8
    assert all((r.page.width, r.page.height) == (14000, 14000) for r in replies)
    assert peak[0] <= 2.5 * GIB, f"server and workers peaked at {peak[0] / GIB:.2f} GiB"
    wait_for(lambda: tree_rss(pid) < GIB, 30, f"the server and workers back under 1 GiB (now {tree_rss(pid) / GIB:.2f} GiB)")
