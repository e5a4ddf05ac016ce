"""Several planocr server processes on loopback sharing one database and one object folder.

Used by the scale-out tests and by ``bench/scaleout.py``. Each replica is a
``testkit.procserver`` process with the counting engine, which appends
``<width>x<height> <server pid> <reader pid>`` to one shared log per engine
call, so a test can tell which replica read which page and whether any page
was read twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import ocr_service_pb2_grpc as pb_grpc
from testkit.ports import free_ports
from testkit.procserver import ServerProcess


@dataclass
class EngineCall:
    size: str
    pid: int


def engine_calls(log: Path) -> list[EngineCall]:
    if not log.exists():
        return []
    calls = []
    for line in log.read_text().splitlines():
        size, pid, _reader = line.split()
        calls.append(EngineCall(size, int(pid)))
    return calls


@dataclass
class Replicas:
    servers: list[ServerProcess]
    engine_log: Path
    channel: grpc.Channel

    @property
    def stub(self) -> pb_grpc.OcrServiceStub:
        """A stub on the first replica, the one that receives ProcessDocument."""
        return pb_grpc.OcrServiceStub(self.channel)

    @property
    def pids(self) -> set[int]:
        return {s.proc.pid for s in self.servers if s.proc is not None}

    def upload(self, data: bytes, filename: str = "set.tif") -> str:
        def messages():
            yield pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename=filename))
            for start in range(0, len(data), 256 * 1024):
                yield pb.CreateDocumentRequest(chunk=data[start : start + 256 * 1024])

        return self.stub.CreateDocument(messages(), timeout=120).document.document_id

    def process(self, document_id: str, timeout: float = 300, **options) -> tuple[list[pb.ProcessDocumentResponse], float]:
        """Run ProcessDocument on the first replica; the events and the seconds it took."""
        started = time.perf_counter()
        request = pb.ProcessDocumentRequest(document_id=document_id, options=pb.ProcessOptions(**options))
        events = list(self.stub.ProcessDocument(request, timeout=timeout))
        return events, time.perf_counter() - started


@contextmanager
def replicas(
    count: int,
    root: Path,
    database_url: str,
    *,
    delay: float = 0.0,
    workers: int = 2,
    spread: bool = True,
    extra_env: dict[str, str] | None = None,
    credentials: grpc.ChannelCredentials | None = None,
) -> Iterator[Replicas]:
    """Start ``count`` replicas on one database and object folder; with ``spread``, PLANOCR_PEERS names them all."""
    root.mkdir(parents=True, exist_ok=True)
    engine_log = root / "engine-calls.log"
    ports = free_ports(count)
    addresses = [f"127.0.0.1:{port}" for port in ports]
    base = {
        "PLANOCR_DATABASE_URL": database_url,
        "PLANOCR_STORAGE_URL": (root / "objects").as_uri(),
        "PLANOCR_DATA_DIR": str(root / "data"),
        "PLANOCR_MIGRATE_ON_START": "true",
        "PLANOCR_OCR_WORKERS": str(workers),
        "PLANOCR_LOG_LEVEL": "WARNING",
        "PLANOCR_TEST_ENGINE_LOG": str(engine_log),
        "PLANOCR_TEST_ENGINE_DELAY": str(delay),
        **(extra_env or {}),
    }
    if spread:
        base["PLANOCR_PEERS"] = "ipv4:" + ",".join(addresses)
    servers = [
        ServerProcess({**base, "PLANOCR_LISTEN": address}, root / f"replica{index}.log")
        for index, address in enumerate(addresses)
    ]
    channel = None
    try:
        for server in servers:
            server.start()
        address = servers[0].address
        channel = grpc.secure_channel(address, credentials) if credentials else grpc.insecure_channel(address)
        yield Replicas(servers, engine_log, channel)
    finally:
        if channel is not None:
            channel.close()
        for server in servers:
            server.stop()
