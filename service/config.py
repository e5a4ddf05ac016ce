"""Settings, read from ``PLANOCR_*`` environment variables and validated at start.

With no configuration at all the service runs on embedded defaults: SQLite
and a local object folder under ``PLANOCR_DATA_DIR``, the local tesseract
engine, listening on 127.0.0.1:50051.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from planocr.core.records import TextSourceMode


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "planocr"


def _host_port(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected host:port, got {value!r}")
    return value


class Settings(BaseSettings):
    """Every setting of the service. The README's configuration table lists them."""

    model_config = SettingsConfigDict(env_prefix="PLANOCR_", extra="ignore", frozen=True)

    listen: str = Field("127.0.0.1:50051", description="host:port the gRPC server binds; port 0 picks a free one")
    data_dir: Path = Field(default_factory=_default_data_dir, description="where the embedded defaults keep their files")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default sqlite under data_dir")
    storage_url: str | None = Field(None, description="file:///path or s3://bucket?endpoint=host:port; default data_dir/objects")
    s3_access_key: SecretStr | None = Field(None, description="S3 access key (or AWS_ACCESS_KEY_ID)")
    s3_secret_key: SecretStr | None = Field(None, description="S3 secret key (or AWS_SECRET_ACCESS_KEY)")
    engine: str = Field("tesseract", description="default OCR engine: tesseract, rapidocr, vision, null")
    text_source: TextSourceMode = Field(TextSourceMode.AUTO, description="where page text comes from by default")
    tessdata: str | None = Field(None, description="tesseract model folder; default <venv>/share/tessdata")
    read_budget: float = Field(
        0.5, ge=0, le=4,
        description="what an OCRed page may be read beyond its first pass (title block, turned edges, cells), "
        "in pixels as a share of that pass; 0: one pass only",
    )
    tesseract_enlarge_below: int = Field(
        250, ge=0, le=1200, description="scans below this DPI get their title block read again at 300 DPI; 0: never"
    )
    tesseract_lang: str = Field(
        "eng", pattern=r"^[A-Za-z_]+(\+[A-Za-z_]+)*$", description="tesseract models every page is read with, joined by +"
    )
    tesseract_auto_lang: Literal["", "deu"] = Field(
        "deu", description="model added for the title block of pages whose first reading shows its words (German); empty: never"
    )

    rpc_threads: int = Field(32, ge=1, le=1024, description="gRPC handler threads")
    ocr_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256, description="OCR worker threads; in process isolation as many engine worker processes")
    queue_limit: int = Field(1000, ge=1, description="pages waiting for an OCR worker before RESOURCE_EXHAUSTED")
    max_concurrent_rpcs: int | None = Field(None, ge=1, description="calls accepted at once; more get RESOURCE_EXHAUSTED")
    peers: str | None = Field(
        None,
        description="gRPC target naming every replica (e.g. dns:///planocr-headless:50051); "
        "ProcessDocument then spreads its pages over them; unset: pages stay in this process",
    )
    peer_window: int | None = Field(
        None, ge=1, description="pages a document keeps in flight across replicas; default replicas x PLANOCR_OCR_WORKERS"
    )
    peer_ca_file: Path | None = Field(
        None, description="CA that signed the replicas' certificates, for PLANOCR_PEERS over TLS; default: the client CA or the server certificate"
    )
    peer_server_name: str | None = Field(
        None, description="name the replicas' certificates are checked against over TLS; default: the host in PLANOCR_PEERS"
    )

    db_pool_size: int = Field(5, ge=1, description="database connections kept open")
    db_max_overflow: int = Field(5, ge=0, description="extra connections opened under load")
    db_pool_timeout: float = Field(10.0, gt=0, description="seconds to wait for a free connection")
    migrate_on_start: bool | None = Field(None, description="run migrations at start; default: only for SQLite")

    lease_seconds: float = Field(300.0, gt=0, description="how long a claim on a page lasts before others may take it")
    background_work: bool = Field(
        True, description="this replica's idle OCR workers read the pages StartDocument asked for, any replica's, also after a restart"
    )
    background_poll_seconds: float = Field(
        1.0, gt=0, description="how often idle workers look in the database for pages other replicas' StartDocument asked for"
    )
    upload_lease_seconds: float = Field(
        60.0, ge=1,
        description="how long the objects of an upload in progress are kept from the sweeper; renewed every third of it while it runs",
    )
    sweep_interval: float = Field(
        600.0, gt=0,
        description="seconds between sweeps that delete the objects of abandoned uploads (also swept at start)",
    )
    storage_timeout: float = Field(60.0, gt=0, description="seconds one storage read (or local write) may take before it counts as UNAVAILABLE")
    engine_timeout: float = Field(
        120.0, gt=0, description="seconds one page may spend in the engine; in process isolation its worker is then killed and replaced"
    )
    engine_isolation: Literal["process", "thread"] = Field(
        "process",
        description="where pages are read: process (the engine and title-block parser run in a pool of "
        "PLANOCR_OCR_WORKERS child processes; a crash or overrun costs one page) or thread (in the server process)",
    )
    worker_memory_mb: int = Field(
        0, ge=0, description="address-space limit of each engine worker process, in MiB (RLIMIT_AS); "
        "a page that passes it fails UNAVAILABLE / ENGINE_CRASHED; 0: none",
    )
    worker_max_pages: int = Field(
        200, ge=0, description="pages an engine worker process reads before it is replaced by a fresh one; 0: never"
    )
    pixel_budget: float = Field(
        400.0, gt=0,
        description="megapixels of pages decoded and read at once, summed; a page waits for room "
        "(one larger than the whole budget is read alone)",
    )
    retry_attempts: int = Field(3, ge=1, le=10, description="tries for a transient failure before a page fails")
    retry_backoff: float = Field(0.2, ge=0, description="first backoff between tries, doubled each time")

    render_dpi: int = Field(300, ge=36, le=1200, description="DPI for rendering PDF pages")
    max_page_pixels: int = Field(120_000_000, ge=1_000_000, description="largest rendered page; DPI is lowered to fit")
    max_image_pixels: int = Field(200_000_000, ge=1_000_000, description="images larger than this are refused undecoded")
    max_upload_bytes: int = Field(512 * 1024 * 1024, ge=1024, description="largest upload accepted")
    max_message_bytes: int = Field(8 * 1024 * 1024, ge=1024 * 1024, description="largest single gRPC message")

    reflection: bool = Field(True, description="serve gRPC reflection")
    grace_seconds: float = Field(15.0, ge=0, description="time calls in flight get to finish on SIGTERM")
    health_interval: float = Field(5.0, gt=0, description="seconds between health checks of the database and storage")
    health_timeout: float = Field(3.0, gt=0, description="seconds the database and storage get to answer a health check")
    metrics_listen: str | None = Field(None, description="host:port for the Prometheus endpoint; off when unset")
    log_format: Literal["auto", "json", "text"] = Field("auto", description="json in production, text on a terminal")
    log_level: str = Field("INFO", description="logging level")

    tls_cert_file: Path | None = Field(None, description="server certificate (PEM); enables TLS")
    tls_key_file: Path | None = Field(None, description="server private key (PEM)")
    tls_client_ca_file: Path | None = Field(None, description="CA for client certificates; enables mutual TLS")
    auth_token: SecretStr | None = Field(None, description="bearer token callers must send; health stays open")

    vision_endpoint: str | None = Field(None, description="Cloud Vision endpoint host:port; default Google's")
    vision_timeout: float = Field(60.0, gt=0, description="seconds for one Cloud Vision call")
    vision_language_hints: str = Field("", description="comma-separated language hints for Cloud Vision")

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        return _host_port(value)

    @field_validator("metrics_listen")
    @classmethod
    def _check_metrics_listen(cls, value: str | None) -> str | None:
        return _host_port(value) if value else None

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("PLANOCR_TLS_CERT_FILE and PLANOCR_TLS_KEY_FILE go together")
        if self.tls_client_ca_file and not self.tls_cert_file:
            raise ValueError("PLANOCR_TLS_CLIENT_CA_FILE needs PLANOCR_TLS_CERT_FILE and PLANOCR_TLS_KEY_FILE")
        for path in (self.tls_cert_file, self.tls_key_file, self.tls_client_ca_file):
            if path is not None and not path.is_file():
                raise ValueError(f"TLS file {path} does not exist")
        needed = self.db_connections_needed
        if self.db_pool_size + self.db_max_overflow < needed:
            raise ValueError(
                f"database pool too small: PLANOCR_DB_POOL_SIZE + PLANOCR_DB_MAX_OVERFLOW = "
                f"{self.db_pool_size + self.db_max_overflow}, but {self.ocr_workers} OCR workers and "
                f"{needed - self.ocr_workers} request threads may hold a connection at once; need at least {needed}"
            )
        return self

    @property
    def db_connections_needed(self) -> int:
        """Connections that may be held at once: one per OCR worker plus two for request threads.

        Request threads (GetPage, ListPages, uploads) hold a connection only for
        a short read or write and otherwise wait for it in the pool, so two are
        reserved for them; OCR workers must never wait behind them.
        """
        return self.ocr_workers + 2

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'planocr.db'}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or (self.data_dir / "objects").as_uri()

    @property
    def is_embedded_database(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def should_migrate_on_start(self) -> bool:
        return self.is_embedded_database if self.migrate_on_start is None else self.migrate_on_start

    def s3_credentials(self) -> tuple[str | None, str | None]:
        access = self.s3_access_key.get_secret_value() if self.s3_access_key else os.environ.get("AWS_ACCESS_KEY_ID")
        secret = self.s3_secret_key.get_secret_value() if self.s3_secret_key else os.environ.get("AWS_SECRET_ACCESS_KEY")
        return access, secret
