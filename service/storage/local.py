"""Storage in a local directory (the embedded default)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from planocr.errors import InvalidArgument, NotFound, Reason, Unavailable
from planocr.storage.base import Storage, clean_key


class LocalStorage(Storage):
    """Objects are files under ``root``; writes go to a temporary file that is renamed into place."""

    kind = "local"

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / clean_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidArgument(f"invalid storage key {key!r}", reason=Reason.INVALID_STORAGE_KEY)
        return path

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self._path(key)
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
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFound(f"object {key!r} not found", reason=Reason.OBJECT_NOT_FOUND) from exc
        except OSError as exc:
            raise Unavailable(f"local storage read failed: {exc.strerror}", reason=Reason.STORAGE_UNAVAILABLE) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != self.root:
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
                if path.is_symlink() and not path.resolve().is_relative_to(self.root):
                    continue  # every other method refuses it; do not offer it
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key

    def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise Unavailable(f"local storage root {self.root} is not writable", reason=Reason.STORAGE_UNAVAILABLE)
