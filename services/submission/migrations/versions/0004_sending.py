"""Packaging and sending: one sending row per batch (idempotency key, lease, encrypted package,
the central database's answer).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "batch_sendings",
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("central_adapter", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("package_key", sa.String(length=400), nullable=True),
        sa.Column("package_size", sa.BigInteger(), nullable=True),
        sa.Column("package_sha256", sa.String(length=64), nullable=True),
        sa.Column("package_stored_size", sa.BigInteger(), nullable=True),
        sa.Column("package_key_id", sa.String(length=64), nullable=True),
        sa.Column("package_built_at", TS, nullable=True),
        sa.Column("package_purge_after", TS, nullable=True),
        sa.Column("package_purged_at", TS, nullable=True),
        sa.Column("central_submission_id", sa.String(length=100), nullable=True),
        sa.Column("central_received_at", sa.String(length=40), nullable=True),
        sa.Column("accepted_at", TS, nullable=True),
        sa.Column("student_count", sa.Integer(), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_code", sa.String(length=60), nullable=True),
        sa.Column("refusal", sa.JSON(), nullable=True),
        sa.Column("selections", sa.JSON(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_batch_sendings_batch_id_batches")),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_batch_sendings")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_batch_sendings_idempotency_key")),
    )
    op.create_index("ix_batch_sendings_due", "batch_sendings", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_batch_sendings_due", table_name="batch_sendings")
    op.drop_table("batch_sendings")
