"""Grade imports keep their warnings: cells kept as sent that a spreadsheet would run as formulas.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: imports made before this revision have no warnings recorded (None, not "none found").
    op.add_column("grade_imports", sa.Column("warnings", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("grade_imports", "warnings")
