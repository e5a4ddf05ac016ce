"""The object storage interface.

Keys are relative, slash-separated paths such as
``documents/<id>/pages/0001.png``. Implementations are shared by all threads
and must be thread-safe. Errors are raised as domain errors:

* ``NotFound`` (reason OBJECT_NOT_FOUND) when a key does not exist;
* ``InvalidArgument`` (reason INVALID_STORAGE_KEY) for a key that is empty,
  absolute, or escapes the store with ``..``;
* ``Unavailable`` (reason STORAGE_UNAVAILABLE) when the backend does not answer,
  or does not finish a read or write within its timeout;
* ``FailedPrecondition`` (reason OBJECT_UNREADABLE) when something is stored
  under the key that cannot be read as an object (a symlink loop, a FIFO).

Nothing else escapes: a fault of the store is never a bug (INTERNAL).
"""

from __future__ import annotations

import abc
import logging
import posixpath
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from planocr.errors import InvalidArgument, Reason, Unavailable, quote

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Seconds a storage read or write may take unless the backend is built with another timeout.
DEFAULT_TIMEOUT = 60.0


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
        raise InvalidArgument(f"invalid storage key {quote(key)}", reason=Reason.INVALID_STORAGE_KEY)
    # S3 keys are at most 1024 bytes and file names at most 255; past that a
    # backend fails as if it were down (UNAVAILABLE), which invites retries.
    if len(key.encode()) > MAX_KEY_BYTES or any(len(part.encode()) > 255 for part in key.split("/")):
        raise InvalidArgument(
            f"storage key {quote(key)} is too long (at most {MAX_KEY_BYTES} bytes, 255 per path segment)",
            reason=Reason.INVALID_STORAGE_KEY,
        )
    if key.startswith("/") or any(part in ("..", ".") for part in key.split("/")):
        raise InvalidArgument(f"invalid storage key {quote(key)}", reason=Reason.INVALID_STORAGE_KEY)
    normalized = posixpath.normpath(key)
    if normalized != key.rstrip("/") or normalized.startswith(".."):
        raise InvalidArgument(f"invalid storage key {quote(key)}", reason=Reason.INVALID_STORAGE_KEY)
    return normalized


class TimedCalls:
    """Runs blocking storage calls on helper threads, so the caller stops waiting after ``timeout``.

    A read from a hung network file system, or from a file that only looks
    like one, blocks in the kernel where no thread can be interrupted. The
    call keeps its helper thread until it returns; new calls go to fresh
    threads, and past ``max_stuck`` such calls the store is reported
    unavailable at once instead of tying up more threads.
    """

    def __init__(self, timeout: float, *, threads: int = 8, max_stuck: int = 16, name: str = "planocr-storage"):
        self.timeout = timeout
        self.threads = threads
        self.max_stuck = max_stuck
        self.name = name
        self._lock = threading.Lock()
        self._stuck = 0
        self._executor = self._new_executor()

    def _new_executor(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix=self.name)

    @property
    def stuck(self) -> int:
        """Calls that overran the timeout and have not returned yet."""
        return self._stuck

    def run(self, fn: Callable[[], T], what: str) -> T:
        """``fn()`` within the timeout; ``what`` names the operation in the error (no caller data)."""
        with self._lock:
            if self._stuck >= self.max_stuck:
                raise Unavailable(
                    f"storage: {self._stuck} earlier calls never returned; the store is not answering",
                    reason=Reason.STORAGE_UNAVAILABLE,
                )
            future = self._executor.submit(fn)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            if not future.cancel():
                self._overran(future)
            raise Unavailable(
                f"storage: {what} did not finish within {self.timeout:g} s", reason=Reason.STORAGE_UNAVAILABLE
            ) from None

    def _overran(self, future: Future) -> None:
        with self._lock:
            self._stuck += 1
            old, self._executor = self._executor, self._new_executor()
        old.shutdown(wait=False)
        log.warning("a storage call overran its timeout of %g s; %d call(s) stuck", self.timeout, self._stuck)
        future.add_done_callback(self._returned)

    def _returned(self, _future: Future) -> None:
        with self._lock:
            self._stuck -= 1

    def close(self) -> None:
        with self._lock:
            executor = self._executor
        executor.shutdown(wait=False, cancel_futures=True)
