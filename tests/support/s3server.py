"""A real S3-compatible server (moto's standalone server) in a child process, for tests.

    with MotoServer() as server:
        storage = open_storage(server.url("bucket"), **server.credentials)

The server keeps its port across ``stop()`` / ``start()`` so fault tests can
take the storage away mid-run and bring it back. moto keeps everything in
memory: a restarted server starts empty.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from types import TracebackType

from testkit.ports import free_port

ACCESS_KEY = "planocr-test-access"
SECRET_KEY = "planocr-test-secret-6f1d2c9a"
REGION = "us-east-1"


class MotoServer:
    """One ``moto.server`` process on ``127.0.0.1:port``."""

    host = "127.0.0.1"
    access_key = ACCESS_KEY
    secret_key = SECRET_KEY
    region = REGION

    def __init__(self, port: int | None = None, *, start_timeout: float = 30.0) -> None:
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - kept for the process's life

    @property
    def endpoint(self) -> str:
        """``host:port`` as the S3 client wants it."""
        return f"{self.host}:{self.port}"

    @property
    def credentials(self) -> dict[str, str]:
        """Keyword arguments for ``open_storage`` / ``S3Storage.from_url``."""
        return {"access_key": self.access_key, "secret_key": self.secret_key}

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def url(self, bucket: str, prefix: str = "") -> str:
        """A planocr storage URL for ``bucket`` (and an optional key prefix) on this server."""
        path = f"/{prefix.strip('/')}" if prefix else ""
        return f"s3://{bucket}{path}?endpoint={self.endpoint}&secure=false&region={self.region}"

    def start(self) -> None:
        """Start the server and return once it answers HTTP; no-op if it is already running."""
        if self.running:
            return
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-p", str(self.port), "-H", self.host],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto server exited with {self._process.returncode}:\n{self._log_tail()}")
            if self._answers():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto server did not answer on {self.endpoint} in {self.start_timeout} s")

    def stop(self) -> None:
        """Stop the server and wait until its port is closed; no-op if it is not running."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while self._accepts_connections() and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server and drop its log."""
        self.stop()
        self._log.close()

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MotoServer(endpoint={self.endpoint!r}, running={self.running})"

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.endpoint}/moto-api/", timeout=1) as response:
                return response.status == 200
        except urllib.error.HTTPError:
            return True  # any HTTP answer means the server is up
        except OSError:
            return False

    def _accepts_connections(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _log_tail(self, limit: int = 4000) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-limit:]
