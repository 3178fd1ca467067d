"""Dialect helpers: upserts that keep only the newest fact, and the per-student lock (R-ART-2, R-ART-4)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from portfolio_shared.dialect import insert_for

from .orm import student_locks

Executor = AsyncSession | AsyncConnection
"""Anything read-only helpers may run statements on: a session in a transaction, or an autocommit connection."""


async def upsert_newer(
    session: AsyncSession,
    table: Table,
    keys: Sequence[str],
    values: Mapping[str, Any],
    *,
    event_at: datetime,
    on_update: Mapping[str, Any] | None = None,
) -> bool:
    """Insert or update a read-copy row unless it already holds a newer fact (events arrive out of order).

    ``on_update`` replaces what an update writes to some columns: SQL expressions that may read the
    row's current values (``table.c.x``); the columns' values in ``values`` are what an insert writes.
    Returns True when the row now reflects this event.
    """
    row = {**values, "event_at": event_at}
    stmt = insert_for(session, table).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={k: stmt.excluded[k] for k in row if k not in keys} | dict(on_update or {}),
        where=table.c.event_at < stmt.excluded.event_at,
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def insert_ignore(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(insert_for(session, table).on_conflict_do_nothing(), list(rows))


# Per-process locks for SQLite (the standalone shape runs one process): SQLite has no row locks.
_sqlite_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


@asynccontextmanager
async def student_scope_lock(session: AsyncSession, scope: str) -> AsyncIterator[None]:
    """Serialise every request on one student's scope (e.g. their selections of one academic year).

    PostgreSQL: the scope's lock row, locked by an upsert (as ``SELECT ... FOR UPDATE`` would) and held
    until the transaction ends, so a cap checked inside cannot be overrun by a concurrent request.
    SQLite: an in-process lock held for the body (which must commit inside it).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        lock = _sqlite_locks.get(scope)
        if lock is None:
            lock = asyncio.Lock()
            _sqlite_locks[scope] = lock
        async with lock:
            yield
        return
    # One statement: the upsert creates the row if needed and holds its row lock to the end of the transaction.
    stmt = insert_for(session, student_locks).values(scope=scope, created_at=datetime.now(UTC))
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["scope"], set_={"created_at": stmt.excluded.created_at})
    )
    yield


@asynccontextmanager
async def autocommit(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection whose every statement commits on its own: one round trip for a lone write or read
    (no BEGIN/COMMIT), for bookkeeping that needs no transaction around it."""
    async with engine.connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")
