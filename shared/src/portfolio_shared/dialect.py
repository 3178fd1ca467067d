"""The one dialect switch for ``INSERT … ON CONFLICT`` (PostgreSQL and SQLite spell it alike).

Every upsert and insert-or-ignore in the services builds its statement from ``insert_for`` so a
third dialect, or a fix, lands in one place (issue 10: "helpers once").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
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


async def upsert_newer(
    session: AsyncSession,
    table: Table,
    keys: Sequence[str],
    values: Mapping[str, Any],
    *,
    event_at: datetime,
    on_update: Mapping[str, Any] | None = None,
    event_column: str = "event_at",
) -> bool:
    """Insert or update a read-copy row unless it already holds a newer fact (events arrive out of order).

    ``on_update`` replaces what an update writes to some columns: SQL expressions that may read the
    row's current values (``table.c.x``); the columns' values in ``values`` are what an insert writes.
    ``event_column`` names the row's event time (a row may guard parts of itself with several).
    Returns True when the row now reflects this event.
    """
    row = {**values, event_column: event_at}
    stmt = insert_for(session, table).values(**row)
    current = table.c[event_column]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={k: stmt.excluded[k] for k in row if k not in keys} | dict(on_update or {}),
        where=current.is_(None) | (current < stmt.excluded[event_column]),
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def insert_ignore(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows, skipping those whose key already exists."""
    if rows:
        await session.execute(insert_for(session, table).on_conflict_do_nothing(), list(rows))
