"""A planocr server in its own OS process, for multi-process, replica and fault tests and benchmarks.

:class:`ServerProcess` starts this module with the test engines below;
:class:`ServeProcess` starts ``planocr serve`` itself.

Run as ``python -m testkit.procserver``; it reads ``PLANOCR_*`` settings
from the environment, prints ``PORT <n>`` once serving, and handles signals
as ``planocr serve`` does (:func:`planocr.rpc.server.serve`): the first SIGTERM
stops gracefully, a second one releases what it can within a second and
exits. With ``PLANOCR_TEST_ENGINE_LOG`` set, it reads pages with a
counting engine that appends one line per engine call to that file
(``<width>x<height> <server pid> <reader pid>``: the server process's id and
that of the process the engine ran in, one of its engine workers in
process isolation, the server itself in thread isolation), so tests can
count OCR calls across processes; ``PLANOCR_TEST_ENGINE_DELAY`` makes each
call take that long.

``PLANOCR_TEST_ENGINE_FAULTS`` (with the log set) makes chosen pages fail in
the engine, picked by image width: ``crash@203,hang@205,garbage@207`` raises
on the 203-pixel-wide page, blocks on the 205 one and returns nonsense for
the 207 one. Kinds: ``crash`` (raises RuntimeError), ``hang`` (blocks until
the server stops, or its worker process is killed), ``garbage`` (returns a
string, not a result), ``malformed`` (a result whose words are not words),
``unavailable`` (raises the retryable Unavailable a remote engine would),
``segfault`` (the process reading the page kills itself with SIGSEGV, the
first time only: a marker file beside the log remembers it), ``allocate``
(allocates memory until the process's memory limit stops it). Every call is
logged first, so retries can be counted.

The engine is registered by its module path
(:meth:`~planocr.engines.registry.EngineRegistry.register_path`), so the
server's engine worker processes build it too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Self

from PIL import Image

from planocr.core.page import Box, Line, OcrResult, Word
from planocr.engines.base import OcrEngine

ROOT = Path(__file__).resolve().parents[1]


def _pids() -> str:
    """``<server pid> <this pid>``: an engine worker's parent is the server."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    return f"{parent.pid if parent is not None else os.getpid()} {os.getpid()}"


class LoggingEngine(OcrEngine):
    name = "logging"

    def __init__(self, log: str, delay: float):
        self.log = log
        self.delay = delay

    def recognize(self, image: Image.Image, *, dpi: int | None = None) -> OcrResult:
        time.sleep(self.delay)
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{image.width}x{image.height} {_pids()}\n".encode())
        finally:
            os.close(fd)
        word = Word("LOGGED", Box(1, 1, 10, 10), 0.9)
        return OcrResult(image.width, image.height, [Line((word,))], engine=self.name)


FAULT_KINDS = ("crash", "hang", "garbage", "malformed", "unavailable", "segfault", "allocate")
_release_hangs = threading.Event()


def parse_faults(spec: str) -> dict[int, str]:
    """``crash@203,hang@205`` -> {203: "crash", 205: "hang"} (image width -> fault)."""
    faults = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        kind, _, width = item.partition("@")
        if kind not in FAULT_KINDS or not width.isdigit():
            raise ValueError(f"bad PLANOCR_TEST_ENGINE_FAULTS item {item!r}")
        faults[int(width)] = kind
    return faults


class FaultyEngine(LoggingEngine):
    """The logging engine, but pages of chosen widths crash, hang or return garbage."""

    def __init__(self, log: str, delay: float, faults: dict[int, str]):
        super().__init__(log, delay)
        self.faults = faults

    def recognize(self, image: Image.Image, *, dpi: int | None = None):
        fault = self.faults.get(image.width)
        if fault == "segfault":
            marker = Path(f"{self.log}.segfault-{image.width}")
            if marker.exists():
                fault = None
            else:
                marker.touch()
        if fault is None:
            return super().recognize(image, dpi=dpi)
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{image.width}x{image.height} {_pids()} {fault}\n".encode())
        finally:
            os.close(fd)
        if fault == "crash":
            raise RuntimeError("engine crashed on purpose")
        if fault == "hang":
            _release_hangs.wait(600)
            raise RuntimeError("hung engine released at shutdown")
        if fault == "garbage":
            return "\x00garbage\xff"
        if fault == "segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
        if fault == "allocate":
            hoard = []
            while True:
                hoard.append(bytearray(16 << 20))
        if fault == "malformed":
            return OcrResult(image.width, image.height, [Line(("not a word", None))], engine=self.name)  # type: ignore[arg-type]
        from planocr.errors import Reason, Unavailable

        raise Unavailable("the remote engine did not answer", reason=Reason.ENGINE_UNAVAILABLE)


def main() -> None:
    from planocr import logs
    from planocr.config import Settings
    from planocr.engines.registry import EngineRegistry
    from planocr.rpc.server import serve

    settings = Settings()
    logs.configure(settings.log_level, "text")
    engines = None
    if os.environ.get("PLANOCR_TEST_ENGINE_LOG"):
        options = {"log": os.environ["PLANOCR_TEST_ENGINE_LOG"], "delay": float(os.environ.get("PLANOCR_TEST_ENGINE_DELAY", "0"))}
        target = "testkit.procserver:LoggingEngine"
        if os.environ.get("PLANOCR_TEST_ENGINE_FAULTS"):
            options["faults"] = parse_faults(os.environ["PLANOCR_TEST_ENGINE_FAULTS"])
            target = "testkit.procserver:FaultyEngine"
        engines = EngineRegistry.from_settings(settings)  # other engines a call names are built as the server's
        engines.default = LoggingEngine.name
        engines.register_path(LoggingEngine.name, target, **options)
    try:
        serve(settings, engines=engines, on_started=lambda server: print(f"PORT {server.port}", flush=True))
    finally:
        _release_hangs.set()
        # An engine built by its path imported this file again as testkit.procserver, with its own event.
        imported = sys.modules.get("testkit.procserver")
        if imported is not None:
            imported._release_hangs.set()


class ServerProcess:
    """Starts ``python -m testkit.procserver`` and waits for its port; its log goes to ``log_path``.

    ``stop`` ends it as an orchestrator would (SIGTERM, then SIGKILL after
    ``timeout``); as a context manager it is started (unless it already is)
    and stopped.
    """

    def __init__(self, env: dict[str, str], log_path: Path | None = None):
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    def start(self, timeout: float = 60.0) -> Self:
        stderr = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115 - kept for the process's life
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "testkit.procserver"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("PORT "):
                self.port = int(line.split()[1])
                return self
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError(f"server process did not start (exit {self.proc.poll()}); see {self.log_path}")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode if self.proc else None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Self:
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ServeProcess(ServerProcess):
    """``planocr serve`` itself (the production command line, real engines), JSON logs captured from stderr.

    ``lines`` holds every line it logged; ``port`` and ``metrics_port`` are
    read from its "serving" record.
    """

    def __init__(self, env: dict[str, str]):
        super().__init__({"PLANOCR_LOG_FORMAT": "json", "PLANOCR_LISTEN": "127.0.0.1:0", **env})
        self.lines: list[str] = []
        self.metrics_port: int | None = None
        self._ready = threading.Event()

    def start(self, timeout: float = 60.0, command: list[str] | None = None) -> Self:
        self.proc = subprocess.Popen(
            command or [str(Path(sys.executable).parent / "planocr"), "serve"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(timeout) or self.port is None:
            self.kill()
            raise RuntimeError("planocr serve did not start:\n" + "\n".join(self.lines[-30:]))
        return self

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("message", "").startswith("planocr serving on port"):
                self.port = record["port"]
                self.metrics_port = record.get("metrics_port")
                self._ready.set()
        self._ready.set()

    def records(self) -> list[dict]:
        """The JSON log records so far (non-JSON lines fail the calling test)."""
        return [json.loads(line) for line in self.lines if line.strip()]


if __name__ == "__main__":
    main()
