"""One planocr server process for the property-based tests, and the means to watch it.

The server runs in its own process (so a crash or a leak is visible from
outside) on a throwaway PostgreSQL database and a local object folder, with
the null engine and small limits, so that a bad input can cost memory only
within those limits.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from PIL import Image

from planocr.config import Settings
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.repository import NewPage, Repository
from planocr.errors import MAX_MESSAGE_BYTES
from planocr.storage import Storage, open_storage
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import ocr_service_pb2_grpc as pb_grpc
from testkit.drawing import draw_page
from testkit.ports import free_port
from testkit.procserver import ServerProcess
from tests.operability.helpers import scrape
from tests.support.pdfs import text_pdf

#: Codes a server may answer to bad input. INTERNAL and UNKNOWN never.
NEVER = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
CRASH_MARK = re.compile(r"crashed \(incident|Traceback \(most recent call last\)")

MAX_UPLOAD_BYTES = 2_000_000
MAX_PIXELS = 4_000_000


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def seed_files() -> dict[str, bytes]:
    """Small valid files of every accepted type, for the mutators to damage."""
    page = draw_page([("A-101", 20, 20, 28), ("FLOOR PLAN", 20, 80, 20)], size=(320, 200))
    frames = [Image.new("L", (120 + i, 90), 255) for i in range(3)]
    tiff = io.BytesIO()
    frames[0].save(tiff, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw")
    rgb = io.BytesIO()
    Image.open(io.BytesIO(page)).convert("RGB").save(rgb, format="JPEG", quality=70)
    return {
        "png": page,
        "jpeg": rgb.getvalue(),
        "tiff": tiff.getvalue(),
        "pdf": text_pdf([["SHEET A-101", "FLOOR PLAN"], ["SHEET A-102"]]),
    }


@dataclass
class FuzzServer:
    process: ServerProcess
    stub: pb_grpc.OcrServiceStub
    repository: Repository
    storage: Storage
    log_path: Path
    document_id: str
    page_ids: list[str]
    baseline_rss: int = 0

    @property
    def pid(self) -> int:
        return self.process.proc.pid

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def assert_alive(self) -> None:
        assert self.process.proc.poll() is None, f"the server process died (exit {self.process.proc.returncode})"

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def crash_lines(self, since: int = 0) -> list[str]:
        """Log lines from byte ``since`` on that show a crash (an INTERNAL answer or any traceback)."""
        if not self.log_path.exists():
            return []
        with open(self.log_path, "rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
        return [line for line in text.splitlines() if CRASH_MARK.search(line)]

    def seed_page(self, image: bytes, width: int = 100, height: int = 100) -> str:
        """A one-page document whose stored page image is exactly ``image`` (not checked by an upload)."""
        document_id = uuid.uuid4()
        key = f"fuzz/{document_id}/page.png"
        self.storage.put(key, image)
        self.repository.create_document(
            document_id=document_id,
            filename="fuzz.png",
            content_type="image/png",
            source_key=key,
            size_bytes=len(image),
            sha256="",
            request_id=None,
            pages=[NewPage(1, key, width, height, 150)],
        )
        pages, _ = self.repository.list_pages(document_id, after=0, limit=1)
        return str(pages[0].id)


def check_status(error: grpc.RpcError) -> grpc.StatusCode:
    """The code of a failed call, after checking it is one bad input may get and carries a reason."""
    code = error.code()
    assert code not in NEVER, f"{code.name}: {error.details()[:200]}"
    assert len((error.details() or "").encode()) <= MAX_MESSAGE_BYTES, f"{code.name}: a message of {len(error.details())} characters"
    if code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED):
        return code
    status = rpc_status.from_call(error)
    assert status is not None, f"{code.name} without a rich status: {error.details()[:200]}"
    assert status.message == error.details()
    reasons = []
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            reasons.append(info.reason)
    assert reasons and all(reasons), f"{code.name} without an ErrorInfo reason: {error.details()}"
    return code


@pytest.fixture(scope="module")
def fuzz_server(postgres, tmp_path_factory) -> Iterator[FuzzServer]:
    root = tmp_path_factory.mktemp("fuzz")
    metrics_port = free_port()
    database_url = postgres.new_database()
    objects = (root / "objects").as_uri()
    env = {
        "PLANOCR_LISTEN": "127.0.0.1:0",
        "PLANOCR_DATA_DIR": str(root / "data"),
        "PLANOCR_DATABASE_URL": database_url,
        "PLANOCR_MIGRATE_ON_START": "true",
        "PLANOCR_STORAGE_URL": objects,
        "PLANOCR_ENGINE": "null",
        "PLANOCR_OCR_WORKERS": "2",
        "PLANOCR_MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
        "PLANOCR_MAX_IMAGE_PIXELS": str(MAX_PIXELS),
        "PLANOCR_MAX_PAGE_PIXELS": str(MAX_PIXELS),
        "PLANOCR_RENDER_DPI": "72",
        "PLANOCR_ENGINE_TIMEOUT": "20",
        "PLANOCR_GRACE_SECONDS": "2",
        "PLANOCR_LOG_FORMAT": "text",
        "PLANOCR_LOG_LEVEL": "WARNING",
        "PLANOCR_METRICS_LISTEN": f"127.0.0.1:{metrics_port}",
    }
    log_path = root / "server.log"
    process = ServerProcess(env, log_path)
    process.start(timeout=90)
    channel = grpc.insecure_channel(process.address)
    engine = create_db_engine(Settings(database_url=database_url, data_dir=root / "client"))
    try:
        grpc.channel_ready_future(channel).result(timeout=30)
        stub = pb_grpc.OcrServiceStub(channel)
        pdf = seed_files()["pdf"]

        def upload():
            yield pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename="seed.pdf"))
            yield pb.CreateDocumentRequest(chunk=pdf)

        document = stub.CreateDocument(upload(), timeout=60).document
        pages = stub.ListPages(pb.ListPagesRequest(document_id=document.document_id), timeout=30).pages
        server = FuzzServer(
            process=process,
            stub=stub,
            repository=Repository(create_sessionmaker(engine)),
            storage=open_storage(objects),
            log_path=log_path,
            document_id=document.document_id,
            page_ids=[p.page_id for p in pages],
        )
        yield server
        # No input, however bad, was answered INTERNAL or UNKNOWN: the metric an operator alerts on stays at zero.
        handled = [
            (dict(labels)["grpc_method"], dict(labels)["grpc_code"], value)
            for (name, labels), value in scrape(metrics_port).items()
            if name == "grpc_server_handled_total"
        ]
        assert handled and [h for h in handled if h[1] in ("INTERNAL", "UNKNOWN") and h[2]] == []
    finally:
        channel.close()
        engine.dispose()
        process.stop()
        postgres.drop(database_url)
