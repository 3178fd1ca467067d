"""Records: school settings (time zone, standing SIS import window), known schools, nightly sync runs, student contacts.

Plain SQLAlchemy types only, so it runs on PostgreSQL and on SQLite (standalone shape).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "known_schools",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("school_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_known_schools")),
    )
    op.create_table(
        "nightly_runs",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("job", "school_id", "night", name=op.f("pk_nightly_runs")),
    )
    op.create_table(
        "school_settings",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("sis_import_starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sis_import_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_school_settings")),
    )
    op.create_table(
        "student_contacts",
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("contact_encrypted", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], name=op.f("fk_student_contacts_student_id_students")),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_student_contacts")),
    )


def downgrade() -> None:
    op.drop_table("student_contacts")
    op.drop_table("school_settings")
    op.drop_table("nightly_runs")
    op.drop_table("known_schools")
