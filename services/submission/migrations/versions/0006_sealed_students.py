"""Submission: graduates sealed by records (R-RET-1): ``sealed_students`` (portfolio_shared.retention).

A sealed student's receipt answers and objections are refused; records' deletion request deletes
this service's copies of their data (read copies, receipts' rows about them, objections).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

from portfolio_shared.retention import create_sealed_students

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_sealed_students(op)


def downgrade() -> None:
    op.drop_index(op.f("ix_sealed_students_user_id"), table_name="sealed_students")
    op.drop_table("sealed_students")
