"""operations: documents read in the background, and the pages they want

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("document_id", sa.Uuid(), sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("request_id", sa.String(256), unique=True),
        sa.Column("state", sa.String(16), nullable=False, server_default="running"),
        sa.Column("priority", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("force", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("engine", sa.String(64)),
        sa.Column("text_source", sa.String(32)),
        sa.Column("total_pages", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("to_process", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("summary", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_operations_document_id", "operations", ["document_id"])
    op.create_index(
        "uq_operations_running_document",
        "operations",
        ["document_id"],
        unique=True,
        postgresql_where=sa.text("state = 'running'"),
        sqlite_where=sa.text("state = 'running'"),
    )
    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("operation_id", sa.Uuid(), sa.ForeignKey("operations.id", name="fk_pages_operation", ondelete="SET NULL")))
        batch.add_column(sa.Column("wanted", sa.Boolean(), nullable=False, server_default=sa.text("false")))
    op.create_index("ix_pages_operation", "pages", ["operation_id", "wanted", "page_number"])


def downgrade() -> None:
    op.drop_index("ix_pages_operation", table_name="pages")
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("wanted")
        batch.drop_column("operation_id")
    op.drop_index("uq_operations_running_document", table_name="operations")
    op.drop_index("ix_operations_document_id", table_name="operations")
    op.drop_table("operations")
