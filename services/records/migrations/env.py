"""Alembic environment of the records service (its own database)."""

from portfolio_records.adapters.orm import metadata
from portfolio_shared.migrations import run_env

run_env(metadata)
