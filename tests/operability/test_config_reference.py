"""The README's configuration reference is generated from the settings and its production example is valid."""

from __future__ import annotations

import importlib.util
import os
import re

from planocr.cli.healthcheck import HealthCheckSettings
from planocr.config import Settings
from tests.operability.helpers import ROOT, make_pki

README = ROOT / "README.md"


def config_table():
    spec = importlib.util.spec_from_file_location("config_table", ROOT / "tools" / "config_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_is_current():
    tool = config_table()
    assert tool.current_block(README.read_text()) == tool.markdown(), "run: python tools/config_table.py --write"


def test_every_setting_is_listed_with_its_default():
    block = config_table().current_block(README.read_text())
    for name in Settings.model_fields:
        assert f"| `PLANOCR_{name.upper()}` |" in block
    for name in HealthCheckSettings.model_fields:
        assert f"| `PLANOCR_HEALTHCHECK_{name.upper()}` |" in block
    assert "| `PLANOCR_GRACE_SECONDS` | `15.0` |" in block
    assert "| `PLANOCR_REFLECTION` | `true` |" in block


def test_write_adds_markers_when_missing(tmp_path):
    tool = config_table()
    readme = tmp_path / "README.md"
    readme.write_text("# planocr\n")
    tool.write(readme)
    text = readme.read_text()
    assert "## Configuration" in text and tool.current_block(text) == tool.markdown()
    tool.write(readme)  # idempotent
    assert readme.read_text() == text


def test_production_example_is_a_valid_configuration(tmp_path, monkeypatch):
    text = README.read_text()
    example = text.split("### Example: production", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    pki = make_pki(tmp_path)
    files = {"/etc/planocr/tls/tls.crt": pki.server_cert, "/etc/planocr/tls/tls.key": pki.server_key, "/etc/planocr/tls/ca.crt": pki.ca}
    env = {}
    for line in example.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            key, _, value = line.partition("=")
            env[key] = files.get(value, re.sub(r"\$\{(\w+)\}", lambda m: f"secret-{m.group(1).lower()}", value))
    unknown = [k for k in env if k.startswith("PLANOCR_") and k.removeprefix("PLANOCR_").lower() not in Settings.model_fields]
    assert not unknown
    for key in list(os.environ):
        if key.startswith("PLANOCR_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    settings = Settings()
    assert settings.engine == "vision" and settings.tls_client_ca_file == pki.ca
    assert settings.auth_token.get_secret_value() == "secret-planocr_token"
