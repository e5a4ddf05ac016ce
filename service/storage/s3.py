"""Storage in an S3-compatible bucket (AWS S3, MinIO, Ceph, moto) through the ``minio`` client.

URL format::

    s3://bucket[/prefix]?endpoint=host:port&secure=false&region=us-east-1

``endpoint`` defaults to ``s3.amazonaws.com`` and ``secure`` to ``true``;
``region`` is discovered from the server when omitted. Credentials are passed
separately, never in the URL, and never appear in messages or reprs.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, unquote, urlsplit

import certifi
import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from minio.helpers import check_bucket_name

from planocr.errors import InvalidArgument, NotFound, PlanocrError, Reason, Unavailable, quote
from planocr.storage.base import DEFAULT_TIMEOUT, Storage, TimedCalls, clean_key

DEFAULT_ENDPOINT = "s3.amazonaws.com"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_MISSING_OBJECT = {"NoSuchKey", "NoSuchObject"}
_BUCKET_RACE = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}


class S3Storage(Storage):
    """Objects live in ``bucket`` under an optional key ``prefix``.

    One instance (and its one ``Minio`` client and connection pool) is shared
    by all threads. The bucket is created on first use if it is missing.
    Requests use short timeouts and few retries, so a storage outage surfaces
    as ``Unavailable`` within seconds instead of blocking worker threads; a
    whole read (a body trickling in under the per-request timeouts) is
    bounded by ``timeout``.
    """

    kind = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint: str = DEFAULT_ENDPOINT,
        secure: bool = True,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        retries: int = 2,
        max_connections: int = 32,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        try:
            check_bucket_name(bucket)
        except ValueError as exc:
            raise InvalidArgument(f"invalid S3 bucket name: {exc}", reason=Reason.INVALID_ARGUMENT) from None
        if access_key and not secret_key:
            raise InvalidArgument("S3 access key given without a secret key", reason=Reason.INVALID_ARGUMENT)
        self.bucket = bucket
        self.prefix = f"{clean_key(prefix)}/" if prefix else ""
        self.endpoint = endpoint
        self.secure = secure
        self.region = region
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            retries=urllib3.Retry(
                total=retries,
                backoff_factor=0.2,
                status_forcelist=(500, 502, 503, 504),
            ),
            maxsize=max_connections,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        )
        try:
            # The secret goes into the client's credential provider only; this object never keeps it.
            self._client = Minio(
                endpoint,
                access_key=access_key or None,
                secret_key=secret_key if access_key else None,
                secure=secure,
                region=region,
                http_client=self._http,
            )
        except ValueError as exc:
            self._http.clear()
            raise InvalidArgument(
                f"invalid S3 endpoint {endpoint!r}: {exc}", reason=Reason.INVALID_ARGUMENT
            ) from None
        self._bucket_lock = threading.Lock()
        self._bucket_ready = False
        self._calls = TimedCalls(timeout, name="planocr-s3-read")

    @classmethod
    def from_url(
        cls,
        url: str,
        access_key: str | None = None,
        secret_key: str | None = None,
        **options: object,
    ) -> S3Storage:
        """Build from ``s3://bucket[/prefix]?endpoint=…&secure=…&region=…``.

        ``options`` (timeouts, retries, pool size) are passed to the constructor.
        """
        parts = urlsplit(url)
        if parts.scheme != "s3":
            raise InvalidArgument("S3 storage URL must start with s3://", reason=Reason.INVALID_ARGUMENT)
        if "@" in parts.netloc:
            # Do not echo the URL: whatever precedes the @ may be a secret.
            raise InvalidArgument(
                "credentials in the S3 storage URL are not supported; pass them separately",
                reason=Reason.INVALID_ARGUMENT,
            )
        bucket = unquote(parts.netloc)
        if not bucket:
            raise InvalidArgument(
                "S3 storage URL has no bucket: use s3://bucket", reason=Reason.INVALID_ARGUMENT
            )
        prefix = unquote(parts.path).strip("/")
        if prefix:
            try:
                clean_key(prefix)
            except InvalidArgument:
                raise InvalidArgument(
                    f"invalid key prefix {prefix!r} in S3 storage URL", reason=Reason.INVALID_ARGUMENT
                ) from None

        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = sorted(set(query) - {"endpoint", "secure", "region"})
        if unknown:
            raise InvalidArgument(
                f"unknown S3 storage URL parameter(s): {', '.join(unknown)}", reason=Reason.INVALID_ARGUMENT
            )

        def single(name: str) -> str | None:
            values = query.get(name)
            if not values:
                return None
            if len(values) > 1 or not values[0]:
                raise InvalidArgument(
                    f"S3 storage URL parameter {name!r} must have one value", reason=Reason.INVALID_ARGUMENT
                )
            return values[0]

        secure_text = (single("secure") or "true").lower()
        if secure_text not in _TRUE | _FALSE:
            raise InvalidArgument(
                f"S3 storage URL parameter 'secure' must be true or false, not {secure_text!r}",
                reason=Reason.INVALID_ARGUMENT,
            )
        return cls(
            bucket,
            prefix=prefix,
            endpoint=single("endpoint") or DEFAULT_ENDPOINT,
            secure=secure_text in _TRUE,
            region=single("region"),
            access_key=access_key,
            secret_key=secret_key,
            **options,  # type: ignore[arg-type]
        )

    def __repr__(self) -> str:
        return (
            f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r}, "
            f"endpoint={self.endpoint!r}, secure={self.secure})"
        )

    # -- Storage interface -------------------------------------------------

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        name = self._name(key)
        self._ensure_bucket()
        with self._errors(key):
            try:
                self._put(name, data, content_type)
            except S3Error as exc:
                if exc.code != "NoSuchBucket":
                    raise
                # The bucket vanished after we made sure of it (deleted, or an in-memory server restarted).
                self._bucket_ready = False
                self._ensure_bucket()
                self._put(name, data, content_type)

    def get(self, key: str) -> bytes:
        name = self._name(key)
        self._ensure_bucket()
        return self._calls.run(lambda: self._get(name, key), "a read")

    def _get(self, name: str, key: str) -> bytes:
        with self._errors(key):
            response = self._client.get_object(self.bucket, name)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def exists(self, key: str) -> bool:
        name = self._name(key)
        self._ensure_bucket()
        try:
            with self._errors(key):
                self._client.stat_object(self.bucket, name)
        except NotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        name = self._name(key)
        self._ensure_bucket()
        try:
            with self._errors(key):
                self._client.remove_object(self.bucket, name)
        except NotFound:
            pass

    def list(self, prefix: str = "") -> Iterator[str]:
        self._ensure_bucket()
        start = len(self.prefix)
        try:
            with self._errors():
                listing = self._client.list_objects(self.bucket, prefix=self.prefix + prefix, recursive=True)
                for obj in listing:
                    if obj.object_name and not obj.is_dir:
                        yield obj.object_name[start:]
        except NotFound:
            return

    def delete_prefix(self, prefix: str) -> None:
        names = [DeleteObject(self.prefix + key) for key in self.list(prefix)]
        if not names:
            return
        with self._errors():
            failures = [error.name for error in self._client.remove_objects(self.bucket, names)]
        if failures:
            raise Unavailable(
                f"S3 storage could not delete {len(failures)} object(s) under {prefix!r}",
                reason=Reason.STORAGE_UNAVAILABLE,
            )

    def check(self) -> None:
        with self._errors():
            self._client.bucket_exists(self.bucket)

    def close(self) -> None:
        self._calls.close()
        self._http.clear()

    # -- helpers -----------------------------------------------------------

    def _name(self, key: str) -> str:
        return self.prefix + clean_key(key)

    def _put(self, name: str, data: bytes, content_type: str) -> None:
        self._client.put_object(self.bucket, name, io.BytesIO(data), len(data), content_type=content_type)

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if self._bucket_ready:
                return
            with self._errors():
                if not self._client.bucket_exists(self.bucket):
                    try:
                        self._client.make_bucket(self.bucket, location=self.region)
                    except S3Error as exc:
                        # Another thread or replica created it between our check and our create.
                        if exc.code not in _BUCKET_RACE or not self._client.bucket_exists(self.bucket):
                            raise
            self._bucket_ready = True

    @contextmanager
    def _errors(self, key: str | None = None) -> Iterator[None]:
        """Translate minio and urllib3 exceptions into domain errors with secret-free messages."""
        try:
            yield
        except PlanocrError:
            raise
        except S3Error as exc:
            if exc.code in _MISSING_OBJECT or exc.code == "NoSuchBucket":
                what = f"object {quote(key)}" if key is not None else f"bucket {self.bucket!r}"
                raise NotFound(f"{what} not found", reason=Reason.OBJECT_NOT_FOUND) from exc
            status = exc.response.status if exc.response is not None else 0
            raise Unavailable(
                f"S3 storage at {self.endpoint} refused the request ({exc.code}, HTTP {status})",
                reason=Reason.STORAGE_UNAVAILABLE,
            ) from exc
        except (ServerError, InvalidResponseError) as exc:
            raise Unavailable(
                f"S3 storage at {self.endpoint} answered with an error ({type(exc).__name__})",
                reason=Reason.STORAGE_UNAVAILABLE,
            ) from exc
        except (urllib3.exceptions.HTTPError, MinioException, OSError) as exc:
            raise Unavailable(
                f"S3 storage at {self.endpoint} did not answer ({type(exc).__name__})",
                reason=Reason.STORAGE_UNAVAILABLE,
            ) from exc
