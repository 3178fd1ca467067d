"""Alembic environment of the notification service (its own database)."""

from portfolio_notification.adapters.orm import metadata
from portfolio_shared.migrations import run_env

run_env(metadata)
