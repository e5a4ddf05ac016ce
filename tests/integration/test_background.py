"""StartDocument, the Operations service and WatchDocument against a real server on a loopback port.

The server runs in this process with a counting engine (thread isolation),
so a test can tell which pages were read, how often and in what order.
"""

from __future__ import annotations

import threading
import time
import uuid

import grpc
import pytest
from google.longrunning import operations_pb2
from google.longrunning import operations_pb2_grpc as ops_grpc
from google.protobuf import duration_pb2

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from testkit.drawing import draw_page
from tests.conftest import make_settings
from tests.integration.test_documents import _registry
from tests.integration.test_process_page import error_reason
from tests.support.engines import CountingEngine
from tests.support.polling import wait_for


def _pages(count: int, first_width: int = 200) -> list[bytes]:
    """Pages of distinct widths, so the engine's calls say which page was read."""
    return [draw_page([("P", 5, 5, 12)], size=(first_width + n, 100)) for n in range(count)]


@pytest.fixture
def serve(start_server, tmp_path):
    def serve(engine, database_url=None, **overrides):
        settings = make_settings(tmp_path / uuid.uuid4().hex[:6], database_url, engine=engine.name, engine_isolation="thread", **overrides)
        running = start_server(settings, engines=_registry(engine))
        running.ops = ops_grpc.OperationsStub(running.channel)
        return running

    return serve


def _progress(operation) -> pb.DocumentProgress:
    progress = pb.DocumentProgress()
    assert operation.metadata.Unpack(progress)
    return progress


def _summary(operation) -> pb.DocumentSummary:
    summary = pb.DocumentSummary()
    assert operation.response.Unpack(summary)
    return summary


def _wait(running, name: str, seconds: float = 30) -> operations_pb2.Operation:
    timeout = duration_pb2.Duration(seconds=int(seconds))
    return running.ops.WaitOperation(operations_pb2.WaitOperationRequest(name=name, timeout=timeout), timeout=seconds + 5)


def test_start_returns_at_once_and_the_pages_are_read_without_a_caller(serve, database_url):
    engine = CountingEngine(delay=0.2)
    running = serve(engine, database_url)
    document_id, _ = running.seed_document(_pages(6), width=200, height=100)

    started = time.monotonic()
    operation = running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id), timeout=10)
    took = time.monotonic() - started
    assert operation.name.startswith("operations/") and not operation.done
    progress = _progress(operation)
    assert (progress.document_id, progress.total_pages, progress.to_process, progress.skipped) == (document_id, 6, 6, 0)
    assert took < 6 * engine.delay / running.server.settings.ocr_workers  # answered before the pages could be read

    done = _wait(running, operation.name)
    assert done.done and not done.HasField("error")
    summary = _summary(done)
    assert (summary.total_pages, summary.completed, summary.failed) == (6, 6, 0)
    assert _progress(done).done == 6 and _progress(done).end_time.seconds > 0
    assert sorted(engine.by_size.values()) == [1] * 6, "each page read once"
    pages = running.stub.ListPages(pb.ListPagesRequest(document_id=document_id)).pages
    assert all(p.state == page_pb2.PAGE_STATE_COMPLETED for p in pages)
    # Done and gone from the queue: nothing is read again.
    time.sleep(0.3)
    assert engine.calls == 6


def test_start_skips_completed_pages_unless_forced(serve):
    engine = CountingEngine()
    running = serve(engine)
    document_id, page_ids = running.seed_document(_pages(3), width=200, height=100)
    running.stub.ProcessPage(pb.ProcessPageRequest(page_id=page_ids[0]), timeout=10)

    first = running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id), timeout=10)
    assert (_progress(first).to_process, _progress(first).skipped) == (2, 1)
    assert _summary(_wait(running, first.name)).completed == 2
    assert engine.calls == 3

    again = running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id), timeout=10)
    assert again.name != first.name and again.done, "nothing left to read: done at once"
    assert _progress(again).to_process == 0

    forced = running.stub.StartDocument(
        pb.StartDocumentRequest(document_id=document_id, options=pb.ProcessOptions(force=True)), timeout=10
    )
    assert _progress(forced).to_process == 3
    assert _summary(_wait(running, forced.name)).completed == 3
    assert engine.calls == 6


def test_request_id_makes_start_idempotent_and_one_operation_runs_per_document(serve, database_url):
    engine = CountingEngine(delay=0.2)
    running = serve(engine, database_url)
    document_id, _ = running.seed_document(_pages(4), width=200, height=100)
    other_id, _ = running.seed_document(_pages(1), width=200, height=100)

    first = running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id, request_id="upload-42"), timeout=10)
    repeat = running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id, request_id="upload-42"), timeout=10)
    without_key = running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id), timeout=10)
    assert repeat.name == first.name and without_key.name == first.name

    with pytest.raises(grpc.RpcError) as raised:
        running.stub.StartDocument(pb.StartDocumentRequest(document_id=other_id, request_id="upload-42"), timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(raised.value) == "REQUEST_ID_REUSED"

    _wait(running, first.name)
    after = running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id, request_id="upload-42"), timeout=10)
    assert after.name == first.name and after.done  # the key still names the first operation
    assert sorted(engine.by_size.values()) == [1] * 4


def test_concurrent_starts_of_one_document_make_one_operation(serve, pg_url):
    engine = CountingEngine(delay=0.1)
    running = serve(engine, pg_url)
    document_id, _ = running.seed_document(_pages(4), width=200, height=100)
    names: list[str] = []

    def start():
        names.append(running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id), timeout=10).name)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(names) == 6 and len(set(names)) == 1
    _wait(running, names[0])
    assert sorted(engine.by_size.values()) == [1] * 4


def test_cancel_stops_the_pages_not_yet_started(serve, database_url):
    engine = CountingEngine(delay=0.3)
    running = serve(engine, database_url)
    document_id, _ = running.seed_document(_pages(12), width=200, height=100)
    operation = running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id), timeout=10)
    wait_for(lambda: engine.calls >= 2, 10, "the first pages to start")

    running.ops.CancelOperation(operations_pb2.CancelOperationRequest(name=operation.name), timeout=10)
    ended = running.ops.GetOperation(operations_pb2.GetOperationRequest(name=operation.name), timeout=10)
    assert ended.done and ended.error.code == grpc.StatusCode.CANCELLED.value[0]
    assert _progress(ended).cancel_requested
    calls = engine.calls
    time.sleep(1.0)
    assert engine.calls <= calls + running.server.settings.ocr_workers, "pages were still started after the cancel"
    pages = running.stub.ListPages(pb.ListPagesRequest(document_id=document_id)).pages
    assert not any(p.state == page_pb2.PAGE_STATE_PROCESSING for p in pages)
    assert sum(p.state == page_pb2.PAGE_STATE_PENDING for p in pages) >= 12 - calls - running.server.settings.ocr_workers
    # Cancelling again, or an ended operation, changes nothing.
    running.ops.CancelOperation(operations_pb2.CancelOperationRequest(name=operation.name), timeout=10)


def test_operations_list_get_delete_and_bad_names(serve):
    engine = CountingEngine()
    running = serve(engine)
    documents = [running.seed_document(_pages(2), width=200, height=100)[0] for _ in range(3)]
    names = [running.stub.StartDocument(pb.StartDocumentRequest(document_id=d), timeout=10).name for d in documents]
    for name in names:
        _wait(running, name)

    listed = running.ops.ListOperations(operations_pb2.ListOperationsRequest(name="operations", page_size=2), timeout=10)
    assert len(listed.operations) == 2 and listed.next_page_token
    rest = running.ops.ListOperations(
        operations_pb2.ListOperationsRequest(name="operations", page_size=2, page_token=listed.next_page_token), timeout=10
    )
    assert {o.name for o in listed.operations} | {o.name for o in rest.operations} == set(names)
    assert not rest.next_page_token
    one = running.ops.ListOperations(
        operations_pb2.ListOperationsRequest(filter=f'document_id = "{documents[1]}" AND done = true'), timeout=10
    )
    assert [o.name for o in one.operations] == [names[1]]
    assert not running.ops.ListOperations(operations_pb2.ListOperationsRequest(filter="done = false"), timeout=10).operations

    running.ops.DeleteOperation(operations_pb2.DeleteOperationRequest(name=names[0]), timeout=10)
    bad = {
        names[0]: (grpc.StatusCode.NOT_FOUND, "OPERATION_NOT_FOUND"),
        f"operations/{uuid.uuid4()}": (grpc.StatusCode.NOT_FOUND, "OPERATION_NOT_FOUND"),
        "documents/42": (grpc.StatusCode.NOT_FOUND, "OPERATION_NOT_FOUND"),
        "operations/not-a-uuid": (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ID"),
    }
    for name, (code, reason) in bad.items():
        with pytest.raises(grpc.RpcError) as raised:
            running.ops.GetOperation(operations_pb2.GetOperationRequest(name=name), timeout=10)
        assert (raised.value.code(), error_reason(raised.value)) == (code, reason), name
    for text in ("state = running", 'document_id = "nope"', "done = maybe", "done = true OR done = false"):
        with pytest.raises(grpc.RpcError) as raised:
            running.ops.ListOperations(operations_pb2.ListOperationsRequest(filter=text), timeout=10)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT, text
    with pytest.raises(grpc.RpcError) as raised:
        running.stub.StartDocument(pb.StartDocumentRequest(document_id=str(uuid.uuid4())), timeout=10)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_running_operation_cannot_be_deleted_and_wait_returns_it_running_at_its_timeout(serve):
    engine = CountingEngine(delay=0.5)
    running = serve(engine)
    document_id, _ = running.seed_document(_pages(6), width=200, height=100)
    operation = running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id), timeout=10)
    with pytest.raises(grpc.RpcError) as raised:
        running.ops.DeleteOperation(operations_pb2.DeleteOperationRequest(name=operation.name), timeout=10)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(raised.value) == "OPERATION_RUNNING"
    timeout = duration_pb2.Duration(nanos=200_000_000)
    waited = running.ops.WaitOperation(operations_pb2.WaitOperationRequest(name=operation.name, timeout=timeout), timeout=10)
    assert not waited.done and _progress(waited).done < 6
    running.ops.CancelOperation(operations_pb2.CancelOperationRequest(name=operation.name), timeout=10)


def test_watch_a_finished_document_gives_everything_at_once(serve):
    engine = CountingEngine()
    running = serve(engine)
    document_id, _ = running.seed_document(_pages(5), width=200, height=100)
    operation = running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id), timeout=10)
    _wait(running, operation.name)

    started = time.monotonic()
    events = list(running.stub.WatchDocument(pb.WatchDocumentRequest(document_id=document_id), timeout=10))
    took = time.monotonic() - started
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds == ["snapshot"] + ["page"] * 5 + ["summary"]
    assert events[0].snapshot.document.page_counts.completed == 5 and events[0].snapshot.operation == ""
    assert sorted(e.page.page_number for e in events[1:-1]) == [1, 2, 3, 4, 5]
    assert [e.page.done for e in events[1:-1]] == [1, 2, 3, 4, 5] and events[1].page.total == 5
    assert events[-1].summary.completed == 5
    assert took < 1.0, f"a finished document took {took:.2f} s to report"

    # Resuming after the third page reports only the two after it.
    since = events[3].page.finish_time
    resumed = list(running.stub.WatchDocument(pb.WatchDocumentRequest(document_id=document_id, since=since), timeout=10))
    later = [e.page.page_id for e in resumed if e.WhichOneof("event") == "page"]
    assert later == [e.page.page_id for e in events[4:6]]


def test_watch_a_running_document_gives_counts_at_once_then_live_events(serve, database_url):
    engine = CountingEngine(delay=0.3)
    running = serve(engine, database_url)
    document_id, _ = running.seed_document(_pages(6), width=200, height=100)
    operation = running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id), timeout=10)
    wait_for(lambda: engine.calls >= 1, 10, "the first page to start")

    started = time.monotonic()
    stream = running.stub.WatchDocument(pb.WatchDocumentRequest(document_id=document_id), timeout=30)
    first = next(stream)
    first_after = time.monotonic() - started
    assert first.WhichOneof("event") == "snapshot" and first.snapshot.operation == operation.name
    counts = first.snapshot.document.page_counts
    assert counts.pending + counts.processing + counts.completed == 6
    assert first_after < 0.5, f"the snapshot took {first_after:.2f} s"
    rest = list(stream)
    pages = [e.page for e in rest if e.WhichOneof("event") == "page"]
    assert sorted(p.page_number for p in pages) == [1, 2, 3, 4, 5, 6]
    assert [p.done for p in pages] == sorted(p.done for p in pages) and pages[-1].done == 6
    assert rest[-1].WhichOneof("event") == "summary" and rest[-1].summary.completed == 6
    assert running.ops.GetOperation(operations_pb2.GetOperationRequest(name=operation.name), timeout=10).done


def test_leaving_a_watch_does_not_stop_the_work(serve):
    engine = CountingEngine(delay=0.2)
    running = serve(engine)
    document_id, _ = running.seed_document(_pages(6), width=200, height=100)
    operation = running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id), timeout=10)
    stream = running.stub.WatchDocument(pb.WatchDocumentRequest(document_id=document_id), timeout=30)
    next(stream)
    stream.cancel()
    assert _summary(_wait(running, operation.name)).completed == 6


def test_watch_bad_requests(serve):
    running = serve(CountingEngine())
    for document_id, code in ((str(uuid.uuid4()), grpc.StatusCode.NOT_FOUND), ("nope", grpc.StatusCode.INVALID_ARGUMENT)):
        with pytest.raises(grpc.RpcError) as raised:
            list(running.stub.WatchDocument(pb.WatchDocumentRequest(document_id=document_id), timeout=10))
        assert raised.value.code() == code


def test_process_page_goes_before_background_work(serve):
    engine = CountingEngine(delay=0.4)
    running = serve(engine, ocr_workers=2)
    document_id, _ = running.seed_document(_pages(10), width=200, height=100)
    _, (interactive,) = running.seed_document(_pages(1, first_width=400), width=400, height=100)
    running.stub.StartDocument(pb.StartDocumentRequest(document_id=document_id), timeout=10)
    wait_for(lambda: engine.calls >= 2, 10, "background work to fill both workers")

    order: list[tuple[int, int]] = []
    original = engine.recognize

    def recording(image, *, dpi=None):
        order.append(image.size)
        return original(image, dpi=dpi)

    engine.recognize = recording  # type: ignore[method-assign]
    started = time.monotonic()
    running.stub.ProcessPage(pb.ProcessPageRequest(page_id=interactive), timeout=30)
    took = time.monotonic() - started
    # Both workers were busy: the page waits for one of them, then is the next page read.
    assert order[0] == (400, 100), f"background pages went first: {order}"
    assert took < 3 * engine.delay, f"ProcessPage took {took:.2f} s behind background work"


def test_operations_of_equal_priority_take_turns_and_a_higher_priority_goes_first(serve):
    engine = CountingEngine(delay=0.05)
    running = serve(engine, ocr_workers=1)
    gate = threading.Event()
    original = engine.recognize

    def gated(image, *, dpi=None):
        gate.wait(10)
        return original(image, dpi=dpi)

    engine.recognize = gated  # type: ignore[method-assign]
    big, _ = running.seed_document(_pages(20, first_width=200), width=200, height=100)
    small, _ = running.seed_document(_pages(2, first_width=300), width=300, height=100)
    urgent, _ = running.seed_document(_pages(2, first_width=400), width=400, height=100)
    first = running.stub.StartDocument(pb.StartDocumentRequest(document_id=big), timeout=10)
    wait_for(lambda: running.server.pool.depth >= 1, 10, "the first page of the big set to start")
    second = running.stub.StartDocument(pb.StartDocumentRequest(document_id=small), timeout=10)
    third = running.stub.StartDocument(pb.StartDocumentRequest(document_id=urgent, priority=5), timeout=10)
    gate.set()
    done_small = _wait(running, second.name)
    big_now = running.ops.GetOperation(operations_pb2.GetOperationRequest(name=first.name), timeout=10)
    assert done_small.done and not big_now.done, "the 2-page set waited for the 20-page one"
    widths = [w for (w, _h) in engine.by_size]  # insertion order: the order pages were first read
    assert widths[1:3] == [400, 401], f"the urgent set did not go first: {widths[:6]}"
    # Then the two sets of equal priority alternate: the small one is through within its first turns.
    assert {300, 301} <= set(widths[:8]), f"the small set did not get its turns: {widths[:8]}"
    _wait(running, first.name)
    _wait(running, third.name)
