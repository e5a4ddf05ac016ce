"""Object storage backends, chosen by URL scheme and imported lazily.

* ``file:///path`` or a plain path: :class:`planocr.storage.local.LocalStorage`
* ``s3://bucket?endpoint=host:9000&secure=false&region=...``:
  :class:`planocr.storage.s3.S3Storage` (MinIO, AWS S3 or any S3-compatible server)
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from planocr.errors import InvalidArgument, Reason
from planocr.storage.base import DEFAULT_TIMEOUT, Storage, clean_key

__all__ = ["Storage", "clean_key", "open_storage"]


def open_storage(
    url: str, *, access_key: str | None = None, secret_key: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Storage:
    """Build the storage backend that ``url`` names; ``timeout`` bounds each read (and local write) in seconds."""
    parts = urlsplit(url)
    if parts.scheme in ("", "file"):
        from planocr.storage.local import LocalStorage

        return LocalStorage(unquote(parts.path if parts.scheme else url), timeout=timeout)
    if parts.scheme == "s3":
        from planocr.storage.s3 import S3Storage

        return S3Storage.from_url(url, access_key=access_key, secret_key=secret_key, timeout=timeout)
    raise InvalidArgument(f"unsupported storage URL scheme {parts.scheme!r}", reason=Reason.INVALID_ARGUMENT)
