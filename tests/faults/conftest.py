"""The fault-test stack: a private PostgreSQL, a moto S3 server and planocr server processes.

Every fault test breaks one real part on purpose: the PostgreSQL cluster is
stopped or restarted with ``pg_ctl``, the moto process is stopped, the
planocr process is killed with SIGKILL, or the engine (in one of the server's
engine worker processes, or in the server itself in thread isolation)
crashes, hangs, answers garbage, kills its process or runs out of memory on
chosen pages (``testkit.procserver``).

Pages are told apart by their image width: page ``n`` of a document made
by :meth:`Stack.upload` is ``page_width(n)`` pixels wide, and the
counting engine logs every call with the image size, so the tests count how
often each page went through the engine, across processes.
"""

from __future__ import annotations

import collections
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import psycopg2
import psycopg2.extras
import pytest
from google.rpc import error_details_pb2, status_pb2

from planocr.storage import Storage, open_storage
from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import ocr_service_pb2_grpc as pb_grpc
from testkit.documents import page_number, tiff_document
from testkit.ports import free_port
from testkit.postgres import PostgresCluster, create_database
from testkit.procserver import ServerProcess
from tests.operability.helpers import scrape
from tests.support.s3server import MotoServer

#: What a server log shows for a bug of the service: the INTERNAL answer's line, or a traceback.
CRASH_MARK = re.compile(r"crashed \(incident|Traceback \(most recent call last\)")


@pytest.fixture(scope="session")
def fault_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of our own, which the tests may stop and restart."""
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="session")
def fault_moto() -> Iterator[MotoServer]:
    """A moto S3 server process of our own, which the tests may stop and start."""
    with MotoServer() as server:
        yield server


def error_info(status: status_pb2.Status) -> error_details_pb2.ErrorInfo:
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    raise AssertionError(f"no ErrorInfo in status {status}")


def rpc_reason(error: grpc.RpcError) -> str:
    from grpc_status import rpc_status

    status = rpc_status.from_call(error)
    assert status is not None, f"{error.code()} carries no rich status: {error.details()}"
    return error_info(status).reason


def page_events(events: Iterable[pb.ProcessDocumentResponse]) -> list[pb.PageProcessed]:
    return [e.page for e in events if e.WhichOneof("event") == "page"]


@dataclass
class Stack:
    cluster: PostgresCluster
    moto: MotoServer
    database_url: str
    bucket: str
    root: Path
    servers: list[ServerProcess] = field(default_factory=list)
    channels: list[grpc.Channel] = field(default_factory=list)
    #: Set by a test whose faults are bugs on purpose (a crashing engine answers INTERNAL).
    internal_expected: bool = False

    @property
    def engine_log(self) -> Path:
        return self.root / "engine-calls.log"

    def env(self, **overrides: str) -> dict[str, str]:
        values = {
            "PLANOCR_LISTEN": "127.0.0.1:0",
            "PLANOCR_DATA_DIR": str(self.root / "data"),
            "PLANOCR_DATABASE_URL": self.database_url,
            "PLANOCR_MIGRATE_ON_START": "true",
            "PLANOCR_STORAGE_URL": self.moto.url(self.bucket),
            "PLANOCR_S3_ACCESS_KEY": self.moto.access_key,
            "PLANOCR_S3_SECRET_KEY": self.moto.secret_key,
            "PLANOCR_TEST_ENGINE_LOG": str(self.engine_log),
            "PLANOCR_TEST_ENGINE_DELAY": "0.05",
            "PLANOCR_OCR_WORKERS": "2",
            "PLANOCR_GRACE_SECONDS": "2",
            "PLANOCR_RETRY_BACKOFF": "0.1",
            "PLANOCR_LOG_LEVEL": "INFO",
            "PLANOCR_LOG_FORMAT": "text",
        }
        values.update(overrides)
        return values

    def start_server(self, **overrides: str) -> ServerProcess:
        """A server process with a metrics port of its own (``server.metrics_port``), read when the test ends."""
        metrics_port = free_port()
        overrides.setdefault("PLANOCR_METRICS_LISTEN", f"127.0.0.1:{metrics_port}")
        server = ServerProcess(self.env(**overrides), self.root / f"server{len(self.servers)}.log")
        server.metrics_port = metrics_port
        self.servers.append(server)
        server.start(timeout=90)
        return server

    def server_log(self, server: ServerProcess) -> str:
        return server.log_path.read_text(errors="replace") if server.log_path and server.log_path.exists() else ""

    def stub(self, server: ServerProcess) -> pb_grpc.OcrServiceStub:
        channel = grpc.insecure_channel(server.address)
        self.channels.append(channel)
        grpc.channel_ready_future(channel).result(timeout=30)
        return pb_grpc.OcrServiceStub(channel)

    def storage(self, kind: str = "s3") -> Storage:
        """The stack's S3 bucket, or (``kind="local"``) the folder ``local_storage_url`` names."""
        if kind == "local":
            return open_storage(self.local_storage_url())
        return open_storage(self.moto.url(self.bucket), **self.moto.credentials)

    def storage_url(self, kind: str) -> str:
        return self.local_storage_url() if kind == "local" else self.moto.url(self.bucket)

    def local_storage_url(self) -> str:
        """A local object folder for servers started with ``PLANOCR_STORAGE_URL`` set to it."""
        return (self.root / "objects").as_uri()

    def upload(self, stub: pb_grpc.OcrServiceStub, pages: int) -> tuple[str, dict[int, str]]:
        """Create a document of ``pages`` pages through the API; returns its id and {page number: page id}."""
        data = tiff_document(pages)

        def messages():
            yield pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename="set.tif"))
            yield pb.CreateDocumentRequest(chunk=data)

        document = stub.CreateDocument(messages(), timeout=120).document
        assert document.page_count == pages
        listed = stub.ListPages(pb.ListPagesRequest(document_id=document.document_id, page_size=1000), timeout=30)
        return document.document_id, {p.page_number: p.page_id for p in listed.pages}

    # -- looking at the database and the engine log directly -------------------

    def rows(self, document_id: str) -> list[dict]:
        """The pages' rows as PostgreSQL holds them, in page order."""
        conn = psycopg2.connect(self.database_url, connect_timeout=10)
        try:
            with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                cur.execute(
                    "select id::text as id, page_number, status, lease_owner, lease_expires_at, attempts,"
                    " processed_at, error_code, error_reason, processing_error"
                    " from pages where document_id = %s order by page_number",
                    (document_id,),
                )
                return [dict(r) for r in cur.fetchall()]
        finally:
            conn.close()

    def count(self, table: str) -> int:
        """Rows in one of the service's tables, as PostgreSQL holds them."""
        assert table in ("documents", "pages", "upload_claims")
        conn = psycopg2.connect(self.database_url, connect_timeout=10)
        try:
            with conn.cursor() as cur:
                cur.execute(f"select count(*) from {table}")
                return cur.fetchone()[0]
        finally:
            conn.close()

    def sql(self, statement: str, params: tuple = ()) -> list[tuple]:
        """Run one statement on the stack's database and commit; returns the rows it gave back, if any."""
        conn = psycopg2.connect(self.database_url, connect_timeout=10)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def crash_lines(self, server: ServerProcess) -> list[str]:
        """Lines of a server's log that show a bug: an INTERNAL answer or any traceback."""
        return [line for line in self.server_log(server).splitlines() if CRASH_MARK.search(line)]

    def engine_calls(self) -> collections.Counter[int]:
        """Engine calls so far by page number, across every server process."""
        if not self.engine_log.exists():
            return collections.Counter()
        counts: collections.Counter[int] = collections.Counter()
        for line in self.engine_log.read_text().splitlines():
            width = int(line.split()[0].split("x")[0])
            counts[page_number(width)] += 1
        return counts

    def internal_calls(self, server: ServerProcess) -> dict[str, float]:
        """Calls a live server answered INTERNAL, by method, from its ``grpc_server_handled_total``."""
        counts: dict[str, float] = {}
        for (name, labels), value in scrape(server.metrics_port).items():
            label = dict(labels)
            if name == "grpc_server_handled_total" and label["grpc_code"] in ("INTERNAL", "UNKNOWN") and value:
                counts[label["grpc_method"]] = counts.get(label["grpc_method"], 0) + value
        return counts

    def close(self) -> None:
        """Stop everything; then fail the test if a server that was still running answered INTERNAL."""
        for channel in self.channels:
            channel.close()
        internal = {}
        for server in self.servers:
            if server.proc is not None and server.proc.poll() is None:
                try:
                    internal.update({f"{server.log_path.name}: {m}": n for m, n in self.internal_calls(server).items()})
                except OSError:
                    pass  # the metrics endpoint is gone with a stopped server
            server.stop(timeout=20)
        assert self.internal_expected or not internal, f"calls answered INTERNAL: {internal}"


@pytest.fixture
def stack(fault_cluster: PostgresCluster, fault_moto: MotoServer, tmp_path: Path) -> Iterator[Stack]:
    """A fresh database and bucket on the shared fault servers; servers started by the test are stopped after it."""
    # A previous test may have stopped either server; every test starts with both up.
    if not _pg_running(fault_cluster):
        fault_cluster.start()
    fault_moto.start()
    url = create_database(fault_cluster.admin_url)
    built = Stack(fault_cluster, fault_moto, url, f"faults-{uuid.uuid4().hex[:12]}", tmp_path)
    yield built
    built.close()


def _pg_running(cluster: PostgresCluster) -> bool:
    return (cluster.data / "postmaster.pid").exists()
