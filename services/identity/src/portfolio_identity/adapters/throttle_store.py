"""Statements of the sign-in throttle (``login_throttle``): one row per throttled key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, RowMapping, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared.dialect import insert_for

from .orm import login_throttle


async def failures_of(session: AsyncSession, key: str) -> Row[Any] | None:
    """(failures, last_failure_at) of ``key``."""
    stmt = select(login_throttle.c.failures, login_throttle.c.last_failure_at).where(login_throttle.c.key == key)
    return (await session.execute(stmt)).first()


async def locked_until(session: AsyncSession, keys: Sequence[str]) -> list[datetime | None]:
    stmt = select(login_throttle.c.locked_until).where(login_throttle.c.key.in_(list(keys)))
    return list((await session.execute(stmt)).scalars())


async def row_of(session: AsyncSession, key: str) -> RowMapping | None:
    return (await session.execute(select(login_throttle).where(login_throttle.c.key == key))).mappings().first()


async def put(
    session: AsyncSession, key: str, failures: int, last_failure_at: datetime, until: datetime | None
) -> None:
    """Insert or overwrite ``key``'s row (an upsert on the key)."""
    stmt = insert_for(session, login_throttle).values(
        key=key, failures=failures, last_failure_at=last_failure_at, locked_until=until
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={k: stmt.excluded[k] for k in ("failures", "last_failure_at", "locked_until")},
        )
    )


async def clear(session: AsyncSession, key: str) -> None:
    await session.execute(delete(login_throttle).where(login_throttle.c.key == key))
