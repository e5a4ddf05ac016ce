"""An engine that crashes, hangs, answers garbage or is unreachable on one page: only that page fails."""

from __future__ import annotations

import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from PIL import Image

from planocr.core.page import OcrResult
from planocr.engines.base import OcrEngine
from planocr.errors import DeadlineExceeded, Reason, Unavailable
from planocr.jobs.workers import EngineRunner
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from testkit.documents import page_width
from tests.faults.conftest import error_info, page_events, rpc_reason
from tests.support.polling import wait_for

PAGES = 12
ENGINE_TIMEOUT = 3
ATTEMPTS = 3
# page number -> (fault, status code, reason, words the message must contain)
FAULTS = {
    3: ("crash", grpc.StatusCode.INTERNAL, "ENGINE_FAILED", "RuntimeError"),
    5: ("hang", grpc.StatusCode.DEADLINE_EXCEEDED, "ENGINE_TIMEOUT", "did not finish within 3 s"),
    7: ("garbage", grpc.StatusCode.INTERNAL, "ENGINE_FAILED", "not a result"),
    9: ("malformed", grpc.StatusCode.INTERNAL, "ENGINE_FAILED", "malformed result"),
    11: ("unavailable", grpc.StatusCode.UNAVAILABLE, "ENGINE_UNAVAILABLE", "did not answer"),
}


@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_engine_faults_fail_only_their_page(stack, isolation):
    stack.internal_expected = True  # a crashing engine is a bug of the engine: ProcessPage on its page answers INTERNAL
    spec = ",".join(f"{fault}@{page_width(n)}" for n, (fault, *_rest) in FAULTS.items())
    server = stack.start_server(
        PLANOCR_ENGINE_ISOLATION=isolation,
        PLANOCR_TEST_ENGINE_FAULTS=spec,
        PLANOCR_ENGINE_TIMEOUT=str(ENGINE_TIMEOUT),
        PLANOCR_RETRY_ATTEMPTS=str(ATTEMPTS),
    )
    stub = stack.stub(server)
    document_id, page_ids = stack.upload(stub, PAGES)

    started = time.monotonic()
    events = list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=120))
    elapsed = time.monotonic() - started

    pages = {p.page_number: p for p in page_events(events)}
    assert sorted(p.page_id for p in pages.values()) == sorted(page_ids.values())
    for number, page in pages.items():
        if number not in FAULTS:
            assert page.state == page_pb2.PAGE_STATE_COMPLETED, (number, page.error)
            continue
        fault, code, reason, words = FAULTS[number]
        assert page.state == page_pb2.PAGE_STATE_FAILED, fault
        assert (page.error.code, error_info(page.error).reason) == (code.value[0], reason), fault
        assert words in page.error.message, (fault, page.error.message)
    summary = events[-1].summary
    assert (summary.completed, summary.failed) == (PAGES - len(FAULTS), len(FAULTS))
    assert elapsed < 60, "a hung engine held up the document"

    rows = {r["page_number"]: r for r in stack.rows(document_id)}
    assert {n for n, r in rows.items() if r["status"] == "error"} == set(FAULTS)
    assert {n for n, r in rows.items() if r["status"] == "completed"} == set(range(1, PAGES + 1)) - set(FAULTS)
    assert all(r["lease_owner"] is None for r in rows.values())

    calls = stack.engine_calls()
    unavailable = next(n for n, f in FAULTS.items() if f[0] == "unavailable")
    assert calls[unavailable] == ATTEMPTS, "a retryable engine error is retried a bounded number of times"
    assert all(calls[n] == 1 for n in range(1, PAGES + 1) if n != unavailable)

    # ProcessPage on a broken page answers with that page's error and reason, not UNKNOWN.
    crash = next(n for n, f in FAULTS.items() if f[0] == "crash")
    try:
        stub.ProcessPage(pb.ProcessPageRequest(page_id=page_ids[crash]), timeout=30)
    except grpc.RpcError as error:
        assert (error.code(), rpc_reason(error)) == (grpc.StatusCode.INTERNAL, "ENGINE_FAILED")
    else:
        raise AssertionError("ProcessPage on a page whose engine crashes succeeded")

    # The process survived all of it and still serves; a rerun leaves completed pages alone.
    health = health_pb2_grpc.HealthStub(stack.channels[-1]).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    rerun = list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=120))
    assert rerun[0].started.skipped == PAGES - len(FAULTS)
    assert rerun[-1].summary.failed == len(FAULTS)
    calls_after = stack.engine_calls()
    assert all(calls_after[n] == 1 for n in range(1, PAGES + 1) if n not in FAULTS)


@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_more_hung_pages_than_engine_threads_do_not_fail_the_healthy_ones(stack, isolation):
    """Each hung call keeps its engine thread (or has its worker process killed); the pages after them must still be read."""
    workers = 2
    hung = workers + 4 + 2  # more than the engine runner's threads (OCR workers + 4)
    pages = hung + 4
    spec = ",".join(f"hang@{page_width(n)}" for n in range(1, hung + 1))
    server = stack.start_server(
        PLANOCR_TEST_ENGINE_FAULTS=spec,
        PLANOCR_ENGINE_TIMEOUT="1.5",
        PLANOCR_OCR_WORKERS=str(workers),
        PLANOCR_ENGINE_ISOLATION=isolation,
    )
    stub = stack.stub(server)
    document_id, _ = stack.upload(stub, pages)

    events = list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=120))

    by_number = {p.page_number: p for p in page_events(events)}
    failed = {n: error_info(p.error).reason for n, p in by_number.items() if p.state == page_pb2.PAGE_STATE_FAILED}
    assert failed == dict.fromkeys(range(1, hung + 1), "ENGINE_TIMEOUT")
    healthy = {n: p for n, p in by_number.items() if n > hung}
    assert [(n, p.error.message) for n, p in healthy.items() if p.state != page_pb2.PAGE_STATE_COMPLETED] == []
    assert events[-1].summary.completed == pages - hung


def test_engine_runner_moves_past_stuck_calls_up_to_its_limit():
    """In-process: overrun calls keep their threads, new calls get fresh ones, and the leak is capped."""
    release = threading.Event()

    class Hanging(OcrEngine):
        name = "hanging"

        def recognize(self, image, *, dpi=None):
            release.wait(60)
            return OcrResult(image.width, image.height)

    class Quick(OcrEngine):
        name = "quick"

        def recognize(self, image, *, dpi=None):
            return OcrResult(image.width, image.height)

    image = Image.new("L", (10, 10), 255)
    runner = EngineRunner(threads=2, timeout=0.3, max_stuck=3)
    try:
        for stuck in (1, 2):
            with pytest.raises(DeadlineExceeded):
                runner.recognize(Hanging(), image, None)
            assert runner.stuck == stuck
        # Both original threads are stuck; a healthy call still runs at once.
        started = time.monotonic()
        assert runner.recognize(Quick(), image, None).width == 10
        assert time.monotonic() - started < 0.25
        with pytest.raises(DeadlineExceeded):
            runner.recognize(Hanging(), image, None)
        with pytest.raises(Unavailable) as info:
            runner.recognize(Quick(), image, None)
        assert info.value.reason == Reason.ENGINE_UNAVAILABLE
        release.set()
        wait_for(lambda: runner.stuck == 0, 10, "the stuck calls to return")
        assert runner.recognize(Quick(), image, None).height == 10
    finally:
        release.set()
        runner.shutdown()
