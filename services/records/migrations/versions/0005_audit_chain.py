"""The audit trail becomes a tamper-evident chain (R-RET-3): seq, prev_hash, entry_hash.

Rows written before this revision are chained here, oldest first, so that `portfolio-audit verify`
covers the whole trail; from now on every entry is appended through portfolio_shared.audit.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portfolio_shared.audit import backfill_sync

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable first so existing rows can be chained, then NOT NULL (batch mode for SQLite).
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("entry_hash", sa.String(64), nullable=True))
    backfill_sync(op.get_bind(), "audit_log", order_by=("at", "id"))
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("entry_hash", existing_type=sa.String(64), nullable=False)
        batch.create_index("ux_audit_log_seq", ["seq"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ux_audit_log_seq")
        batch.drop_column("entry_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
