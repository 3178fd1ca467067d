"""The audit trail becomes a tamper-evident chain (R-RET-3): seq, prev_hash, entry_hash.

Rows written before this revision are chained here, oldest first, so that `portfolio-audit verify`
covers the whole trail; from now on every entry is appended through portfolio_shared.audit.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from portfolio_shared.audit import downgrade_from_chain, upgrade_to_chain

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    upgrade_to_chain("audit_log", order_by=("id",))


def downgrade() -> None:
    downgrade_from_chain("audit_log")
