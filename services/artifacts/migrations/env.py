"""Alembic environment of the artifacts service (its own database)."""

from portfolio_artifacts.adapters.orm import metadata
from portfolio_shared.migrations import run_env

run_env(metadata)
