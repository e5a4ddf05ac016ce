from __future__ import annotations

import pytest
from pydantic import ValidationError

from planocr.config import Settings
from planocr.db.engine import to_sync_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql+asyncpg://app:s3cr%40t@db:5432/plans", "postgresql+psycopg2://app:s3cr%40t@db:5432/plans"),
        ("postgresql://app@db/plans", "postgresql+psycopg2://app@db/plans"),
        ("postgresql+psycopg2://app@db/plans", "postgresql+psycopg2://app@db/plans"),
        ("postgresql+asyncpg://app@db/plans?ssl=require", "postgresql+psycopg2://app@db/plans?sslmode=require"),
        ("sqlite+aiosqlite:////var/lib/planocr.db", "sqlite:////var/lib/planocr.db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_async_urls_become_sync(given, expected):
    assert to_sync_url(given).render_as_string(hide_password=False) == expected


def test_password_with_special_characters_survives():
    url = to_sync_url("postgresql+asyncpg://app:p%2Fa%3Ass%40word@db/plans")
    assert url.password == "p/a:ss@word"
    assert url.drivername == "postgresql+psycopg2"


def test_defaults_are_embedded(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert settings.listen == "127.0.0.1:50051"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'planocr.db'}"
    assert settings.resolved_storage_url == (tmp_path / "objects").as_uri()
    assert settings.should_migrate_on_start
    assert settings.engine == "tesseract"


def test_settings_come_from_prefixed_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PLANOCR_LISTEN", "0.0.0.0:6000")
    monkeypatch.setenv("PLANOCR_ENGINE", "null")
    monkeypatch.setenv("PLANOCR_DATABASE_URL", "postgresql+asyncpg://u@h/d")
    settings = Settings()
    assert settings.listen == "0.0.0.0:6000"
    assert settings.engine == "null"
    assert not settings.should_migrate_on_start


@pytest.mark.parametrize("listen", ["localhost", "127.0.0.1:", ":50051", "host:port", "h:70000"])
def test_bad_listen_address_is_refused(listen):
    with pytest.raises(ValidationError, match="host:port"):
        Settings(listen=listen)


def test_pool_too_small_for_the_workers_is_refused():
    with pytest.raises(ValidationError, match="database pool too small"):
        Settings(ocr_workers=8, db_pool_size=4, db_max_overflow=2)
    Settings(ocr_workers=8, db_pool_size=5, db_max_overflow=5)


def test_tls_files_must_come_in_pairs_and_exist(tmp_path):
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    with pytest.raises(ValidationError, match="go together"):
        Settings(tls_cert_file=cert)
    with pytest.raises(ValidationError, match="does not exist"):
        Settings(tls_cert_file=cert, tls_key_file=tmp_path / "missing.pem")


def test_secrets_do_not_show_in_repr():
    settings = Settings(s3_secret_key="hunter2", auth_token="tok-123")
    assert "hunter2" not in repr(settings) and "tok-123" not in repr(settings)
