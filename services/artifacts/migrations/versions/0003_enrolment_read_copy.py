"""Read copy of each student's enrolment status per school (R-DATA-6, R-ENR-1).

Revision ID: 0003
Revises: 0002

Spelled out here rather than built from ``adapters.orm`` so that this revision stays what it was
when later revisions change the table. Plain ``sa`` types: runs on PostgreSQL and SQLite.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rc_enrolments",
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("student_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "user_id", name="pk_rc_enrolments"),
    )


def downgrade() -> None:
    op.drop_table("rc_enrolments")
