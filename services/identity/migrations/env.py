"""Alembic environment of the identity service (its own database)."""

from portfolio_identity.adapters.orm import metadata
from portfolio_shared.migrations import run_env

run_env(metadata)
