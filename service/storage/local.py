"""Storage in a local directory (the embedded default).

Every fault of the file system comes back as a domain error: a missing
object is NOT_FOUND, something under the key that is not a readable file
(a symlink loop, a FIFO, a device) is FAILED_PRECONDITION with reason
OBJECT_UNREADABLE, and a read or write that fails or does not finish within
the timeout (a hung network file system) is UNAVAILABLE.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from planocr.errors import FailedPrecondition, InvalidArgument, NotFound, Reason, Unavailable, quote
from planocr.storage.base import DEFAULT_TIMEOUT, Storage, TimedCalls, clean_key

_MISSING = (errno.ENOENT, errno.ENOTDIR, errno.EISDIR)


def _unreadable(key: str, why: str) -> FailedPrecondition:
    return FailedPrecondition(f"the object {quote(key)} cannot be read: {why}", reason=Reason.OBJECT_UNREADABLE)


class LocalStorage(Storage):
    """Objects are files under ``root``; writes go to a temporary file that is renamed into place.

    Reads and writes run with a timeout (:class:`planocr.storage.base.TimedCalls`).
    """

    kind = "local"

    def __init__(self, root: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._calls = TimedCalls(timeout, name="planocr-local-storage")

    def _path(self, key: str, *, follow: bool = True) -> Path:
        """The file for ``key``, inside the root. ``follow=False`` leaves a symlink at the key itself unresolved."""
        path = self.root / clean_key(key)
        try:
            resolved = path.resolve() if follow else path.parent.resolve() / path.name
        except (RuntimeError, OSError) as exc:
            # RuntimeError: pathlib's "Symlink loop" (before Python 3.13); OSError: ELOOP, ENAMETOOLONG.
            raise _unreadable(key, "its path is a symlink loop or cannot be resolved") from exc
        if not resolved.is_relative_to(self.root) or resolved == self.root:
            raise InvalidArgument(f"invalid storage key {quote(key)}", reason=Reason.INVALID_STORAGE_KEY)
        return resolved

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self._path(key)
        self._calls.run(lambda: self._write(path, data), "a write")

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise Unavailable(f"local storage write failed: {exc.strerror}", reason=Reason.STORAGE_UNAVAILABLE) from exc

    def get(self, key: str) -> bytes:
        path = self._path(key)
        return self._calls.run(lambda: self._read(path, key), "a read")

    @staticmethod
    def _read(path: Path, key: str) -> bytes:
        try:
            # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno in _MISSING:
                raise NotFound(f"object {quote(key)} not found", reason=Reason.OBJECT_NOT_FOUND) from exc
            if exc.errno == errno.ELOOP:
                raise _unreadable(key, "symlink loop") from exc
            raise Unavailable(f"local storage read failed: {exc.strerror}", reason=Reason.STORAGE_UNAVAILABLE) from exc
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise NotFound(f"object {quote(key)} not found", reason=Reason.OBJECT_NOT_FOUND)
            if not stat.S_ISREG(mode):
                raise _unreadable(key, "it is not a regular file")
            handle = os.fdopen(fd, "rb")
        except OSError as exc:
            os.close(fd)
            raise Unavailable(f"local storage read failed: {exc.strerror}", reason=Reason.STORAGE_UNAVAILABLE) from exc
        except BaseException:
            os.close(fd)
            raise
        with handle:
            try:
                return handle.read()
            except OSError as exc:
                raise Unavailable(f"local storage read failed: {exc.strerror}", reason=Reason.STORAGE_UNAVAILABLE) from exc

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except FailedPrecondition:
            return True  # something is there, though it cannot be read

    def delete(self, key: str) -> None:
        try:
            path = self._path(key)
        except FailedPrecondition:
            path = self._path(key, follow=False)  # a symlink loop at the key: remove the link itself
        try:
            path.unlink(missing_ok=True)
        except IsADirectoryError:
            return
        except OSError as exc:
            raise Unavailable(f"local storage delete failed: {exc.strerror}", reason=Reason.STORAGE_UNAVAILABLE) from exc
        self._prune(path.parent)

    def delete_prefix(self, prefix: str) -> None:
        """Remove every key under ``prefix``; a folder prefix goes as a whole, with any half-written file in it."""
        if not prefix.endswith("/"):
            super().delete_prefix(prefix)
            return
        folder = self._path(prefix.rstrip("/"), follow=False)
        if folder.is_symlink() or not folder.is_dir():
            super().delete_prefix(prefix)
            return
        try:
            shutil.rmtree(folder)  # symlinks inside are removed, never followed
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise Unavailable(f"local storage delete failed: {exc.strerror}", reason=Reason.STORAGE_UNAVAILABLE) from exc
        self._prune(folder.parent)

    def _prune(self, parent: Path) -> None:
        """Remove folders left empty, up to the root."""
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def list(self, prefix: str = "") -> Iterator[str]:
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(".tmp-"):
                    continue  # a write in progress (see put)
                path = Path(dirpath, name)
                if path.is_symlink():
                    try:
                        inside = path.resolve().is_relative_to(self.root)
                    except (RuntimeError, OSError):
                        inside = True  # a loop: listed, so it can be deleted; reading it says what is wrong
                    if not inside:
                        continue  # every other method refuses it; do not offer it
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key

    def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise Unavailable(f"local storage root {self.root} is not writable", reason=Reason.STORAGE_UNAVAILABLE)

    def close(self) -> None:
        self._calls.close()
