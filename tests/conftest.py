"""Shared fixtures: real databases (SQLite and PostgreSQL), real servers on loopback ports."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import grpc
import pytest

from planocr.config import Settings
from planocr.db.repository import NewPage
from planocr.engines.registry import EngineRegistry
from planocr.rpc.server import PlanocrServer, create_server
from planocr.v1 import ocr_service_pb2_grpc
from testkit.postgres import PostgresProvider


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresProvider]:
    provider = PostgresProvider()
    yield provider
    provider.close()


@pytest.fixture
def pg_url(postgres: PostgresProvider) -> Iterator[str]:
    url = postgres.new_database()
    yield url
    postgres.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """Each test using this runs twice: on SQLite and on a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'planocr.db'}"
    else:
        yield request.getfixturevalue("pg_url")


def make_settings(tmp_path, database_url: str | None = None, **overrides) -> Settings:
    values = {
        "listen": "127.0.0.1:0",
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "migrate_on_start": True,
        "engine": "null",
        "log_format": "text",
        "grace_seconds": 2.0,
        "retry_backoff": 0.01,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Running:
    server: PlanocrServer
    channel: grpc.Channel
    stub: ocr_service_pb2_grpc.OcrServiceStub

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def seed_page(self, image: bytes, *, page_number: int = 1, width: int = 1700, height: int = 1100, key: str | None = None, dpi: int | None = 150) -> str:
        """Store an image and create a one-page document the way the existing app does."""
        document_id = uuid.uuid4()
        image_key = key or f"seed/{document_id}/page.png"
        if image is not None:
            self.server.storage.put(image_key, image)
        self.server.repository.create_document(
            document_id=document_id,
            filename="seed.png",
            content_type="image/png",
            source_key=image_key,
            size_bytes=len(image or b""),
            sha256="",
            request_id=None,
            pages=[NewPage(page_number, image_key, width, height, dpi)],
        )
        pages, _ = self.server.repository.list_pages(document_id, after=0, limit=10)
        return str(pages[0].id)

    def seed_document(self, images: list[bytes], width: int = 1700, height: int = 1100) -> tuple[str, list[str]]:
        document_id = uuid.uuid4()
        pages = []
        for number, image in enumerate(images, start=1):
            key = f"seed/{document_id}/{number:04d}.png"
            self.server.storage.put(key, image)
            pages.append(NewPage(number, key, width, height, 150))
        self.server.repository.create_document(
            document_id=document_id,
            filename="seed.pdf",
            content_type="application/pdf",
            source_key=f"seed/{document_id}",
            size_bytes=0,
            sha256="",
            request_id=None,
            pages=pages,
        )
        records, _ = self.server.repository.list_pages(document_id, after=0, limit=10_000)
        return str(document_id), [str(p.id) for p in records]


@pytest.fixture
def start_server(tmp_path) -> Iterator[Callable[..., Running]]:
    """Start real servers on loopback ports; all are stopped at the end of the test."""
    started: list[Running] = []

    def start(settings: Settings | None = None, *, engines: EngineRegistry | None = None, **overrides) -> Running:
        settings = settings or make_settings(tmp_path / f"s{len(started)}", **overrides)
        server, port = create_server(settings, engines=engines)
        server.start()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        running = Running(server, channel, ocr_service_pb2_grpc.OcrServiceStub(channel))
        started.append(running)
        return running

    yield start
    for running in started:
        running.channel.close()
        running.server.stop(grace=1.0)
