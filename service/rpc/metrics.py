"""Prometheus metrics for one server, served on their own HTTP port.

Each :class:`Metrics` owns a ``CollectorRegistry``, so several servers in one
process (tests, ``planocr ocr``) never share or clash over metric names.

RPC metrics follow the names dashboards for gRPC servers already know
(``grpc_server_handled_total``, ``grpc_server_handling_seconds``); the rest
are prefixed ``planocr_``. Label values come from small fixed sets (method
names, status codes, engine names, outcomes): never ids or text.

prometheus_client is imported when a :class:`Metrics` is built; the one-shot
server of ``planocr ocr`` uses :class:`NoMetrics`, which never imports it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib import metadata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from planocr.jobs.pipeline import PageOutcome

RPC_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
PAGE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)


def split_method(full_method: str) -> tuple[str, str]:
    """``/planocr.v1.OcrService/GetPage`` -> (``planocr.v1.OcrService``, ``GetPage``)."""
    service, _, method = full_method.lstrip("/").rpartition("/")
    return service or "unknown", method or "unknown"


class Metrics:
    """The service's metrics and the callbacks that feed them."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.rpcs_handled = Counter(
            "grpc_server_handled", "RPCs completed on the server, by method and status code",
            ["grpc_service", "grpc_method", "grpc_code"], registry=r,
        )
        self.rpc_seconds = Histogram(
            "grpc_server_handling_seconds", "Time from the start of an RPC to its status, by method and status code",
            ["grpc_service", "grpc_method", "grpc_code"], buckets=RPC_BUCKETS, registry=r,
        )
        self.pages = Counter(
            "planocr_pages_processed", "Pages read by this server, by engine, text source and outcome (completed or failed)",
            ["engine", "text_source", "outcome"], registry=r,
        )
        self.page_errors = Counter(
            "planocr_page_errors", "Pages that ended failed, by stable error reason", ["reason"], registry=r,
        )
        self.ocr_seconds = Histogram(
            "planocr_ocr_seconds", "Seconds to read one claimed page (fetch, OCR or text layer, title block), by engine and text source",
            ["engine", "text_source"], buckets=PAGE_BUCKETS, registry=r,
        )
        self.queue_depth = Gauge("planocr_ocr_queue_depth", "Page jobs waiting for or running on an OCR worker", registry=r)
        self.ocr_workers = Gauge("planocr_ocr_workers", "OCR worker threads", registry=r)
        self.db_in_use = Gauge("planocr_db_pool_connections_in_use", "Database connections checked out of the pool", registry=r)
        self.db_capacity = Gauge("planocr_db_pool_connections_max", "Database connections the pool may open (size + overflow)", registry=r)
        self.pixels_in_use = Gauge(
            "planocr_pixel_budget_in_use_megapixels", "Megapixels of the pages being decoded and read now (PLANOCR_PIXEL_BUDGET)",
            registry=r,
        )
        self.workers_replaced = Counter(
            "planocr_engine_workers_replaced", "Engine worker processes replaced, by cause (crashed, timeout, recycled, start_failed)",
            ["cause"], registry=r,
        )
        self.serving = Gauge("planocr_health_serving", "1 while the server reports SERVING, else 0", registry=r)
        self.health_failures = Counter(
            "planocr_health_check_failures", "Health checks that found the database or storage not answering",
            ["component"], registry=r,
        )
        Info("planocr_build", "Version of the running service", registry=r).info({"version": _version()})
        self._http: WSGIServer | None = None
        self._http_thread: threading.Thread | None = None
        # Each call's labelled series, looked up once per (method, code): labels() costs more than inc().
        self._rpc_series: dict[tuple[str, str], tuple] = {}

    # -- feeding ------------------------------------------------------------

    def observe_rpc(self, full_method: str, code: str, seconds: float) -> None:
        """The interceptor's CallObserver: one call finished with ``code``."""
        series = self._rpc_series.get((full_method, code))
        if series is None:
            service, method = split_method(full_method)
            series = self.rpcs_handled.labels(service, method, code), self.rpc_seconds.labels(service, method, code)
            self._rpc_series[(full_method, code)] = series
        handled, duration = series
        handled.inc()
        duration.observe(seconds)

    def observe_page(self, outcome: PageOutcome, seconds: float) -> None:
        """The pipeline's observer: a claimed page was saved completed or failed."""
        page = outcome.page
        # A page that failed before an engine ran has neither.
        engine = page.engine or "unknown"
        source = page.text_source or "unknown"
        self.pages.labels(engine, source, "failed" if outcome.error is not None else "completed").inc()
        if outcome.error is not None:
            self.page_errors.labels(str(outcome.error.reason)).inc()
        self.ocr_seconds.labels(engine, source).observe(seconds)

    def worker_replaced(self, cause: str) -> None:
        """An engine worker process was replaced (:class:`planocr.jobs.procworkers.EngineProcesses`)."""
        self.workers_replaced.labels(cause).inc()

    def watch(self, *, queue_depth: Callable[[], int], workers: int, pool_in_use: Callable[[], int], pool_max: int,
              pixels_in_use: Callable[[], float] | None = None) -> None:
        """Gauges read at scrape time from the live pools."""
        if pixels_in_use is not None:
            self.pixels_in_use.set_function(pixels_in_use)
        self.queue_depth.set_function(queue_depth)
        self.ocr_workers.set(workers)
        self.db_in_use.set_function(pool_in_use)
        self.db_capacity.set(pool_max)

    # -- serving ------------------------------------------------------------

    def serve(self, listen: str) -> int:
        """Start the HTTP endpoint (``/metrics``) on ``host:port``; returns the bound port."""
        from prometheus_client import start_http_server

        host, port = parse_listen(listen)
        self._http, self._http_thread = start_http_server(port, addr=host, registry=self.registry)
        self._http_thread.name = "planocr-metrics"
        return self._http.server_port

    def close(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None


class _NoSeries:
    """Stands in for a metric and its labelled series in :class:`NoMetrics`."""

    def labels(self, *_labels: str) -> _NoSeries:
        return self

    def inc(self, _amount: float = 1) -> None:
        pass

    def set(self, _value: float) -> None:
        pass


class NoMetrics:
    """What :class:`Metrics` offers the server, recording nothing.

    For a server nobody can scrape and whose counts end with it (the
    one-shot server of ``planocr ocr``): it neither imports
    prometheus_client nor builds a registry.
    """

    registry = None

    def __init__(self) -> None:
        self.serving = self.health_failures = _NoSeries()

    def observe_rpc(self, full_method: str, code: str, seconds: float) -> None:
        pass

    def observe_page(self, outcome: PageOutcome, seconds: float) -> None:
        pass

    def worker_replaced(self, cause: str) -> None:
        pass

    def watch(self, *, queue_depth: Callable[[], int], workers: int, pool_in_use: Callable[[], int], pool_max: int,
              pixels_in_use: Callable[[], float] | None = None) -> None:
        pass

    def serve(self, listen: str) -> int:
        raise ValueError("this server was built without metrics; it cannot serve PLANOCR_METRICS_LISTEN")

    def close(self) -> None:
        pass


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` -> (host, port)."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


def _version() -> str:
    try:
        return metadata.version("planocr")
    except metadata.PackageNotFoundError:
        return "unknown"
