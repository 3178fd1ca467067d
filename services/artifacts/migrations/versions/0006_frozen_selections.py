"""Frozen selections: the accepted submission batch that carried an outcome or a performance, after
which a deselect is refused (R-SUB-7, R-SUB-8: corrections go through a correction batch).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("outcomes", "performances"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("frozen_by_batch", sa.String(64), nullable=True))
            batch.add_column(sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ("outcomes", "performances"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("frozen_at")
            batch.drop_column("frozen_by_batch")
