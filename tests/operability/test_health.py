"""grpc.health.v1: SERVING only while the database and storage answer; `planocr health` for probes."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from planocr.rpc.server import SERVICE_NAME
from tests.conftest import make_settings
from tests.operability.helpers import BIN
from tests.support.polling import wait_until

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def status(channel: grpc.Channel, service: str = "") -> int:
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status


def planocr_health(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "planocr"), "health", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serving_follows_storage(start_server):
    running = start_server(health_interval=0.1)
    assert status(running.channel) == SERVING
    assert status(running.channel, SERVICE_NAME) == SERVING

    objects = Path(running.server.storage.root)
    shutil.rmtree(objects)
    assert wait_until(lambda: status(running.channel) == NOT_SERVING, timeout=5)
    assert status(running.channel, SERVICE_NAME) == NOT_SERVING

    objects.mkdir()
    assert wait_until(lambda: status(running.channel) == SERVING, timeout=5)


@pytest.mark.postgres
def test_not_serving_once_the_database_is_gone(start_server, tmp_path, postgres):
    url = postgres.new_database()
    running = start_server(make_settings(tmp_path, url, health_interval=0.1, health_timeout=2.0))
    assert status(running.channel) == SERVING
    postgres.drop(url)  # terminates the server's connections and removes the database
    assert wait_until(lambda: status(running.channel) == NOT_SERVING, timeout=10)


def test_storage_that_never_answers_is_not_serving(start_server, tmp_path, caplog):
    """A check that hangs counts as a failure after health_timeout, not as the last good answer."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        silent.listen(16)
        url = f"s3://planocr?endpoint=127.0.0.1:{silent.getsockname()[1]}&secure=false"
        running = start_server(
            make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", storage_url=url,
                          s3_access_key="ak-test", s3_secret_key="sk-test-0001", health_interval=0.2, health_timeout=0.5)
        )
        assert status(running.channel) == NOT_SERVING
        samples = running.server.metrics.registry
        assert samples.get_sample_value("planocr_health_check_failures_total", {"component": "timeout"}) >= 1
        assert any(r.getMessage().startswith("health: NOT_SERVING (no answer from the database or storage") for r in caplog.records)


def test_watch_hears_not_serving_when_shutdown_starts(start_server):
    running = start_server()
    stream = health_pb2_grpc.HealthStub(running.channel).Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
    seen: list[int] = []
    done = threading.Event()

    def follow() -> None:
        try:
            for reply in stream:
                seen.append(reply.status)
        except grpc.RpcError:
            pass
        done.set()

    threading.Thread(target=follow, daemon=True).start()
    assert wait_until(lambda: seen[:1] == [SERVING])
    running.server.stop(grace=1.0)
    assert done.wait(10)
    assert seen[-1] == NOT_SERVING


def test_planocr_health_exit_codes(start_server):
    running = start_server()
    ok = planocr_health("--server", running.address)
    assert ok.returncode == 0, ok.stderr
    assert "SERVING" in ok.stdout

    # Inside a container the server listens on 0.0.0.0: the probe asks loopback.
    port = running.address.rpartition(":")[2]
    from_settings = planocr_health(env={"PLANOCR_LISTEN": f"0.0.0.0:{port}"})
    assert from_settings.returncode == 0, from_settings.stderr

    shutil.rmtree(running.server.storage.root)
    running.server.check_health()
    not_serving = planocr_health("--server", running.address)
    assert not_serving.returncode == 1
    assert "NOT_SERVING" in not_serving.stderr

    running.server.stop(grace=0.5)
    gone = planocr_health("--server", running.address, "--timeout", "2")
    assert gone.returncode == 1
    assert "UNAVAILABLE" in gone.stderr or "DEADLINE_EXCEEDED" in gone.stderr
