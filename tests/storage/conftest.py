"""Fixtures for the storage tests: every backend behind one ``storage`` fixture.

The contract tests in ``test_storage_contract.py`` take ``storage`` (or
``backend``) and run once per backend: the local directory, S3 against a real
moto server process, and S3 with a key prefix in the URL.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from planocr.storage import Storage, open_storage
from tests.support.s3server import MotoServer


@dataclass
class Backend:
    """How to reach one freshly made, empty store."""

    name: str
    kind: str
    url: str
    credentials: dict[str, str] = field(default_factory=dict)

    def open(self) -> Storage:
        return open_storage(self.url, **self.credentials)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server for the session; tests isolate themselves with a fresh bucket."""
    with MotoServer() as server:
        yield server


@pytest.fixture
def bucket_name() -> str:
    return f"planocr-test-{uuid.uuid4().hex[:16]}"


def _local(tmp_path: Path, server: Callable[[], MotoServer], bucket: str) -> Backend:
    return Backend("local", "local", (tmp_path / "objects").as_uri())


def _s3(tmp_path: Path, server: Callable[[], MotoServer], bucket: str) -> Backend:
    moto = server()
    return Backend("s3", "s3", moto.url(bucket), moto.credentials)


def _s3_prefixed(tmp_path: Path, server: Callable[[], MotoServer], bucket: str) -> Backend:
    moto = server()
    return Backend("s3-prefixed", "s3", moto.url(bucket, "tenants/acme"), moto.credentials)


_BACKENDS = {"local": _local, "s3": _s3, "s3-prefixed": _s3_prefixed}


@pytest.fixture(params=sorted(_BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path, bucket_name: str) -> Backend:
    # The moto server is only started when an S3 backend is actually requested.
    return _BACKENDS[request.param](tmp_path, lambda: request.getfixturevalue("moto_server"), bucket_name)


@pytest.fixture
def storage(backend: Backend) -> Iterator[Storage]:
    store = backend.open()
    yield store
    store.close()
