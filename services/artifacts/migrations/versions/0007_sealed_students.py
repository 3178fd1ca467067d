"""Artifacts: graduates sealed by records (R-RET-1): ``sealed_students`` (portfolio_shared.retention).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

from portfolio_shared.retention import create_sealed_students

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_sealed_students(op)


def downgrade() -> None:
    op.drop_index(op.f("ix_sealed_students_user_id"), table_name="sealed_students")
    op.drop_table("sealed_students")
