"""The storage contract (``planocr.storage.base``), run against every backend.

Each test gets an empty store from the ``storage`` fixture in conftest.py.
A new backend passes by being added there, not by new tests here.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from planocr.errors import Code, InvalidArgument, NotFound, Reason
from planocr.storage import Storage, open_storage

BAD_KEYS = ["../x", "/abs", "a/../../b", "", "a\x00b", "..", "a/./b", "a//b", "a\\b"]


def test_put_get_round_trip(storage: Storage) -> None:
    storage.put("documents/d1/pages/0001.png", b"page one")
    assert storage.get("documents/d1/pages/0001.png") == b"page one"


def test_binary_round_trip(storage: Storage) -> None:
    data = bytes(range(256)) * 4 + b"\r\n\x00\xff" + os.urandom(4096)
    storage.put("bin", data)
    assert storage.get("bin") == data


def test_empty_object(storage: Storage) -> None:
    storage.put("empty", b"")
    assert storage.exists("empty")
    assert storage.get("empty") == b""


@pytest.mark.slow
def test_large_object(storage: Storage) -> None:
    # Larger than S3's 5 MiB multipart threshold, so the S3 backend uploads in parts.
    data = os.urandom(6 * 1024 * 1024 + 17)
    storage.put("large.pdf", data, content_type="application/pdf")
    assert storage.get("large.pdf") == data


def test_overwrite_replaces_whole_object(storage: Storage) -> None:
    storage.put("k", b"a much longer first version")
    storage.put("k", b"short")
    assert storage.get("k") == b"short"
    assert list(storage.list()) == ["k"]


def test_keys_with_unusual_characters(storage: Storage) -> None:
    keys = ["plans/Ébauche 1.png", "a+b=c&d.txt", "x/y?z#w", "100%.pdf"]
    for i, key in enumerate(keys):
        storage.put(key, str(i).encode())
    for i, key in enumerate(keys):
        assert storage.get(key) == str(i).encode()
    assert sorted(storage.list()) == sorted(keys)


def test_exists(storage: Storage) -> None:
    assert not storage.exists("a/b")
    storage.put("a/b", b"1")
    assert storage.exists("a/b")
    # A key's parent "directory" is not itself a key.
    assert not storage.exists("a")


def test_get_missing_raises_not_found(storage: Storage) -> None:
    with pytest.raises(NotFound) as info:
        storage.get("documents/nope/pages/0001.png")
    assert info.value.reason == Reason.OBJECT_NOT_FOUND
    assert info.value.code == Code.NOT_FOUND


def test_get_of_a_key_prefix_is_not_found(storage: Storage) -> None:
    storage.put("a/b", b"1")
    with pytest.raises(NotFound) as info:
        storage.get("a")
    assert info.value.reason == Reason.OBJECT_NOT_FOUND


def test_delete(storage: Storage) -> None:
    storage.put("a/1", b"1")
    storage.put("a/2", b"2")
    storage.delete("a/1")
    assert not storage.exists("a/1")
    assert storage.get("a/2") == b"2"
    with pytest.raises(NotFound):
        storage.get("a/1")


def test_delete_missing_key_is_not_an_error(storage: Storage) -> None:
    storage.delete("never/was/here")
    storage.put("k", b"1")
    storage.delete("k")
    storage.delete("k")
    assert not storage.exists("k")


def test_list_is_empty_for_an_empty_store(storage: Storage) -> None:
    assert list(storage.list()) == []
    assert list(storage.list("anything/")) == []


def test_list_with_prefix(storage: Storage) -> None:
    for key in ["a/1", "a/2", "a/deep/3", "ab/4", "b/5"]:
        storage.put(key, b"x")
    assert sorted(storage.list()) == ["a/1", "a/2", "a/deep/3", "ab/4", "b/5"]
    assert sorted(storage.list("a/")) == ["a/1", "a/2", "a/deep/3"]
    # The prefix is a string prefix, not a directory name.
    assert sorted(storage.list("a")) == ["a/1", "a/2", "a/deep/3", "ab/4"]
    assert sorted(storage.list("a/deep/")) == ["a/deep/3"]
    assert list(storage.list("c")) == []


def test_list_keys_can_be_read_back(storage: Storage) -> None:
    storage.put("x/y/z.png", b"z")
    [key] = list(storage.list("x/"))
    assert storage.get(key) == b"z"


def test_delete_prefix(storage: Storage) -> None:
    for key in ["doc1/p1", "doc1/p2", "doc1/sub/p3", "doc10/p1", "doc2/p1"]:
        storage.put(key, b"x")
    storage.delete_prefix("doc1/")
    assert sorted(storage.list()) == ["doc10/p1", "doc2/p1"]
    storage.delete_prefix("nothing-here/")
    assert sorted(storage.list()) == ["doc10/p1", "doc2/p1"]


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
@pytest.mark.parametrize("operation", ["put", "get", "exists", "delete"])
def test_invalid_keys_are_refused(storage: Storage, operation: str, key: str) -> None:
    call = {
        "put": lambda: storage.put(key, b"x"),
        "get": lambda: storage.get(key),
        "exists": lambda: storage.exists(key),
        "delete": lambda: storage.delete(key),
    }[operation]
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.reason == Reason.INVALID_STORAGE_KEY
    assert info.value.code == Code.INVALID_ARGUMENT
    assert list(storage.list()) == []


def test_concurrent_puts_and_gets(storage: Storage) -> None:
    threads, per_thread = 16, 8

    def work(worker: int) -> list[tuple[str, bytes, bytes]]:
        results = []
        for i in range(per_thread):
            key = f"concurrent/{worker:02d}/{i}"
            data = os.urandom(1024 + worker * 97 + i)
            storage.put(key, data)
            results.append((key, data, storage.get(key)))
        return results

    with ThreadPoolExecutor(threads) as pool:
        outcomes = [result for batch in pool.map(work, range(threads)) for result in batch]

    assert len(outcomes) == threads * per_thread
    for key, written, read in outcomes:
        assert read == written, key
    assert len(list(storage.list("concurrent/"))) == threads * per_thread


def test_readers_never_see_a_partial_object(storage: Storage) -> None:
    versions = [bytes([65 + n]) * 256 * 1024 for n in range(4)]
    storage.put("shared", versions[0])
    stop = threading.Event()
    seen: list[bytes] = []

    def write(n: int) -> None:
        for round_ in range(6):
            storage.put("shared", versions[(n + round_) % len(versions)])

    def read() -> None:
        while not stop.is_set():
            seen.append(storage.get("shared"))

    with ThreadPoolExecutor(16) as pool:
        readers = [pool.submit(read) for _ in range(8)]
        writers = [pool.submit(write, n) for n in range(8)]
        for future in writers:
            future.result()
        stop.set()
        for future in readers:
            future.result()

    assert seen
    for data in seen:
        assert data in versions


def test_check_passes_when_healthy(storage: Storage) -> None:
    storage.check()


def test_open_storage_picks_the_backend_from_the_url(backend) -> None:
    first, second = backend.open(), open_storage(backend.url, **backend.credentials)
    try:
        assert first.kind == backend.kind
        assert type(first) is type(second)
        # Two instances opened from one URL are views of the same store.
        first.put("shared/key", b"seen by both")
        assert second.get("shared/key") == b"seen by both"
    finally:
        first.close()
        second.close()


def test_open_storage_refuses_unknown_schemes() -> None:
    with pytest.raises(InvalidArgument):
        open_storage("ftp://example.com/objects")
