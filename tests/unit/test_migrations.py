"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from planocr.config import Settings
from planocr.db import migrate
from planocr.db.engine import create_db_engine
from planocr.db.models import Base


def test_migrated_schema_matches_models(database_url, tmp_path):
    engine = create_db_engine(Settings(data_dir=tmp_path, database_url=database_url))
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # a second run is a no-op
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []
