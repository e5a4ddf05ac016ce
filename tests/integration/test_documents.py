"""Drawing sets end to end: upload, ProcessDocument's stream, GetPage, ListPages."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from planocr.engines.registry import EngineRegistry
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import ocr_service_pb2_grpc as pb_grpc
from planocr.v1 import page_pb2
from testkit.drawing import draw_page, sheet
from testkit.procserver import ServerProcess
from tests.conftest import make_settings
from tests.integration.test_process_page import error_reason
from tests.support.engines import CountingEngine
from tests.support.pdfs import text_pdf, zero_page_pdf


def upload_messages(data: bytes, filename: str = "set.pdf", chunk: int = 64 * 1024, **meta):
    yield pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename=filename, **meta))
    for start in range(0, len(data), chunk):
        yield pb.CreateDocumentRequest(chunk=data[start : start + chunk])


def upload(stub, data: bytes, **kwargs) -> pb.CreateDocumentResponse:
    return stub.CreateDocument(upload_messages(data, **kwargs), timeout=120)


def run_document(stub, document_id: str, timeout: float = 300, **options):
    return list(stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id, options=pb.ProcessOptions(**options)), timeout=timeout))


def _registry(engine) -> EngineRegistry:
    """A registry holding the test's own engine instance, whose counters and events the test reads: its
    servers run with thread isolation, the engine in this process."""
    registry = EngineRegistry(engine.name)
    registry.register(engine)
    return registry


PAGES = [
    ["SHEET ONE GENERAL NOTES", "KEYNOTE ALPHA"],
    ["SHEET TWO FLOOR PLAN", "KEYNOTE BRAVO"],
    ["SHEET THREE ELEVATIONS", "KEYNOTE CHARLIE"],
]


@pytest.mark.parametrize("mode", [pb.ProcessOptions().text_source_mode, page_pb2.TEXT_SOURCE_MODE_OCR])
def test_multi_page_pdf_upload_process_and_read(start_server, database_url, tmp_path, mode):
    running = start_server(make_settings(tmp_path, database_url, engine="tesseract", render_dpi=100))
    created = upload(running.stub, text_pdf(PAGES), filename="three.pdf")
    document = created.document
    assert created.created and document.page_count == 3 and document.content_type == "application/pdf"
    assert document.page_counts.pending == 3 and len(document.sha256) == 64

    events = run_document(running.stub, document.document_id, text_source_mode=mode)

    kinds = [e.WhichOneof("event") for e in events]
    assert kinds == ["started", "page", "page", "page", "summary"]
    started, summary = events[0].started, events[-1].summary
    assert (started.total_pages, started.to_process, started.skipped) == (3, 3, 0)
    page_events = [e.page for e in events[1:4]]
    assert sorted(p.page_number for p in page_events) == [1, 2, 3]
    assert [p.done for p in page_events] == [1, 2, 3] and {p.total for p in page_events} == {3}
    assert all(p.state == page_pb2.PAGE_STATE_COMPLETED and p.outcome == pb.PROCESS_OUTCOME_PROCESSED for p in page_events)
    assert (summary.total_pages, summary.completed, summary.failed, summary.skipped) == (3, 3, 0, 0)
    assert summary.elapsed.ToMilliseconds() > 0

    expected_source = page_pb2.TEXT_SOURCE_OCR if mode == page_pb2.TEXT_SOURCE_MODE_OCR else page_pb2.TEXT_SOURCE_TEXT_LAYER
    for event in page_events:
        page = running.stub.GetPage(pb.GetPageRequest(page_id=event.page_id), timeout=10).page
        for line in PAGES[page.page_number - 1]:
            assert line in page.text
        assert page.text_source == expected_source

    listed = running.stub.ListPages(pb.ListPagesRequest(document_id=document.document_id, page_size=2), timeout=10)
    assert [p.page_number for p in listed.pages] == [1, 2] and listed.next_page_token and listed.total_size == 3
    after = running.stub.GetDocument(pb.GetDocumentRequest(document_id=document.document_id), timeout=10).document
    assert after.page_counts.completed == 3

    again = run_document(running.stub, document.document_id)
    assert again[0].started.skipped == 3 and again[-1].summary.skipped == 3
    assert {e.page.outcome for e in again[1:-1]} == {pb.PROCESS_OUTCOME_ALREADY_COMPLETED}


def test_images_and_multi_page_tiff_upload(start_server, tmp_path):
    running = start_server()
    png = upload(running.stub, sheet(), filename="sheet.png").document
    assert png.page_count == 1 and png.content_type == "image/png"
    jpeg = upload(running.stub, draw_page([("J", 10, 10, 20)], fmt="JPEG"), filename="scan.jpg").document
    assert jpeg.content_type == "image/jpeg"
    from io import BytesIO

    from PIL import Image

    frames = [Image.new("L", (300 + i, 200), 255) for i in range(3)]
    out = BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    tiff = upload(running.stub, out.getvalue(), filename="scans.tif").document
    assert tiff.page_count == 3 and tiff.content_type == "image/tiff"
    pages = running.stub.ListPages(pb.ListPagesRequest(document_id=tiff.document_id), timeout=10).pages
    assert [p.width for p in pages] == [300, 301, 302]


def test_upload_with_the_same_request_id_returns_the_same_document(start_server, database_url, tmp_path):
    running = start_server(make_settings(tmp_path, database_url))
    data = text_pdf([["ONE"]])
    first = upload(running.stub, data, request_id="req-42")
    second = upload(running.stub, data, request_id="req-42")
    assert first.created and not second.created
    assert first.document.document_id == second.document.document_id
    concurrent = list(ThreadPoolExecutor(4).map(lambda _: upload(running.stub, data, request_id="req-43"), range(4)))
    assert len({r.document.document_id for r in concurrent}) == 1
    assert sum(r.created for r in concurrent) == 1
    objects = list(running.server.storage.list("documents/"))
    assert len({k.split("/")[1] for k in objects}) == 2  # one set of objects per document, none orphaned


def test_upload_from_storage_reference(start_server):
    running = start_server()
    running.server.storage.put("incoming/set.pdf", text_pdf([["A"], ["B"]]))
    request = pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename="set.pdf", source_key="incoming/set.pdf"))
    document = running.stub.CreateDocument(iter([request]), timeout=60).document
    assert document.page_count == 2 and document.source_key == "incoming/set.pdf"
    missing = pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename="x.pdf", source_key="incoming/none.pdf"))
    with pytest.raises(grpc.RpcError) as info:
        running.stub.CreateDocument(iter([missing]), timeout=60)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def _bad_uploads():
    pdf = text_pdf([["PAGE"]] * 3)
    return {
        "empty stream": ([], grpc.StatusCode.INVALID_ARGUMENT, "UPLOAD_INCOMPLETE"),
        "metadata missing": ([pb.CreateDocumentRequest(chunk=pdf)], grpc.StatusCode.INVALID_ARGUMENT, "UPLOAD_INCOMPLETE"),
        "no bytes": ([pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename="a.pdf"))], grpc.StatusCode.INVALID_ARGUMENT, "UPLOAD_INCOMPLETE"),
        "no filename": (list(upload_messages(pdf, filename="")), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        "metadata twice": (list(upload_messages(pdf)) + [pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename="b"))], grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        "truncated pdf": (list(upload_messages(pdf[: len(pdf) // 3])), grpc.StatusCode.INVALID_ARGUMENT, "PDF_UNREADABLE"),
        "encrypted pdf": (list(upload_messages(text_pdf([["SECRET"]], encrypt="pw"))), grpc.StatusCode.INVALID_ARGUMENT, "PDF_ENCRYPTED"),
        "zero-page pdf": (list(upload_messages(zero_page_pdf())), grpc.StatusCode.INVALID_ARGUMENT, "DOCUMENT_EMPTY"),
        "not a pdf": (list(upload_messages(b"PK\x03\x04 this is a zip file" * 100, content_type="application/pdf")), grpc.StatusCode.INVALID_ARGUMENT, "PDF_UNREADABLE"),
        "unknown bytes": (list(upload_messages(b"hello world" * 100, filename="notes.txt")), grpc.StatusCode.INVALID_ARGUMENT, "UNSUPPORTED_MEDIA_TYPE"),
        "bad content type": (list(upload_messages(pdf, content_type="text/html")), grpc.StatusCode.INVALID_ARGUMENT, "UNSUPPORTED_MEDIA_TYPE"),
        "too large": (list(upload_messages(pdf + b"\0" * 70_000)), grpc.StatusCode.RESOURCE_EXHAUSTED, "UPLOAD_TOO_LARGE"),
    }


@pytest.mark.parametrize("case", list(_bad_uploads()))
def test_bad_uploads_leave_nothing_behind(start_server, tmp_path, case):
    messages, code, reason = _bad_uploads()[case]
    running = start_server(make_settings(tmp_path, max_upload_bytes=60_000))
    with pytest.raises(grpc.RpcError) as info:
        running.stub.CreateDocument(iter(messages), timeout=60)
    assert info.value.code() == code, info.value.details()
    assert error_reason(info.value) == reason
    assert list(running.server.storage.list("")) == []
    with running.server.db_engine.connect() as connection:
        from sqlalchemy import text

        assert connection.execute(text("select count(*) from documents")).scalar() == 0
        assert connection.execute(text("select count(*) from pages")).scalar() == 0
    assert upload(running.stub, text_pdf([["STILL SERVING"]])).document.page_count == 1


def test_first_event_arrives_before_any_page_finishes(start_server, tmp_path):
    engine = CountingEngine(delay=1.0)
    running = start_server(make_settings(tmp_path, engine=engine.name, engine_isolation="thread"), engines=_registry(engine))
    document_id, _ = running.seed_document([draw_page([("P", 5, 5, 12)], size=(200, 100))] * 4, width=200, height=100)
    t0 = time.monotonic()
    stream = running.stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=60)
    first = next(stream)
    first_after = time.monotonic() - t0
    assert first.WhichOneof("event") == "started" and engine.calls <= 2
    assert first_after < 0.9  # well before the first page's one-second OCR could finish
    rest = list(stream)
    assert rest[-1].summary.completed == 4
    assert engine.max_concurrent <= running.server.settings.ocr_workers


def _assert_nothing_processing(running, document_id: str, timeout: float = 10.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        pages = running.server.repository.page_states(uuid.UUID(document_id))
        if all(p.status != "processing" for p in pages) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [p.page_number for p in pages if p.status == "processing"] == []
    return pages


def test_cancelled_stream_leaves_no_page_processing(start_server, database_url, tmp_path):
    engine = CountingEngine(delay=0.3)
    running = start_server(make_settings(tmp_path, database_url, engine=engine.name, engine_isolation="thread"), engines=_registry(engine))
    document_id, _ = running.seed_document([draw_page([("P", 5, 5, 12)], size=(200, 100))] * 12, width=200, height=100)
    stream = running.stub.ProcessDocument(pb.ProcessDocumentRequest(document_id=document_id), timeout=60)
    seen = [next(stream), next(stream)]
    assert seen[1].WhichOneof("event") == "page"
    stream.cancel()
    cancelled_at = time.monotonic()
    time.sleep(1.0)
    calls_after_a_second = engine.calls
    time.sleep(1.0)
    assert engine.calls == calls_after_a_second, "scheduling went on after the cancel"
    pages = _assert_nothing_processing(running, document_id)
    assert {p.status for p in pages} <= {"pending", "completed"}
    assert sum(p.status == "completed" for p in pages) < 12
    assert time.monotonic() - cancelled_at < 10
    # The rest can be finished by a new run, and nothing is read twice.
    events = run_document(running.stub, document_id)
    assert events[-1].summary.completed + events[-1].summary.skipped == 12
    assert sum(engine.by_size.values()) == 12


def test_short_deadline_leaves_no_page_processing(start_server, tmp_path):
    engine = CountingEngine(delay=0.3)
    running = start_server(make_settings(tmp_path, engine=engine.name, engine_isolation="thread"), engines=_registry(engine))
    document_id, _ = running.seed_document([draw_page([("P", 5, 5, 12)], size=(200, 100))] * 10, width=200, height=100)
    with pytest.raises(grpc.RpcError) as info:
        run_document(running.stub, document_id, timeout=0.8)
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    _assert_nothing_processing(running, document_id)


def test_two_streams_on_one_document_in_one_server(start_server, database_url, tmp_path):
    engine = CountingEngine(delay=0.05)
    running = start_server(make_settings(tmp_path, database_url, engine=engine.name, engine_isolation="thread"), engines=_registry(engine))
    images = [draw_page([("P", 5, 5, 12)], size=(200 + i, 100)) for i in range(10)]
    document_id, page_ids = running.seed_document(images, width=200, height=100)
    with ThreadPoolExecutor(2) as clients:
        streams = list(clients.map(lambda _: run_document(running.stub, document_id), range(2)))
    for events in streams:
        pages = [e.page for e in events if e.WhichOneof("event") == "page"]
        assert sorted(p.page_id for p in pages) == sorted(page_ids)
        # A stream that starts after the other finished some pages reports those as skipped
        # (already completed when it began), the rest as completed: by it or by the other while it waited.
        summary = events[-1].summary
        assert (summary.completed + summary.skipped, summary.failed) == (10, 0)
    assert engine.calls == 10 and set(engine.by_size.values()) == {1}


@pytest.mark.slow
def test_two_server_processes_on_one_postgres_read_each_page_once(pg_url, tmp_path):
    calls = tmp_path / "engine-calls.log"
    env = {
        "PLANOCR_DATABASE_URL": pg_url,
        "PLANOCR_STORAGE_URL": (tmp_path / "objects").as_uri(),
        "PLANOCR_DATA_DIR": str(tmp_path / "data"),
        "PLANOCR_LISTEN": "127.0.0.1:0",
        "PLANOCR_MIGRATE_ON_START": "true",
        "PLANOCR_TEST_ENGINE_LOG": str(calls),
        "PLANOCR_TEST_ENGINE_DELAY": "0.05",
    }
    servers = [ServerProcess(env, tmp_path / f"server{i}.log") for i in range(2)]
    try:
        for server in servers:
            server.start()
        channels = [grpc.insecure_channel(s.address) for s in servers]
        stubs = [pb_grpc.OcrServiceStub(c) for c in channels]
        images = [draw_page([("P", 5, 5, 12)], size=(200 + i, 100)) for i in range(16)]
        from io import BytesIO

        from PIL import Image

        frames = [Image.open(BytesIO(i)) for i in images]
        out = BytesIO()
        frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
        document_id = upload(stubs[0], out.getvalue(), filename="set.tif").document.document_id

        with ThreadPoolExecutor(2) as clients:
            streams = list(clients.map(lambda stub: run_document(stub, document_id), stubs))

        for events in streams:
            pages = [e.page for e in events if e.WhichOneof("event") == "page"]
            assert len(pages) == 16 and len({p.page_id for p in pages}) == 16
            assert events[-1].summary.completed == 16
        sizes = [line.split()[0] for line in calls.read_text().splitlines()]
        assert len(sizes) == 16 and len(set(sizes)) == 16, "a page was read more than once"
        for channel in channels:
            channel.close()
    finally:
        for server in servers:
            server.stop()





def test_a_title_block_missing_from_the_text_layer_is_read_by_ocr(start_server, tmp_path):
    """Notes in the text layer, the title block only as an image: OCR completes the layer."""
    from testkit.sheets import PAGE_SIZES, SheetSpec, mixed_pdf

    spec = SheetSpec(layout="corner", sheet_number="A-204", title=["SECOND FLOOR PLAN"],
                     page_size=PAGE_SIZES["ANSI B"], distractors=False)
    running = start_server(make_settings(tmp_path, engine="tesseract", render_dpi=150))
    document = upload(running.stub, mixed_pdf(spec), filename="mixed.pdf").document
    events = run_document(running.stub, document.document_id)
    assert events[-1].summary.completed == 1
    page = running.stub.GetPage(pb.GetPageRequest(page_id=events[1].page.page_id), timeout=10).page
    assert page.sheet_number == "A-204"
    assert page.title == "SECOND FLOOR PLAN"
    assert page.text_source == page_pb2.TEXT_SOURCE_TEXT_LAYER_AND_OCR
    assert "GENERAL NOTES" in page.text  # the layer's own text stays
