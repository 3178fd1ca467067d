"""The attributable history becomes a tamper-evident chain (R-RET-3): seq, prev_hash, entry_hash,
as identity's and records' audit trails (portfolio_shared.audit), so `portfolio-audit verify
--service artifacts` names a changed or deleted history entry.

The append-only triggers (0005) refuse the UPDATE that chains the rows already there, so they are
dropped, the rows are chained oldest first (by ``id``, the order they were appended in), and the
triggers are created again, on PostgreSQL and on SQLite alike (SQLite's batch mode rebuilds the
table, which drops its triggers anyway).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

from portfolio_shared.audit import downgrade_from_chain, upgrade_to_chain

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "artifact_history is append-only (R-RET-3)"


def _drop_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS artifact_history_append_only ON artifact_history")
    else:
        op.execute("DROP TRIGGER IF EXISTS artifact_history_no_update")
        op.execute("DROP TRIGGER IF EXISTS artifact_history_no_delete")


def _create_append_only() -> None:
    # The same guard as 0005: updates never; on PostgreSQL a retention job (R-RET-1) may delete in a
    # transaction that sets ``portfolio.retention = 'on'`` (the function of 0005 is kept).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER artifact_history_append_only BEFORE UPDATE OR DELETE ON artifact_history"
            " FOR EACH ROW EXECUTE FUNCTION artifact_history_append_only()"
        )
    else:
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER artifact_history_no_{what.lower()} BEFORE {what} ON artifact_history"
                f" BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def upgrade() -> None:
    _drop_append_only()
    upgrade_to_chain("artifact_history", order_by=("id",))
    _create_append_only()


def downgrade() -> None:
    _drop_append_only()
    downgrade_from_chain("artifact_history")
    _create_append_only()
