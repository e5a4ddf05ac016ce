"""LocalStorage beyond the shared contract: staying inside its root, and atomic writes.

The rule for symlinks: a key is accepted only if its fully resolved path
(symlinks followed) is inside the resolved root. A symlink inside the root
that points elsewhere inside the root works; one that points outside is
refused with INVALID_STORAGE_KEY, for reads and writes alike.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planocr.errors import InvalidArgument, PlanocrError, Reason, Unavailable
from planocr.storage import open_storage
from planocr.storage.local import LocalStorage


def temp_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.name.startswith(".tmp-")]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "objects"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the root, holding a file the store must never touch."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_bytes(b"not yours")
    return folder


def assert_refused(call) -> None:
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.reason == Reason.INVALID_STORAGE_KEY


def test_root_is_created(root: Path) -> None:
    LocalStorage(root / "nested")
    assert (root / "nested").is_dir()


@pytest.mark.parametrize("form", ["uri", "path"])
def test_open_storage_accepts_file_urls_and_plain_paths(root: Path, form: str) -> None:
    url = root.as_uri() if form == "uri" else str(root)
    store = open_storage(url)
    assert isinstance(store, LocalStorage)
    assert store.root == root.resolve()


def test_objects_are_files_under_the_root(root: Path) -> None:
    store = LocalStorage(root)
    store.put("documents/d1/pages/0001.png", b"png")
    assert (root / "documents" / "d1" / "pages" / "0001.png").read_bytes() == b"png"


def test_delete_prunes_empty_directories_but_not_the_root(root: Path) -> None:
    store = LocalStorage(root)
    store.put("a/b/c", b"1")
    store.delete("a/b/c")
    assert root.is_dir()
    assert list(root.iterdir()) == []


def test_directory_symlink_escaping_the_root_is_refused(root: Path, outside: Path) -> None:
    store = LocalStorage(root)
    (root / "link").symlink_to(outside, target_is_directory=True)

    assert_refused(lambda: store.get("link/secret.txt"))
    assert_refused(lambda: store.exists("link/secret.txt"))
    assert_refused(lambda: store.put("link/secret.txt", b"overwritten"))
    assert_refused(lambda: store.put("link/new.txt", b"planted"))
    assert_refused(lambda: store.delete("link/secret.txt"))

    assert (outside / "secret.txt").read_bytes() == b"not yours"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_file_symlink_escaping_the_root_is_refused(root: Path, outside: Path) -> None:
    store = LocalStorage(root)
    (root / "leak").symlink_to(outside / "secret.txt")

    assert_refused(lambda: store.get("leak"))
    assert_refused(lambda: store.put("leak", b"overwritten"))
    assert_refused(lambda: store.delete("leak"))

    assert (outside / "secret.txt").read_bytes() == b"not yours"


def test_symlink_to_the_root_parent_is_refused(root: Path) -> None:
    store = LocalStorage(root)
    (root / "up").symlink_to(root.parent, target_is_directory=True)
    assert_refused(lambda: store.put("up/objects-sibling", b"x"))
    assert not (root.parent / "objects-sibling").exists()


def test_symlink_staying_inside_the_root_is_followed(root: Path) -> None:
    store = LocalStorage(root)
    store.put("real/page.png", b"png")
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    assert store.get("alias/page.png") == b"png"


def test_root_reached_through_a_symlink_works(tmp_path: Path) -> None:
    real = tmp_path / "real-root"
    real.mkdir()
    (tmp_path / "root-link").symlink_to(real, target_is_directory=True)
    store = LocalStorage(tmp_path / "root-link")
    store.put("a/b", b"1")
    assert store.get("a/b") == b"1"
    assert (real / "a" / "b").read_bytes() == b"1"


def test_list_does_not_offer_keys_that_escape_the_root(root: Path, outside: Path) -> None:
    store = LocalStorage(root)
    store.put("inside", b"1")
    (root / "leak").symlink_to(outside / "secret.txt")
    assert sorted(store.list()) == ["inside"]


def test_writes_leave_no_temporary_files(root: Path) -> None:
    store = LocalStorage(root)
    for i in range(5):
        store.put("docs/d/page.png", os.urandom(1000 + i))
        store.put(f"docs/d/other-{i}", b"x")
    assert temp_files(root) == []
    assert sorted(store.list()) == sorted(["docs/d/page.png"] + [f"docs/d/other-{i}" for i in range(5)])


def test_failed_write_leaves_no_temporary_file_and_keeps_the_old_state(root: Path) -> None:
    store = LocalStorage(root)
    store.put("a/b", b"1")
    # "a" is a directory, so the final rename of a write to key "a" fails.
    with pytest.raises(PlanocrError):
        store.put("a", b"2")
    assert temp_files(root) == []
    assert store.get("a/b") == b"1"
    assert sorted(store.list()) == ["a/b"]


def test_check_fails_for_a_read_only_root(root: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    store = LocalStorage(root)
    root.chmod(0o500)
    try:
        with pytest.raises(Unavailable) as info:
            store.check()
        assert info.value.reason == Reason.STORAGE_UNAVAILABLE
    finally:
        root.chmod(0o700)
