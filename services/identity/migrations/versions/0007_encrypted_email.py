"""Identity: users' e-mail addresses encrypted at rest (AES-GCM tokens need a text column).

Existing plain addresses stay readable (portfolio_shared.fieldcrypto reads a value without a key id
as plain) and are encrypted at the service's next start (service_layer/startup.py), which needs the
keys that a migration does not have.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email", type_=sa.Text(), existing_type=sa.String(length=254), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email", type_=sa.String(length=254), existing_type=sa.Text(), existing_nullable=True)
