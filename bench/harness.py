"""What every benchmark needs: a throwaway PostgreSQL database, a server process, timing helpers.

The server is started the way it runs in production (``python -m
planocr.cli serve`` configured by ``PLANOCR_*`` variables, JSON logs at
INFO), on a loopback port, and is ready once its health check says SERVING.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from planocr.v1 import ocr_service_pb2 as pb
from planocr.v1 import ocr_service_pb2_grpc as pb_grpc
from testkit.ports import free_port
from testkit.postgres import PostgresProvider

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 1024 * 1024
#: How a server is started: as in production, by the command line.
SERVE = ("-m", "planocr.cli", "serve")
#: The same server with a one-pass tesseract engine (bench/singlepass.py).
SERVE_SINGLE_PASS = ("-m", "bench.singlepass")


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def cpu_pressure() -> float | None:
    """Share of the last 60 s in which some runnable task waited for a CPU (Linux PSI), in percent."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    fields = dict(part.split("=") for part in line.split()[1:])
    return float(fields["avg60"])


@dataclass
class Workspace:
    """A scratch folder and a PostgreSQL server for one benchmark run."""

    root: Path
    postgres: PostgresProvider
    databases: list[str] = field(default_factory=list)

    def database(self) -> str:
        url = self.postgres.new_database()
        self.databases.append(url)
        return url

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path


@contextmanager
def workspace(keep: bool = False) -> Iterator[Workspace]:
    root = Path(tempfile.mkdtemp(prefix="planocr-bench-"))
    space = Workspace(root, PostgresProvider())
    try:
        yield space
    finally:
        for url in space.databases:
            try:
                space.postgres.drop(url)
            except Exception:  # noqa: BLE001 - cleanup must not hide the benchmark's own error
                pass
        space.postgres.close()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


@dataclass
class Server:
    """A running ``planocr serve`` process."""

    proc: subprocess.Popen
    address: str
    log: Path
    channel: grpc.Channel

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def stub(self) -> pb_grpc.OcrServiceStub:
        return pb_grpc.OcrServiceStub(self.channel)

    def peak_rss_mb(self) -> float:
        """The process's peak resident memory so far (VmHWM), in MiB."""
        return _proc_status_kb(self.pid, "VmHWM") / 1024

    def rss_mb(self) -> float:
        return _proc_status_kb(self.pid, "VmRSS") / 1024

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # utime and stime are fields 14 and 15 of stat(5); the split starts at field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/{pid}/status")


@contextmanager
def server(space: Workspace, name: str, database_url: str, *, command: Sequence[str] = SERVE, **settings: object) -> Iterator[Server]:
    """Start a server with its own object folder on ``database_url``; ``settings`` become PLANOCR_* variables."""
    folder = space.folder(name)
    address = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "PLANOCR_LISTEN": address,
        "PLANOCR_DATABASE_URL": database_url,
        "PLANOCR_DATA_DIR": str(folder / "data"),
        "PLANOCR_STORAGE_URL": (folder / "objects").as_uri(),
        "PLANOCR_MIGRATE_ON_START": "true",
        "PLANOCR_LOG_FORMAT": "json",
    }
    env.update({f"PLANOCR_{key.upper()}": str(value) for key, value in settings.items()})
    log = folder / "server.log"
    with open(log, "ab") as stderr:
        proc = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env, stdout=stderr, stderr=stderr)
    channel = grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", 64 * CHUNK)])
    try:
        _wait_serving(channel, proc, log)
        yield Server(proc, address, log, channel)
    finally:
        channel.close()
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_serving(channel: grpc.Channel, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log}")
        try:
            reply = health.Check(health_pb2.HealthCheckRequest(), timeout=1)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.RpcError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not become ready in {timeout:.0f} s; see {log}")


# -- calls ------------------------------------------------------------------


def upload(stub: pb_grpc.OcrServiceStub, data: bytes, filename: str, render_dpi: int = 0) -> str:
    def messages():
        yield pb.CreateDocumentRequest(metadata=pb.DocumentUpload(filename=filename, render_dpi=render_dpi))
        for start in range(0, len(data), CHUNK):
            yield pb.CreateDocumentRequest(chunk=data[start : start + CHUNK])

    return stub.CreateDocument(messages(), timeout=1800).document.document_id


@dataclass
class DocumentTiming:
    seconds: float
    first_message: float
    first_page: float | None
    completed: int
    failed: int


def process_document(stub: pb_grpc.OcrServiceStub, document_id: str, **options: object) -> DocumentTiming:
    """ProcessDocument to the end, timed from the call to the summary."""
    request = pb.ProcessDocumentRequest(document_id=document_id, options=pb.ProcessOptions(**options))
    started = time.perf_counter()
    first_message = first_page = None
    summary = None
    for event in stub.ProcessDocument(request, timeout=3600):
        now = time.perf_counter() - started
        if first_message is None:
            first_message = now
        kind = event.WhichOneof("event")
        if kind == "page" and first_page is None:
            first_page = now
        if kind == "summary":
            summary = event.summary
    elapsed = time.perf_counter() - started
    if summary is None:
        raise RuntimeError("ProcessDocument ended without a summary")
    return DocumentTiming(elapsed, first_message or elapsed, first_page, summary.completed, summary.failed)


# -- numbers ----------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100), nearest rank."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> float:
    """(max - min) / median: how much repeats of one measurement disagreed."""
    if len(values) < 2:
        return 0.0
    return (max(values) - min(values)) / statistics.median(values)


def run_command(args: list[str] | str, *, env: dict[str, str] | None = None, cwd: Path | None = None, shell: bool = False) -> float:
    """Run a command to completion; its wall time in seconds. Raises if it fails."""
    started = time.perf_counter()
    result = subprocess.run(args, env={**os.environ, **(env or {})}, cwd=cwd, shell=shell, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{args if isinstance(args, str) else ' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed


def settle(max_wait: float, threshold: float = 1.0) -> float:
    """Wait up to ``max_wait`` seconds for the 1-minute load average to fall below ``threshold``.

    Returns the load average when it stopped waiting. Other work on a shared
    machine still moves absolute times; this only avoids starting in a burst.
    """
    deadline = time.monotonic() + max_wait
    while os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        time.sleep(5)
    return load_average()
