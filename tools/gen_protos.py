"""Generate the Python stubs for protos/ into service/v1 (package planocr.v1).

    python tools/gen_protos.py          write the stubs
    python tools/gen_protos.py --check  exit 1 when the committed stubs are stale

Also places the googleapis protos the contract imports (google.rpc.Status,
google.longrunning.Operations and the google.api annotations they use),
from googleapis-common-protos, under build/proto-deps, so that protoc and
buf resolve them without a network registry.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

import google.rpc
import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT / "service" / "v1"
DEPS = ROOT / "build" / "proto-deps"


#: Where each imported googleapis proto is, relative to googleapis-common-protos' ``google`` folder.
#: The package ships google/longrunning/operations.proto under another file name.
PROTO_DEPS = {
    "google/rpc/status.proto": "rpc/status.proto",
    "google/longrunning/operations.proto": "longrunning/operations_proto.proto",
    "google/api/annotations.proto": "api/annotations.proto",
    "google/api/client.proto": "api/client.proto",
    "google/api/field_behavior.proto": "api/field_behavior.proto",
    "google/api/http.proto": "api/http.proto",
    "google/api/launch_stage.proto": "api/launch_stage.proto",
}


def place_proto_deps() -> Path:
    """Copy the googleapis protos that the contract imports to build/proto-deps; returns that folder."""
    google_root = Path(google.rpc.__path__[0]).parent
    for name, source in PROTO_DEPS.items():
        target = DEPS / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(google_root / source, target)
    return DEPS


def generate(into: Path) -> None:
    includes_root = place_proto_deps()
    wkt = Path(grpc_tools.__path__[0]) / "_proto"
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "protoc",
            f"-I{PROTOS}",
            f"-I{wkt}",
            f"-I{includes_root}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            *files,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        generated = Path(tmp) / "planocr" / "v1"
        into.mkdir(parents=True, exist_ok=True)
        for old in into.glob("*_pb2*.py*"):
            old.unlink()
        for path in sorted(generated.iterdir()):
            shutil.copyfile(path, into / path.name)
    (into / "__init__.py").write_text('"""Generated protobuf and gRPC stubs for planocr.v1 (tools/gen_protos.py)."""\n')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed stubs are stale")
    args = parser.parse_args()
    if not args.check:
        generate(OUT)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "v1"
        generate(fresh)
        names = sorted(p.name for p in fresh.iterdir())
        current = sorted(p.name for p in OUT.iterdir() if p.is_file() and p.suffix in {".py", ".pyi"})
        _, mismatch, errors = filecmp.cmpfiles(fresh, OUT, names, shallow=False)
        if mismatch or errors or names != current:
            print(f"stale stubs in {OUT.relative_to(ROOT)}: {mismatch + errors or 'file list differs'}; run `make proto`", file=sys.stderr)
            return 1
    print("stubs are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
