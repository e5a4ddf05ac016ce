"""Fixtures: a real gRPC server with the fake OcrService on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from planocr.client import PlanocrClient, RetryPolicy
from tests.client.fake_service import FakeOcrService, FakeServer

# Short backoff so retry tests take milliseconds, not seconds.
FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.05)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


@pytest.fixture
def fake(server: FakeServer) -> FakeOcrService:
    return server.service


@pytest.fixture
def client(server: FakeServer) -> Iterator[PlanocrClient]:
    with PlanocrClient(server.target, timeout=5.0, retry=FAST_RETRY) as planocr:
        yield planocr
