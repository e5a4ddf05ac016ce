"""TLS credentials from certificate files, and keeping secrets out of logs.

* :func:`server_credentials` builds TLS (``PLANOCR_TLS_CERT_FILE`` +
  ``PLANOCR_TLS_KEY_FILE``) or mutual TLS (plus ``PLANOCR_TLS_CLIENT_CA_FILE``:
  clients must present a certificate issued by that CA). The files are
  re-read when they change, so a rotated certificate (cert-manager, a
  mounted Secret) is used for new connections without a restart.
* :func:`secrets_of` lists the values that must never appear in a log line;
  :mod:`planocr.logs` masks them as a last line of defence.
* :func:`safe_database_url` / :func:`safe_storage_url` are the forms that may
  be logged.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

import grpc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from planocr.config import Settings

log = logging.getLogger(__name__)

#: Secrets shorter than this are not masked: masking "a" would garble every line.
MIN_SECRET_LENGTH = 4


class TlsConfigError(ValueError):
    """The certificate files cannot be used; the message names the file."""


def check_key_pair(cert_file: Path, key_file: Path) -> None:
    """Refuse at start a certificate and key that do not belong together (or do not parse)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert_file, key_file)
    except (ssl.SSLError, OSError) as exc:
        raise TlsConfigError(f"cannot use TLS certificate {cert_file} with key {key_file}: {exc}") from None


def check_ca(ca_file: Path) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=ca_file)
    except (ssl.SSLError, OSError) as exc:
        raise TlsConfigError(f"cannot use client CA file {ca_file}: {exc}") from None


class _CertificateFiles:
    """Reads the PEM files and notices when they change on disk."""

    def __init__(self, cert: Path, key: Path, client_ca: Path | None):
        self.paths = tuple(p for p in (cert, key, client_ca) if p is not None)
        self.cert, self.key, self.client_ca = cert, key, client_ca
        self._lock = threading.Lock()
        self._stamp = self._current_stamp()

    def _current_stamp(self) -> tuple:
        return tuple((os.stat(p).st_mtime_ns, os.stat(p).st_size) for p in self.paths)

    def configuration(self) -> grpc.ServerCertificateConfiguration:
        return grpc.ssl_server_certificate_configuration(
            [(self.key.read_bytes(), self.cert.read_bytes())],
            root_certificates=self.client_ca.read_bytes() if self.client_ca else None,
        )

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """gRPC asks before each handshake; None means "keep what you have"."""
        with self._lock:
            try:
                stamp = self._current_stamp()
                if stamp == self._stamp:
                    return None
                check_key_pair(self.cert, self.key)
                if self.client_ca:
                    check_ca(self.client_ca)
                config = self.configuration()
            except (OSError, TlsConfigError) as exc:
                # Half-written files during a rotation: keep serving the old pair.
                log.warning("TLS files changed but cannot be used yet (%s); keeping the previous certificate", exc)
                return None
            self._stamp = stamp
            log.info("TLS certificate files changed; new connections use the new certificate")
            return config


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """TLS or mutual-TLS server credentials, or None for plaintext."""
    if settings.tls_cert_file is None or settings.tls_key_file is None:
        return None
    check_key_pair(settings.tls_cert_file, settings.tls_key_file)
    if settings.tls_client_ca_file is not None:
        check_ca(settings.tls_client_ca_file)
    files = _CertificateFiles(settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file)
    return grpc.dynamic_ssl_server_credentials(
        files.configuration(),
        files.fetch,
        require_client_authentication=settings.tls_client_ca_file is not None,
    )


def secrets_of(settings: Settings) -> list[str]:
    """Every configured secret value: token, S3 keys, the database password."""
    values: list[str | None] = []
    if settings.auth_token is not None:
        values.append(settings.auth_token.get_secret_value())
    values.append(settings.s3_credentials()[1])
    if settings.database_url:
        try:
            password = make_url(settings.database_url).password
        except ArgumentError:  # unparsable: the whole string is then the secret
            values.append(settings.database_url)
        else:
            # Also as written inside a URL, where "p@ss" appears as "p%40ss".
            values += [password, quote(password or "", safe=""), quote_plus(password or "")]
    return sorted({v for v in values if v and len(v) >= MIN_SECRET_LENGTH})


def safe_database_url(url: str) -> str:
    """The database URL with its password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # unparsable: log nothing of it
        return "<unparsable database URL>"


def safe_storage_url(url: str) -> str:
    """The storage URL without user information (which may hold keys)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
