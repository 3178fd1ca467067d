"""Dialect helpers: upserts that keep only the newest fact, and the per-student lock (R-ART-2, R-ART-4)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from portfolio_shared.dialect import insert_for, insert_ignore, upsert_newer

from .orm import student_locks

__all__ = ["Executor", "autocommit", "insert_ignore", "student_scope_lock", "upsert_newer"]

Executor = AsyncSession | AsyncConnection
"""Anything read-only helpers may run statements on: a session in a transaction, or an autocommit connection."""


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
