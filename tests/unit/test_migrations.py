"""The migrations build exactly the schema the models describe, and so does a private database's create_schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from planocr.config import Settings
from planocr.db import migrate
from planocr.db.engine import create_db_engine
from planocr.db.models import Base
from tests.support.schema import APP_TABLES, SERVICE_TABLES, schema_of


def test_migrated_schema_matches_models(database_url, tmp_path):
    engine = create_db_engine(Settings(data_dir=tmp_path, database_url=database_url))
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # a second run is a no-op
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []



@pytest.fixture
def two_databases(request, tmp_path):
    """Two new, empty databases of the same kind (SQLite files, or throwaway PostgreSQL databases)."""
    if request.param == "sqlite":
        yield [f"sqlite:///{tmp_path / name}.db" for name in ("migrated", "created")]
        return
    postgres = request.getfixturevalue("postgres")
    urls = [postgres.new_database(), postgres.new_database()]
    yield urls
    for url in urls:
        postgres.drop(url)


@pytest.mark.parametrize("two_databases", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_create_schema_builds_what_the_migrations_build(two_databases, tmp_path):
    migrated, created = (create_db_engine(Settings(data_dir=tmp_path, database_url=url)) for url in two_databases)
    try:
        migrate.upgrade(migrated)
        migrate.create_schema(created)
        expected, actual = schema_of(migrated), schema_of(created)
        assert [name for name, *_ in actual["pages"]["columns"]][:3] == ["id", "document_id", "page_number"]
        assert actual == expected
        assert set(inspect(created).get_table_names()) == set(APP_TABLES + SERVICE_TABLES)  # and no alembic_version
        with pytest.raises(Exception, match="(?i)already exists"):
            migrate.create_schema(created)  # never over a database that has tables
    finally:
        migrated.dispose()
        created.dispose()
