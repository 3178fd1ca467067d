"""Alembic environment of the submission service (its own database)."""

from portfolio_submission.adapters.orm import metadata
from portfolio_shared.migrations import run_env

run_env(metadata)
