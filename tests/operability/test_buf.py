"""buf in CI: the breaking-change check against an earlier commit, and buf.gen.yaml's inputs and managed mode."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.operability.helpers import BIN, ROOT
from tests.operability.test_reflection import ensure_proto_deps

BUF = BIN / "buf"
SCRIPT = ROOT / "tools" / "buf_breaking.py"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args], check=True, capture_output=True)


def breaking(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--repo", str(repo), "--buf", str(BUF), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository with this project's protos, buf.yaml and build/proto-deps (not committed, as here)."""
    ensure_proto_deps()
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "protos", repo / "protos")
    shutil.copyfile(ROOT / "buf.yaml", repo / "buf.yaml")
    shutil.copytree(ROOT / "build" / "proto-deps", repo / "build" / "proto-deps")
    (repo / ".gitignore").write_text("build/\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "contract")
    return repo


def edit_proto(repo: Path, old: str, new: str) -> None:
    path = repo / "protos" / "planocr" / "v1" / "ocr_service.proto"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_first_commit_is_skipped_not_failed(repo):
    result = breaking(repo)
    assert result.returncode == 0
    assert "skipped" in result.stdout and "HEAD~1" in result.stdout


def test_compatible_change_passes_and_breaking_change_fails(repo):
    edit_proto(repo, "  int32 render_dpi = 5;\n", "  int32 render_dpi = 5;\n  // A label for the upload.\n  string label = 6;\n")
    git(repo, "commit", "-q", "-am", "add a field")
    compatible = breaking(repo)
    assert compatible.returncode == 0, compatible.stdout + compatible.stderr
    assert "no breaking changes against HEAD~1" in compatible.stdout

    edit_proto(repo, "  string request_id = 3;\n", "  reserved 3;\n")
    git(repo, "commit", "-q", "-am", "remove request_id")
    broken = breaking(repo)
    assert broken.returncode == 1
    assert "request_id" in broken.stdout + broken.stderr


def test_shallow_clone_is_skipped(repo, tmp_path):
    edit_proto(repo, "  int32 render_dpi = 5;\n", "  int32 render_dpi = 5;\n  // A label.\n  string label = 6;\n")
    git(repo, "commit", "-q", "-am", "second")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{repo}", str(clone)], check=True, capture_output=True)
    shutil.copytree(repo / "build", clone / "build")
    result = breaking(clone)
    assert result.returncode == 0 and "shallow clone" in result.stdout


PLUGIN = '''
import hashlib, json, sys
from google.protobuf.compiler import plugin_pb2
request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
files = {f.name: {"go_package": f.options.go_package, "java_package": f.options.java_package} for f in request.proto_file}
response = plugin_pb2.CodeGeneratorResponse()
out = response.file.add()
# buf may call a plugin once per directory: one report per call.
out.name = sys.argv[1].replace("/", "_") + "--" + hashlib.sha1(",".join(request.file_to_generate).encode()).hexdigest()[:8] + ".json"
out.content = json.dumps({"generate": list(request.file_to_generate), "files": files, "parameter": request.parameter})
sys.stdout.buffer.write(response.SerializeToString())
'''


def test_buf_gen_yaml_targets_the_contract_with_managed_options(tmp_path):
    """buf.gen.yaml with each remote plugin swapped for a local one that reports what it was asked."""
    ensure_proto_deps()
    plugin = tmp_path / "plugin.py"
    plugin.write_text(PLUGIN)
    template = (ROOT / "buf.gen.yaml").read_text()
    local = re.sub(r"- remote: (\S+)", lambda m: f"- local: ['{sys.executable}', '{plugin}', '{m.group(1)}']", template)
    assert local.count("- local:") == 5
    (tmp_path / "buf.gen.local.yaml").write_text(local)
    out = tmp_path / "out"
    done = subprocess.run([str(BUF), "generate", "--template", str(tmp_path / "buf.gen.local.yaml"), "--output", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    def asked(plugin_name: str, folder: str) -> dict:
        """What every call of one plugin was asked, merged."""
        merged: dict = {"generate": [], "files": {}, "parameter": None}
        for report in (out / folder).glob(f"{plugin_name.replace('/', '_')}--*.json"):
            call = json.loads(report.read_text())
            merged["generate"] += call["generate"]
            merged["files"].update(call["files"])
            merged["parameter"] = call["parameter"]
        return merged

    contract = ["planocr/v1/document.proto", "planocr/v1/ocr_service.proto", "planocr/v1/page.proto"]
    go = asked("buf.build/grpc/go", "gen/go")
    assert sorted(go["generate"]) == contract
    assert go["files"]["planocr/v1/page.proto"]["go_package"] == "example.com/planocr/gen/go/planocr/v1;planocrv1"
    assert go["files"]["google/rpc/status.proto"]["go_package"].startswith("google.golang.org/genproto/googleapis/rpc/status")
    assert go["parameter"] == "paths=source_relative"
    java = asked("buf.build/protocolbuffers/java", "gen/java")
    assert java["files"]["planocr/v1/ocr_service.proto"]["java_package"] == "dev.planocr.planocr.v1"
    ts = asked("buf.build/community/stephenh-ts-proto", "gen/ts")
    assert "google/rpc/status.proto" in ts["generate"] and set(contract) <= set(ts["generate"])
    assert "outputServices=grpc-js" in ts["parameter"]
