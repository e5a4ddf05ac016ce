"""The object storage interface.

Keys are relative, slash-separated paths such as
``documents/<id>/pages/0001.png``. Implementations are shared by all threads
and must be thread-safe. Errors are raised as domain errors:

* ``NotFound`` (reason OBJECT_NOT_FOUND) when a key does not exist;
* ``InvalidArgument`` (reason INVALID_STORAGE_KEY) for a key that is empty,
  absolute, or escapes the store with ``..``;
* ``Unavailable`` (reason STORAGE_UNAVAILABLE) when the backend does not answer.
"""

from __future__ import annotations

import abc
import posixpath
from collections.abc import Iterator

from planocr.errors import InvalidArgument, Reason


class Storage(abc.ABC):
    """A flat key → bytes store."""

    #: Short name for logs and metrics ("local", "s3").
    kind: str = ""

    @abc.abstractmethod
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store ``data`` under ``key``, replacing what was there. Readers never see a partial object."""

    @abc.abstractmethod
    def get(self, key: str) -> bytes:
        """Return the object's bytes."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool:
        """Whether ``key`` exists."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]:
        """Yield the keys that start with ``prefix``, in no particular order."""

    @abc.abstractmethod
    def check(self) -> None:
        """Raise ``Unavailable`` unless the backend answers (used by health checks)."""

    def delete_prefix(self, prefix: str) -> None:
        """Remove every key under ``prefix`` (used to undo a failed upload)."""
        for key in list(self.list(prefix)):
            self.delete(key)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


MAX_KEY_BYTES = 1024


def clean_key(key: str) -> str:
    """Validate a key and return it normalized; refuse keys that could escape the store."""
    if not isinstance(key, str) or not key or "\x00" in key or "\\" in key:
        raise InvalidArgument(f"invalid storage key {key!r}", reason=Reason.INVALID_STORAGE_KEY)
    # S3 keys are at most 1024 bytes and file names at most 255; past that a
    # backend fails as if it were down (UNAVAILABLE), which invites retries.
    if len(key.encode()) > MAX_KEY_BYTES or any(len(part.encode()) > 255 for part in key.split("/")):
        raise InvalidArgument(
            f"storage key {key[:60]!r}... is too long (at most {MAX_KEY_BYTES} bytes, 255 per path segment)",
            reason=Reason.INVALID_STORAGE_KEY,
        )
    if key.startswith("/") or any(part in ("..", ".") for part in key.split("/")):
        raise InvalidArgument(f"invalid storage key {key!r}", reason=Reason.INVALID_STORAGE_KEY)
    normalized = posixpath.normpath(key)
    if normalized != key.rstrip("/") or normalized.startswith(".."):
        raise InvalidArgument(f"invalid storage key {key!r}", reason=Reason.INVALID_STORAGE_KEY)
    return normalized
