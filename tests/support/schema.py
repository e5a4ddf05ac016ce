"""The shape of the tables the FastAPI app reads, as the database reports it (for comparing two databases)."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

#: The tables the FastAPI app reads.
APP_TABLES = ("documents", "pages")
#: The service's own bookkeeping, in the same database.
SERVICE_TABLES = ("upload_claims", "operations")


def schema_of(engine: Engine) -> dict:
    """Every column (type, nullability, server default), key, constraint and index of the service's tables, as reflected."""
    found = inspect(engine)
    schema = {}
    for table in APP_TABLES + SERVICE_TABLES:
        schema[table] = {
            "columns": [[c["name"], str(c["type"]), c["nullable"], c.get("default")] for c in found.get_columns(table)],
            "primary_key": found.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted(
                [fk["constrained_columns"], fk["referred_table"], fk["referred_columns"], fk["options"].get("ondelete")]
                for fk in found.get_foreign_keys(table)
            ),
            "unique": sorted(u["column_names"] for u in found.get_unique_constraints(table)),
            "indexes": sorted([i["name"], i["column_names"], bool(i["unique"])] for i in found.get_indexes(table)),
        }
    return schema
