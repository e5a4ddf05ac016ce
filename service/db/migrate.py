"""Schema migrations (Alembic), run by ``planocr migrate`` and at start with the embedded default.

A database that is new and private to one process (``planocr ocr``'s
throwaway SQLite file) gets its schema from :func:`create_schema` instead:
the models' tables created in one go, without importing or running Alembic.
Alembic is imported only by the functions that use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant works; it only has to be the same in every replica.
_ADVISORY_LOCK_ID = 0x706C616E6F6372


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``. On PostgreSQL an advisory lock lets one replica at a time migrate."""
    from alembic import command

    config = _config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def create_schema(engine: Engine) -> None:
    """Create the tables of a new database that no other process uses, from the models, in one transaction.

    The same tables, columns, defaults, keys and indexes as the migrations
    build (tests/unit/test_migrations.py compares them), but no
    ``alembic_version`` table: nobody will ever migrate this database. Fails
    if a table already exists, so it never runs on a database that has data.
    """
    from planocr.db.models import Base

    with engine.begin() as connection:
        Base.metadata.create_all(connection, checkfirst=False)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()
