"""The servicer through grpcio-testing: validation, views, pagination and error mapping.

The servicer runs without a network; the error interceptor's wrappers are
applied to its methods the same way the server applies them.
"""

from __future__ import annotations

import grpc
import grpc_testing
import pytest

from planocr.config import Settings
from planocr.db import migrate
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.operations import OperationStore
from planocr.db.repository import NewPage, Repository
from planocr.engines.registry import EngineRegistry
from planocr.jobs.cancel import CancelToken
from planocr.jobs.operations import Operations
from planocr.jobs.pipeline import Pipeline
from planocr.jobs.uploads import Uploads
from planocr.jobs.workers import EngineRunner, OcrPool
from planocr.rpc.interceptors import _wrap_stream, _wrap_unary
from planocr.rpc.servicer import OcrServicer, decode_page_token, encode_page_token
from planocr.storage.local import LocalStorage
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import page_pb2
from testkit.drawing import draw_page

SERVICE = pb.DESCRIPTOR.services_by_name["OcrService"]


class WrappedServicer:
    """Applies the interceptor's error mapping to every method, as the server does."""

    def __init__(self, servicer: OcrServicer):
        for method in SERVICE.methods:
            behavior = getattr(servicer, method.name)
            wrap = _wrap_stream if method.server_streaming else _wrap_unary
            setattr(self, method.name, wrap(behavior, method.full_name, None))


@pytest.fixture
def env(tmp_path):
    settings = Settings(data_dir=tmp_path, engine="null", retry_backoff=0.0)
    engine = create_db_engine(settings)
    migrate.upgrade(engine)
    repo = Repository(create_sessionmaker(engine))
    storage = LocalStorage(tmp_path / "objects")
    pool = OcrPool(2, 10)
    runner = EngineRunner(2, 10)
    pipeline = Pipeline(settings, repo, storage, EngineRegistry("null"), runner)
    operations = Operations(pipeline, OperationStore(repo.sessions), None)
    servicer = OcrServicer(repo, pipeline, pool, Uploads(settings, repo, storage), CancelToken(), operations)
    server = grpc_testing.server_from_dictionary({SERVICE: WrappedServicer(servicer)}, grpc_testing.strict_real_time())
    yield server, repo, storage
    pool.shutdown()
    runner.shutdown()
    engine.dispose()


def unary(server, name, request):
    rpc = server.invoke_unary_unary(SERVICE.methods_by_name[name], (), request, 10)
    response, _trailing, code, details = rpc.termination()
    return response, code, details


def seed(repo, storage, pages=3):
    import uuid

    document_id = uuid.uuid4()
    image = draw_page([("X", 5, 5, 10)], size=(100, 80))
    new = []
    for n in range(1, pages + 1):
        storage.put(f"p/{document_id}/{n}.png", image)
        new.append(NewPage(n, f"p/{document_id}/{n}.png", 100, 80))
    repo.create_document(document_id=document_id, filename="x.pdf", content_type="application/pdf", source_key="s",
                         size_bytes=1, sha256="", request_id=None, pages=new)
    return str(document_id)


def test_list_pages_paginates_with_tokens(env):
    server, repo, storage = env
    document_id = seed(repo, storage, pages=5)
    seen, token = [], ""
    while True:
        response, code, _ = unary(server, "ListPages", pb.ListPagesRequest(document_id=document_id, page_size=2, page_token=token))
        assert code == grpc.StatusCode.OK
        assert response.total_size == 5
        seen += [p.page_number for p in response.pages]
        token = response.next_page_token
        if not token:
            break
    assert seen == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    "request_kwargs",
    [{"page_size": -1}, {"page_token": "garbage!"}, {"page_token": encode_page_token("00000000-0000-4000-8000-000000000000", 2)}],
)
def test_list_pages_refuses_bad_sizes_and_tokens(env, request_kwargs):
    server, repo, storage = env
    document_id = seed(repo, storage, pages=1)
    _, code, details = unary(server, "ListPages", pb.ListPagesRequest(document_id=document_id, **request_kwargs))
    assert code == grpc.StatusCode.INVALID_ARGUMENT, details


def test_page_token_round_trip():
    assert decode_page_token(encode_page_token("doc", 17), "doc") == 17


def test_get_page_views(env):
    server, repo, storage = env
    document_id = seed(repo, storage, pages=1)
    page_id = unary(server, "ListPages", pb.ListPagesRequest(document_id=document_id))[0].pages[0].page_id
    response, code, _ = unary(server, "ProcessPage", pb.ProcessPageRequest(page_id=page_id))
    assert code == grpc.StatusCode.OK and response.page.state == page_pb2.PAGE_STATE_COMPLETED
    _, code, _ = unary(server, "GetPage", pb.GetPageRequest(page_id=page_id, view=7))
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_unknown_text_source_mode_is_invalid(env):
    server, repo, storage = env
    document_id = seed(repo, storage, pages=1)
    page_id = unary(server, "ListPages", pb.ListPagesRequest(document_id=document_id))[0].pages[0].page_id
    request = pb.ProcessPageRequest(page_id=page_id, options=pb.ProcessOptions(text_source_mode=42))
    _, code, _ = unary(server, "ProcessPage", request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_get_document_not_found_and_invalid(env):
    server, _repo, _storage = env
    _, code, _ = unary(server, "GetDocument", pb.GetDocumentRequest(document_id="00000000-0000-4000-8000-000000000000"))
    assert code == grpc.StatusCode.NOT_FOUND
    _, code, _ = unary(server, "GetDocument", pb.GetDocumentRequest(document_id="x"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_process_document_streams_started_pages_and_summary(env):
    server, repo, storage = env
    document_id = seed(repo, storage, pages=4)
    rpc = server.invoke_unary_stream(SERVICE.methods_by_name["ProcessDocument"], (), pb.ProcessDocumentRequest(document_id=document_id), 30)
    events = []
    while True:
        event = rpc.take_response()
        events.append(event)
        if event.WhichOneof("event") == "summary":
            break
    _trailing, code, _ = rpc.termination()
    assert code == grpc.StatusCode.OK
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds == ["started"] + ["page"] * 4 + ["summary"]
    assert events[0].started.total_pages == 4 and events[0].started.to_process == 4
    assert sorted(e.page.page_number for e in events[1:5]) == [1, 2, 3, 4]
    assert [e.page.done for e in events[1:5]] == [1, 2, 3, 4]
    assert events[-1].summary.completed == 4 and events[-1].summary.failed == 0
