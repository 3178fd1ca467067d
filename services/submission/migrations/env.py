"""Alembic environment of the submission service (its own database)."""

from portfolio_shared.migrations import run_env
from portfolio_submission.adapters.orm import metadata

run_env(metadata)
