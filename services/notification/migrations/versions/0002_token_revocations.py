"""Token revocations of the notification service: tokens issued before a user's or a sign-in's
revocation are refused, also after a restart (ASVS V7).

Revision ID: 0002
Revises: 0001
"""

from portfolio_shared.migrations import create_revocation_table, drop_revocation_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_revocation_table()


def downgrade() -> None:
    drop_revocation_table()
