"""The one dialect switch for ``INSERT … ON CONFLICT`` (PostgreSQL and SQLite spell it alike).

Every upsert and insert-or-ignore in the services builds its statement from ``insert_for`` so a
third dialect, or a fix, lands in one place (issue 10: "helpers once").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


def dialect_name(bind: AsyncSession | AsyncConnection) -> str:
    if isinstance(bind, AsyncSession):
        return bind.get_bind().dialect.name
    return bind.dialect.name


def insert_for(bind: AsyncSession | AsyncConnection, table: Table) -> Any:
    """``insert(table)`` of the bind's dialect: it has ``on_conflict_do_nothing/do_update`` and ``excluded``."""
    name = dialect_name(bind)
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported dialect {name}: only PostgreSQL and SQLite are supported")
