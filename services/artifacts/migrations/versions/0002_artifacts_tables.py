"""Outcomes, performances, files, idempotency keys, lock rows and the read copies.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from portfolio_artifacts.adapters.orm import artifact_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _tables() -> dict[str, sa.Table]:
    # Built on a fresh MetaData with the same naming convention; later changes get their own revision.
    from portfolio_artifacts.adapters.orm import metadata

    return artifact_tables(sa.MetaData(naming_convention=metadata.naming_convention))


def upgrade() -> None:
    md = next(iter(_tables().values())).metadata
    md.create_all(bind=op.get_bind())


def downgrade() -> None:
    for table in reversed(list(_tables().values())):
        op.drop_table(table.name)
