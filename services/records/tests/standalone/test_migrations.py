"""The migrations create exactly the tables the code maps (SQLite, the standalone shape)."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from portfolio_records.bootstrap import SERVICE_DIR
from portfolio_shared.migrations import alembic_config, upgrade


def test_migrations_match_the_table_definitions(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    upgrade(SERVICE_DIR, url)
    command.check(alembic_config(SERVICE_DIR, url))  # raises when the models and migrations differ
    command.downgrade(alembic_config(SERVICE_DIR, url), "base")
    upgrade(SERVICE_DIR, url)
