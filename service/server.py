"""Builds the whole service from settings, and runs it.

``create_server(settings)`` wires everything (database engine, storage,
engines, pools, servicer, health, reflection, interceptors) and binds the
port without starting, so tests can run it on port 0. ``serve(settings)``
adds signal handling and a graceful stop.
"""

from __future__ import annotations

import logging
import signal
import threading
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from planocr.config import Settings
from planocr.db import migrate
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.repository import Repository
from planocr.engines.base import OcrEngine
from planocr.engines.registry import EngineRegistry
from planocr.errors import PlanocrError
from planocr.interceptors import ErrorInterceptor
from planocr.pipeline import CancelToken, Pipeline
from planocr.servicer import OcrServicer
from planocr.storage import Storage, open_storage
from planocr.uploads import Uploads
from planocr.v1 import ocr_service_pb2, ocr_service_pb2_grpc
from planocr.workers import EngineRunner, OcrPool

log = logging.getLogger(__name__)

SERVICE_NAME = ocr_service_pb2.DESCRIPTOR.services_by_name["OcrService"].full_name
HEALTH_INTERVAL = 5.0


@dataclass
class PlanocrServer:
    """A built service: the grpc.Server and everything it shares."""

    settings: Settings
    grpc_server: grpc.Server
    port: int
    repository: Repository
    storage: Storage
    engines: EngineRegistry
    pipeline: Pipeline
    pool: OcrPool
    runner: EngineRunner
    health: health.HealthServicer
    db_engine: object
    stopping: CancelToken = field(default_factory=CancelToken)
    _health_stop: threading.Event = field(default_factory=threading.Event)
    _stopped: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.grpc_server.start()
        self.check_health()
        threading.Thread(target=self._health_loop, name="planocr-health", daemon=True).start()
        log.info("planocr serving on port %d (engine %s, storage %s)", self.port, self.settings.engine, self.storage.kind)

    def check_health(self) -> bool:
        """SERVING only while the database and storage answer."""
        try:
            self.repository.ping()
            self.storage.check()
            serving = True
        except PlanocrError as error:
            log.warning("health check failed: %s", error.message)
            serving = False
        if self.stopping.cancelled:
            serving = False
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", SERVICE_NAME):
            self.health.set(name, status)
        return serving

    def _health_loop(self) -> None:
        while not self._health_stop.wait(HEALTH_INTERVAL):
            self.check_health()

    def stop(self, grace: float | None = None) -> None:
        """Stop taking calls, give calls in flight ``grace`` seconds, then release what is unfinished."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        grace = self.settings.grace_seconds if grace is None else grace
        self.health.enter_graceful_shutdown()
        self._health_stop.set()
        self.grpc_server.stop(grace).wait()
        # Calls are over; jobs still running see the token, and save or release their page.
        self.stopping.cancel()
        self.pool.shutdown(wait=True)
        self.runner.shutdown()
        try:
            released = self.repository.release_owner(self.pipeline.worker_id)
            if released:
                log.info("released %d unfinished pages", released)
        except PlanocrError:
            log.warning("could not release unfinished pages; their leases will expire")
        self.engines.close()
        self.storage.close()
        self.db_engine.dispose()

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        return self._stopped.wait(timeout)


def build_engine(name: str, cls: type[OcrEngine], settings: Settings) -> OcrEngine:
    """Construct an engine with its options from settings."""
    if name == "tesseract":
        return cls(tessdata=settings.tessdata)
    return cls()


def create_server(settings: Settings, *, engines: EngineRegistry | None = None) -> tuple[PlanocrServer, int]:
    """Build the service and bind its port (``settings.listen``; port 0 picks one). Not started."""
    db_engine = create_db_engine(settings)
    if settings.should_migrate_on_start:
        migrate.upgrade(db_engine)
    repository = Repository(create_sessionmaker(db_engine))
    access, secret = settings.s3_credentials()
    storage = open_storage(settings.resolved_storage_url, access_key=access, secret_key=secret)
    engines = engines or EngineRegistry(settings.engine, factory=lambda name, cls: build_engine(name, cls, settings))
    engines.get()  # fail at start, not on the first page, when the default engine cannot load
    pool = OcrPool(settings.ocr_workers, settings.queue_limit)
    runner = EngineRunner(settings.ocr_workers + 4, settings.engine_timeout)
    pipeline = Pipeline(settings, repository, storage, engines, runner)

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.rpc_threads, thread_name_prefix="planocr-rpc"),
        interceptors=[ErrorInterceptor()],
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=settings.max_concurrent_rpcs,
    )
    stopping = CancelToken()
    servicer = OcrServicer(repository, pipeline, pool, Uploads(settings, repository, storage), stopping)
    ocr_service_pb2_grpc.add_OcrServiceServicer_to_server(servicer, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    if settings.reflection:
        reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    port = server.add_insecure_port(settings.listen)
    if port == 0:
        raise RuntimeError(f"could not bind {settings.listen}")
    built = PlanocrServer(
        settings=settings,
        grpc_server=server,
        port=port,
        repository=repository,
        storage=storage,
        engines=engines,
        pipeline=pipeline,
        pool=pool,
        runner=runner,
        health=health_servicer,
        db_engine=db_engine,
        stopping=stopping,
    )
    return built, port


def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then stop gracefully."""
    server, _port = create_server(settings)
    server.start()
    stop_requested = threading.Event()

    def on_signal(signum, _frame):
        log.info("received %s; stopping within %.0f s", signal.Signals(signum).name, settings.grace_seconds)
        stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stop_requested.wait()
    server.stop()
