"""ProcessDocument over several replicas: each page becomes a ProcessPage call through :mod:`planocr.client`.

With ``PLANOCR_PEERS`` set (a gRPC target naming every replica, e.g. a
Kubernetes headless Service ``dns:///planocr-headless:50051`` or a fixed
list ``ipv4:10.0.0.5:50051,10.0.0.6:50051``), the replica that receives a
ProcessDocument call sends its pages to all replicas, itself included, with
the ``round_robin`` policy. The replicas share one database, whose page
claims keep every page to exactly one OCR however the calls land; nothing
here coordinates replicas beyond that.

:class:`PeerFanout` plugs into :class:`planocr.jobs.scheduler.DocumentRun` as its
page submitter: each future resolves to the same :class:`PageOutcome` a
local page job returns, read back from the shared database after the call,
and RPC failures become the domain errors the scheduler already handles.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

import grpc

from planocr import client as planocr_client
from planocr.config import Settings
from planocr.core.records import ERROR
from planocr.db.repository import Repository
from planocr.errors import Cancelled, Code, PlanocrError, Reason, Unavailable, error_for
from planocr.jobs.cancel import CancelToken
from planocr.jobs.pipeline import Outcome, PageOutcome, ProcessOptions

log = logging.getLogger(__name__)

_OUTCOMES = {
    planocr_client.PROCESS_OUTCOME_PROCESSED: Outcome.PROCESSED,
    planocr_client.PROCESS_OUTCOME_ALREADY_COMPLETED: Outcome.ALREADY_COMPLETED,
    planocr_client.PROCESS_OUTCOME_PROCESSED_ELSEWHERE: Outcome.PROCESSED_ELSEWHERE,
}
# How often a waiting call checks whether its document run was cancelled.
_CANCEL_POLL_SECONDS = 0.05


def count_peers(target: str) -> int:
    """How many addresses a gRPC target names: listed ones are counted, DNS names resolved.

    Falls back to 1 when a name does not resolve (yet): the run then keeps
    fewer pages in flight, which is slower but still correct.
    """
    scheme, sep, rest = target.partition(":")
    if sep and scheme in ("ipv4", "ipv6"):
        return max(1, len([a for a in rest.split(",") if a.strip()]))
    if sep and scheme in ("unix", "unix-abstract"):
        return 1
    name = target
    if sep and scheme == "dns":
        # dns:host:port, dns:///host:port or dns://resolver/host:port
        name = rest[2:].partition("/")[2] if rest.startswith("//") else rest
    host, port = _split_host_port(name)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return 1
    return max(1, len({info[4][0] for info in infos}))


def _split_host_port(name: str) -> tuple[str, int | None]:
    if name.startswith("["):
        host, _, tail = name[1:].partition("]")
        port = tail.lstrip(":")
    elif name.count(":") == 1:
        host, _, port = name.partition(":")
    else:
        host, port = name, ""
    return host, int(port) if port.isdigit() else None


def channel_options(settings: Settings) -> list[tuple[str, object]]:
    """Message limits as the server's own; quick re-resolution and reconnection (the client balances round-robin)."""
    options: list[tuple[str, object]] = [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        # Re-resolve a headless Service soon after a replica appears or goes,
        # and retry a replica that was not up yet within seconds, not minutes.
        ("grpc.dns_min_time_between_resolutions_ms", 5000),
        ("grpc.initial_reconnect_backoff_ms", 500),
        ("grpc.max_reconnect_backoff_ms", 5000),
    ]
    if settings.peer_server_name:
        # A list of addresses has no host name to check certificates against.
        options.append(("grpc.ssl_target_name_override", settings.peer_server_name))
    return options


def peer_client(settings: Settings) -> planocr_client.PlanocrClient:
    """A client of the replicas, with this server's TLS and token.

    TLS when this server serves TLS: the peers' certificates are checked
    against PLANOCR_PEER_CA_FILE, else the client CA (mutual TLS), else the
    server's own certificate (one self-signed certificate for all replicas);
    with mutual TLS this replica presents its own certificate and key.
    Retries are the fan-out's own (:func:`_worth_retrying`): a page that
    crashed its engine worker must not be sent to the next replica by gRPC.
    """
    if not settings.peers:
        raise ValueError("a peer client needs PLANOCR_PEERS")
    token = settings.auth_token.get_secret_value() if settings.auth_token else None
    tls = settings.tls_cert_file is not None and settings.tls_key_file is not None
    ca = client_cert = client_key = None
    if tls:
        ca = settings.peer_ca_file or settings.tls_client_ca_file or settings.tls_cert_file
        if settings.tls_client_ca_file is not None:
            client_cert, client_key = settings.tls_cert_file, settings.tls_key_file
    return planocr_client.PlanocrClient(
        settings.peers,
        timeout=None,
        tls=tls,
        root_certificates=ca,
        client_cert=client_cert,
        client_key=client_key,
        token=token,
        options=channel_options(settings),
        retry=None,
    )


class PeerFanout:
    """Sends pages to the replicas named by ``settings.peers``; one per process, shared by all runs."""

    def __init__(self, settings: Settings, repository: Repository, *, client: planocr_client.PlanocrClient | None = None):
        if not settings.peers:
            raise ValueError("PeerFanout needs PLANOCR_PEERS")
        self.settings = settings
        self.target = settings.peers
        self.repo = repository
        self._client = client or peer_client(settings)
        # One thread per page in flight; threads only wait on calls. Runs beyond
        # the first queue here, still bounded by each run's window.
        self._executor = ThreadPoolExecutor(max_workers=max(16, 4 * self.window()), thread_name_prefix="planocr-fanout")
        self._closed = False

    def window(self) -> int:
        """Pages one document keeps in flight: one per OCR worker on every replica."""
        if self.settings.peer_window:
            return self.settings.peer_window
        return count_peers(self.target) * self.settings.ocr_workers

    def submitter(self, deadline: float | None = None):
        """A page submitter for DocumentRun; ``deadline`` (monotonic) bounds every call."""

        def submit(page_id: uuid.UUID, options: ProcessOptions, cancel: CancelToken) -> Future[PageOutcome]:
            return self._executor.submit(self.process, page_id, options, cancel, deadline)

        return submit

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._client.close()

    # -- one page -------------------------------------------------------------

    def process(self, page_id: uuid.UUID, options: ProcessOptions, cancel: CancelToken, deadline: float | None = None) -> PageOutcome:
        """Process one page on whichever replica the balancer picks; blocks until it is done."""
        attempts = self.settings.retry_attempts
        for attempt in range(attempts):
            try:
                response = self._call(page_id, options, cancel, deadline)
            except PlanocrError as error:
                if not _worth_retrying(error) or attempt == attempts - 1:
                    return self._failed(page_id, error)
                if cancel.sleep(self.settings.retry_backoff * 2**attempt):
                    raise Cancelled("cancelled while waiting to retry") from error
                continue
            page = self.repo.get_page(page_id)
            return PageOutcome(page, _OUTCOMES.get(response.outcome, Outcome.PROCESSED))
        raise AssertionError("unreachable")

    def _call(self, page_id: uuid.UUID, options: ProcessOptions, cancel: CancelToken, deadline: float | None):
        if cancel.cancelled:
            raise Cancelled("cancelled before the page was sent")
        call = self._client.process_page_future(
            str(page_id),
            force=options.force,
            engine=options.engine or "",
            text_source=options.text_source.value if options.text_source else None,
            # The page is read back from the database; no need to ship its text twice.
            full=False,
            timeout=None if deadline is None else max(0.0, deadline - time.monotonic()),
        )
        finished = threading.Event()
        call.add_done_callback(lambda _call: finished.set())
        while not finished.wait(_CANCEL_POLL_SECONDS):
            if cancel.cancelled:
                # The peer sees the cancellation and saves or releases the page.
                call.cancel()
                raise Cancelled("the document run was cancelled")
        try:
            return call.result()
        except planocr_client.PlanocrError as error:
            if cancel.cancelled:
                raise Cancelled("the document run was cancelled") from None
            raise domain_error(error) from None

    def _failed(self, page_id: uuid.UUID, error: PlanocrError) -> PageOutcome:
        """A page the peer stored as failed is a result; anything else is this run's error."""
        if error.code is not Code.CANCELLED and error.reason not in _NOT_STORED:
            try:
                page = self.repo.get_page(page_id)
            except PlanocrError:
                raise error from None
            if page.status == ERROR:
                return PageOutcome(page, Outcome.PROCESSED, error)
        raise error


# Failures that happen before or instead of a stored result: the page is not marked failed for them.
_NOT_STORED = frozenset({Reason.QUEUE_FULL, Reason.PAGE_BUSY, Reason.LEASE_LOST, Reason.SHUTTING_DOWN, Reason.CANCELLED})
_UNREACHABLE = {"peer": "unreachable"}


def _worth_retrying(error: PlanocrError) -> bool:
    """A replica that could not be reached or was full: the balancer picks another one next time."""
    return error.reason == Reason.QUEUE_FULL or error.metadata == _UNREACHABLE


def domain_error(error: planocr_client.PlanocrError) -> PlanocrError:
    """The domain error a peer's status carries, read by the client from its ErrorInfo; transport errors become UNAVAILABLE."""
    reason = Reason(error.reason) if error.reason in Reason.__members__ else None
    if reason is None and error.code is grpc.StatusCode.UNAVAILABLE:
        # No ErrorInfo: gRPC itself failed to reach a replica (or it went away mid-call).
        return Unavailable(f"no replica answered: {error.message}", reason=Reason.ENGINE_UNAVAILABLE, metadata=_UNREACHABLE)
    try:
        domain_code = Code[error.code.name]
    except KeyError:
        domain_code = Code.INTERNAL
    return error_for(domain_code, error.message, reason)
