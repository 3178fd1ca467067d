"""Records: retention of graduates' data (R-RET-1) — sealed students, the school's archive period,
deletion requests and the confirmations that make their proof of deletion.

Plain SQLAlchemy types only, so it runs on PostgreSQL and on SQLite (standalone shape).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portfolio_shared.retention import create_sealed_students

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_sealed_students(op)
    op.create_table(
        "retention_settings",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("archive_years", sa.Integer(), nullable=False),
        sa.Column("scheduled_purge", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_retention_settings")),
    )
    op.create_table(
        "deletion_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("students", sa.JSON(), nullable=False),
        sa.Column("expected_services", sa.JSON(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_requests")),
    )
    op.create_index(op.f("ix_deletion_requests_school_id"), "deletion_requests", ["school_id"])
    op.create_table(
        "deletion_confirmations",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("service", sa.String(length=20), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("digests", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["deletion_requests.id"],
            name=op.f("fk_deletion_confirmations_request_id_deletion_requests"),
        ),
        sa.PrimaryKeyConstraint("request_id", "service", name=op.f("pk_deletion_confirmations")),
    )


def downgrade() -> None:
    op.drop_table("deletion_confirmations")
    op.drop_index(op.f("ix_deletion_requests_school_id"), table_name="deletion_requests")
    op.drop_table("deletion_requests")
    op.drop_table("retention_settings")
    op.drop_index(op.f("ix_sealed_students_user_id"), table_name="sealed_students")
    op.drop_table("sealed_students")
