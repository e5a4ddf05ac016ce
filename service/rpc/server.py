"""Builds the whole service from settings, and runs it.

``create_server(settings)`` wires everything (database engine, storage,
engines, pools, servicer, health, reflection, interceptors, TLS, metrics)
and binds the port without starting, so tests can run it on port 0.
``serve(settings)`` adds signal handling and a graceful stop.

Shutdown (:meth:`PlanocrServer.stop`), in order:

1. health turns NOT_SERVING for every service (open Watch streams hear it);
2. the gRPC server refuses new calls and gives calls in flight
   ``PLANOCR_GRACE_SECONDS`` to finish; then the service's own calls are
   ended with CANCELLED and reason SHUTTING_DOWN (uploads stop rendering and
   delete what they stored), and after ``CANCEL_SECONDS`` more gRPC cancels
   whatever is still running;
3. page jobs not started yet are dropped, and jobs inside an engine get up
   to ``DRAIN_SECONDS`` more to save their result (a cancelled job gives its
   page back instead of saving);
4. every page this process still holds is released to ``pending``, so
   nothing is left in ``processing`` for another replica to wait out.

A second SIGTERM or SIGINT does not wait for any of that: within
``FAST_EXIT_SECONDS`` it releases the pages this process holds and hands
its uploads' claims to the sweeper, as far as the database answers in that
time, and exits.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from sqlalchemy import Engine

from planocr.config import Settings
from planocr.db import migrate
from planocr.db.engine import create_db_engine, create_sessionmaker
from planocr.db.operations import OperationStore
from planocr.db.repository import Repository
from planocr.engines.registry import EngineRegistry
from planocr.errors import PlanocrError, Reason
from planocr.jobs.background import BackgroundWork
from planocr.jobs.cancel import CancelToken
from planocr.jobs.operations import Operations
from planocr.jobs.pipeline import Pipeline, reading_options
from planocr.jobs.procworkers import EngineProcesses
from planocr.jobs.uploads import Housekeeper, Uploads
from planocr.jobs.workers import EngineRunner, OcrPool
from planocr.rpc import operations as lro
from planocr.rpc import security
from planocr.rpc.auth import TokenAuthInterceptor
from planocr.rpc.interceptors import ErrorInterceptor
from planocr.rpc.metrics import Metrics, NoMetrics
from planocr.rpc.servicer import OcrServicer
from planocr.storage import Storage, open_storage
from planocr.v1 import ocr_service_pb2, ocr_service_pb2_grpc

log = logging.getLogger(__name__)

SERVICE_NAME = ocr_service_pb2.DESCRIPTOR.services_by_name["OcrService"].full_name
#: Services whose health status is reported ("" is the server as a whole).
HEALTH_SERVICES = ("", SERVICE_NAME, lro.SERVICE_NAME)
#: After the grace period, how long running engine calls get to save their page.
DRAIN_SECONDS = 5.0
#: After the grace period, how long calls get to end with CANCELLED / SHUTTING_DOWN before gRPC cuts them.
#: They end within milliseconds on an idle machine; this is the ceiling for a loaded one.
CANCEL_SECONDS = 3.0
#: On a second signal, how long the process spends releasing what it holds before it exits.
FAST_EXIT_SECONDS = 1.0

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HealthMonitor:
    """Checks the database and storage every ``interval`` seconds and publishes the result.

    A check that does not answer within ``timeout`` counts as a failure; the
    next check is not started while a hung one is still running.
    """

    def __init__(
        self, servicer: health.HealthServicer, repository: Repository, storage: Storage, metrics: Metrics | NoMetrics, settings: Settings
    ):
        self.servicer = servicer
        self.repository = repository
        self.storage = storage
        self.metrics = metrics
        self.interval = settings.health_interval
        self.timeout = settings.health_timeout
        self._checker = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="planocr-health-check")
        self._running: futures.Future | None = None
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self.serving: bool | None = None  # unknown until the first check, which is always logged
        for name in HEALTH_SERVICES:
            servicer.set(name, NOT_SERVING)
        metrics.serving.set(0)

    def start(self) -> None:
        self.check()
        self._thread = threading.Thread(target=self._loop, name="planocr-health", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.check()

    def check(self) -> bool:
        """Ask the database and storage now; SERVING only if both answer in time."""
        if self._running is None or self._running.done():
            self._running = self._checker.submit(self._probe)
        try:
            problem = self._running.result(timeout=self.timeout)
        except futures.TimeoutError:
            problem = f"no answer from the database or storage within {self.timeout:g} s"
            self.metrics.health_failures.labels("timeout").inc()
        except Exception as exc:  # noqa: BLE001 - a crashing check must not end the health loop
            log.exception("health check crashed")
            problem = f"health check crashed: {type(exc).__name__}"
        self._publish(problem is None, problem)
        return problem is None

    def _probe(self) -> str | None:
        """None when both answer, else what is wrong (never a secret: domain messages only)."""
        try:
            self.repository.ping()
        except PlanocrError as error:
            # A pool with no free connection means busy, not down: the database did answer others.
            if error.reason != Reason.DATABASE_BUSY:
                self.metrics.health_failures.labels("database").inc()
                return f"database: {error.message}"
        try:
            self.storage.check()
        except PlanocrError as error:
            self.metrics.health_failures.labels("storage").inc()
            return f"storage: {error.message}"
        return None

    def _publish(self, serving: bool, problem: str | None) -> None:
        if self.stop_event.is_set():
            return
        if serving != self.serving:
            if serving:
                log.info("health: SERVING")
            else:
                log.warning("health: NOT_SERVING (%s)", problem)
        self.serving = serving
        for name in HEALTH_SERVICES:
            self.servicer.set(name, SERVING if serving else NOT_SERVING)
        self.metrics.serving.set(1 if serving else 0)

    def shut_down(self) -> None:
        """NOT_SERVING for good: later checks change nothing."""
        self.stop_event.set()
        self.servicer.enter_graceful_shutdown()
        self.metrics.serving.set(0)
        self._checker.shutdown(wait=False, cancel_futures=True)


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
    runner: EngineRunner | EngineProcesses
    uploads: Uploads
    housekeeper: Housekeeper
    health: health.HealthServicer
    monitor: HealthMonitor
    metrics: Metrics | NoMetrics
    db_engine: Engine
    stopping: CancelToken = field(default_factory=CancelToken)
    background: BackgroundWork | None = None
    metrics_port: int | None = None
    _stop_lock: threading.Lock = field(default_factory=threading.Lock)
    _stopped: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        """Serve calls, start the health checks and, if configured, the metrics endpoint."""
        self.grpc_server.start()
        self.monitor.start()
        self.housekeeper.start()
        if self.background is not None:
            self.background.start()
        if self.settings.metrics_listen:
            self.metrics_port = self.metrics.serve(self.settings.metrics_listen)
        s = self.settings
        log.info(
            "planocr serving on port %d",
            self.port,
            extra={
                "listen": s.listen,
                "port": self.port,
                "tls": s.tls_cert_file is not None,
                "mutual_tls": s.tls_client_ca_file is not None,
                "auth": s.auth_token is not None,
                "reflection": s.reflection,
                "metrics_port": self.metrics_port,
                "engine": self.engines.default,
                "storage": security.safe_storage_url(s.resolved_storage_url),
                "database": security.safe_database_url(s.resolved_database_url),
                "ocr_workers": s.ocr_workers,
                "engine_isolation": s.engine_isolation,
                "rpc_threads": s.rpc_threads,
            },
        )

    @property
    def _health_stop(self) -> threading.Event:
        """Setting this event ends the periodic checks (tests use it to keep the probe's ping out of counts)."""
        return self.monitor.stop_event

    def check_health(self) -> bool:
        """Check the database and storage now and publish the result (also done every ``health_interval``)."""
        return self.monitor.check()

    def stop(self, grace: float | None = None) -> None:
        """Stop taking calls, give calls in flight ``grace`` seconds, then release what is unfinished.

        Safe to call more than once and from several threads; later calls
        wait for the first to finish.
        """
        with self._stop_lock:
            if self._stopped.is_set():
                return
            grace = self.settings.grace_seconds if grace is None else grace
            log.info("stopping: NOT_SERVING, no new calls, %g s for calls in flight", grace)
            if self.background is not None:
                self.background.stop()  # no more background pages here; those not started stay wanted
            self.monitor.shut_down()
            finished = self.grpc_server.stop(grace + CANCEL_SECONDS)
            if not finished.wait(grace):
                # The grace period is over: the service's calls end themselves with CANCELLED / SHUTTING_DOWN
                # (gRPC's own cut, CANCEL_SECONDS later, would answer UNAVAILABLE without a reason).
                log.info("grace period over; cancelling the calls still running")
                self.stopping.cancel()
                finished.wait()
            # Calls are over; jobs still running see the token and save or release their page.
            self.stopping.cancel()
            if not self._drain(DRAIN_SECONDS):
                log.warning("page jobs still running after %g s; releasing their pages anyway", DRAIN_SECONDS)
            self.runner.shutdown()
            self.housekeeper.stop()
            try:
                released = self.repository.release_owner(self.pipeline.worker_id)
                if released:
                    log.info("released %d unfinished pages", released)
            except PlanocrError:
                log.warning("could not release unfinished pages; their leases will expire")
            self.engines.close()
            self.storage.close()
            self.db_engine.dispose()
            self.metrics.close()
            self._stopped.set()
            log.info("stopped")

    def release_now(self, timeout: float = FAST_EXIT_SECONDS) -> bool:
        """Release this process's pages and upload claims within ``timeout`` seconds, as far as the database answers.

        For a process about to exit without a graceful stop (a second
        signal): the pages go back to ``pending`` and the claims to the
        sweeper now, not when their leases run out. True if both were done.
        """
        done: list[str] = []

        def release() -> None:
            try:
                pages = self.repository.release_owner(self.pipeline.worker_id)
                done.append("pages")
                claims = self.uploads.release_claims()
                done.append("claims")
                log.warning("released %d pages and %d upload claims before exiting", pages, claims)
            except PlanocrError as error:
                log.warning("could not release what this process holds (%s); leases will expire", error.reason)

        worker = threading.Thread(target=release, name="planocr-fast-exit", daemon=True)
        worker.start()
        worker.join(timeout)
        return len(done) == 2

    def _drain(self, timeout: float) -> bool:
        """Drop queued page jobs and wait up to ``timeout`` for running ones; True if all ended."""
        waiter = threading.Thread(target=self.pool.shutdown, kwargs={"wait": True}, name="planocr-drain", daemon=True)
        waiter.start()
        waiter.join(timeout)
        return not waiter.is_alive()


def create_server(
    settings: Settings, *, engines: EngineRegistry | None = None, private_database: bool = False, metrics: bool = True
) -> tuple[PlanocrServer, int]:
    """Build the service and bind its port (``settings.listen``; port 0 picks one). Not started.

    ``private_database``: the database is new and no other process will use
    it (``planocr ocr``'s temporary SQLite file); its tables are created from
    the models (:func:`planocr.db.migrate.create_schema`) instead of by the
    migrations, so Alembic is neither imported nor run, and its commits do
    not wait for the disk (``create_db_engine(private=True)``).

    ``metrics=False``: nothing is counted (:class:`planocr.rpc.metrics.NoMetrics`),
    for a server whose counts nobody reads; it cannot have
    ``PLANOCR_METRICS_LISTEN``.
    """
    if not metrics and settings.metrics_listen:
        raise ValueError("a server built without metrics cannot serve PLANOCR_METRICS_LISTEN")
    credentials = security.server_credentials(settings)  # bad certificate files fail before anything opens
    db_engine = create_db_engine(settings, private=private_database)
    if private_database:
        migrate.create_schema(db_engine)
    elif settings.should_migrate_on_start:
        migrate.upgrade(db_engine)
    sessions = create_sessionmaker(db_engine)
    repository = Repository(sessions)
    access, secret = settings.s3_credentials()
    storage = open_storage(settings.resolved_storage_url, access_key=access, secret_key=secret, timeout=settings.storage_timeout)
    engines = engines or EngineRegistry.from_settings(settings)
    runner: EngineRunner | EngineProcesses
    if settings.engine_isolation == "thread":
        engines.get()  # fail at start, not on the first page, when the default engine cannot load
        runner = EngineRunner(settings.ocr_workers + 4, settings.engine_timeout)
    else:
        engines.check()
        runner = EngineProcesses.from_settings(settings, engines, reading_options(settings))
        try:
            runner.wait_ready()  # each worker has built the default engine, or the start fails with its error
        except BaseException:
            runner.shutdown()
            raise
    counts = Metrics() if metrics else NoMetrics()
    pool = OcrPool(settings.ocr_workers, settings.queue_limit)
    pipeline = Pipeline(settings, repository, storage, engines, runner, observer=counts.observe_page if metrics else None)
    counts.watch(
        queue_depth=lambda: pool.depth,
        workers=settings.ocr_workers,
        pool_in_use=db_engine.pool.checkedout,  # type: ignore[attr-defined]  # QueuePool's; Pool does not declare it
        pool_max=settings.db_pool_size + settings.db_max_overflow,
        pixels_in_use=lambda: pipeline.pixels.in_use / 1_000_000,
    )
    if isinstance(runner, EngineProcesses):
        runner.on_replace = counts.worker_replaced

    interceptors: list[grpc.ServerInterceptor] = [ErrorInterceptor(observe=counts.observe_rpc if metrics else None)]
    if settings.auth_token is not None:
        # After the error interceptor, so refused calls are logged and counted too.
        interceptors.append(TokenAuthInterceptor(settings.auth_token.get_secret_value()))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.rpc_threads, thread_name_prefix="planocr-rpc"),
        interceptors=interceptors,
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=settings.max_concurrent_rpcs,
    )
    stopping = CancelToken()
    uploads = Uploads(settings, repository, storage)
    store = OperationStore(sessions)
    background = BackgroundWork(pipeline, pool, store, stopping, poll=settings.background_poll_seconds) if settings.background_work else None
    operations = Operations(pipeline, store, background)
    servicer = OcrServicer(repository, pipeline, pool, uploads, stopping, operations)
    ocr_service_pb2_grpc.add_OcrServiceServicer_to_server(servicer, server)
    lro.add_to_server(lro.OperationsServicer(operations, stopping), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    if settings.reflection:
        from grpc_reflection.v1alpha import reflection

        reflection.enable_server_reflection((SERVICE_NAME, lro.SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    if credentials is None:
        port = server.add_insecure_port(settings.listen)
    else:
        port = server.add_secure_port(settings.listen, credentials)
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
        uploads=uploads,
        housekeeper=Housekeeper(uploads, settings.sweep_interval, settings.upload_lease_seconds),
        health=health_servicer,
        monitor=HealthMonitor(health_servicer, repository, storage, counts, settings),
        metrics=counts,
        db_engine=db_engine,
        stopping=stopping,
        background=background,
    )
    return built, port


def serve(
    settings: Settings,
    *,
    engines: EngineRegistry | None = None,
    on_started: Callable[[PlanocrServer], None] | None = None,
) -> None:
    """Run until SIGTERM or SIGINT, then stop gracefully; a second signal releases what it can in a second and exits.

    ``engines`` replaces the registry built from the settings and
    ``on_started`` is called once the server is serving (tests use both to run
    this very function with an engine of their own).
    """
    stop_requested = threading.Event()
    built: list[PlanocrServer] = []

    def on_signal(signum, _frame):
        name = signal.Signals(signum).name
        if stop_requested.is_set():
            log.warning("second %s: exiting within %g s without waiting for calls in flight", name, FAST_EXIT_SECONDS)
            if built:
                built[0].release_now(FAST_EXIT_SECONDS)
            os._exit(1)
        log.info("received %s; stopping within %g s", name, settings.grace_seconds)
        stop_requested.set()

    # Installed before anything starts, so an early SIGTERM is not lost.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server, _port = create_server(settings, engines=engines)
    built.append(server)
    server.start()
    if on_started is not None:
        on_started(server)
    # Woken now and then: a signal the kernel hands to another thread runs its handler only when
    # the main thread next runs Python code.
    while not stop_requested.wait(0.5):
        pass
    server.stop()
