"""``buf breaking`` against the protos of an earlier commit, offline.

    python tools/buf_breaking.py                  # against HEAD~1 (main's previous commit)
    python tools/buf_breaking.py --against origin/main
    BUF_BREAKING_AGAINST=origin/main python tools/buf_breaking.py

``buf breaking --against '.git#ref=…'`` cannot build the old protos here:
they import google/rpc/status.proto, which lives in the generated
build/proto-deps module and is not in git. So the old commit's protos/ and
buf.yaml are exported to a temporary folder, the current build/proto-deps is
placed beside them, and buf compares against that folder.

Exits 0 when nothing breaks or when there is nothing to compare with (the
first commit, a shallow clone without the parent, a commit before protos/
existed), saying so; 1 when buf reports a breaking change.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATUS_PROTO = Path("build", "proto-deps", "google", "rpc", "status.proto")


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True)


def export(repo: Path, ref: str, into: Path) -> bool:
    """Write ``ref``'s protos/ and buf.yaml under ``into``; False when it has no protos/."""
    if not git(repo, "ls-tree", "-d", ref, "protos").stdout.strip():
        return False
    paths = ["protos"] + (["buf.yaml"] if git(repo, "cat-file", "-e", f"{ref}:buf.yaml").returncode == 0 else [])
    archive = git(repo, "archive", "--format=tar", ref, *paths)
    if archive.returncode != 0:
        raise SystemExit(f"git archive {ref} failed: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    if not (into / "buf.yaml").exists():
        shutil.copyfile(repo / "buf.yaml", into / "buf.yaml")
    shutil.copytree(repo / "build" / "proto-deps", into / "build" / "proto-deps")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default=os.environ.get("BUF_BREAKING_AGAINST", "HEAD~1"), help="git ref to compare with (default HEAD~1)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="repository root (default: this one)")
    parser.add_argument("--buf", default=str(Path(sys.executable).parent / "buf"), help="buf executable")
    args = parser.parse_args()
    repo = args.repo.resolve()

    if git(repo, "rev-parse", "--verify", "--quiet", f"{args.against}^{{commit}}").returncode != 0:
        shallow = git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true"
        why = "a shallow clone; fetch with --depth=2 or more" if shallow else "the first commit, or an unknown ref"
        print(f"buf breaking: skipped, {args.against} does not exist here ({why})")
        return 0
    if not (repo / STATUS_PROTO).exists():
        print(f"buf breaking: {STATUS_PROTO} is missing; run `make proto` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="buf-against-") as tmp:
        if not export(repo, args.against, Path(tmp)):
            print(f"buf breaking: skipped, {args.against} has no protos/")
            return 0
        result = subprocess.run([args.buf, "breaking", "--against", tmp], cwd=repo)
    if result.returncode == 0:
        print(f"buf breaking: no breaking changes against {args.against}")
    return 0 if result.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
