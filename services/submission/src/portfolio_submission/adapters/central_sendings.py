"""Named queries of sending (the SQL of ``service_layer/sending.py``): the sending rows and their
leases, and the batches handed to sending."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from .central_tables import batch_sendings
from .orm import batches

T = batch_sendings
# States a worker still has work in (a claimable row); the others wait for a person or are done.
ACTIVE = ("queued", "building", "built", "sending")


async def batches_in_status(session: AsyncSession, status: str, limit: int = 100) -> Sequence[RowMapping]:
    """Batches in ``status``, locked for this transaction; rows another replica holds are skipped
    (PostgreSQL), so two adopters never take the same batch."""
    stmt = (
        select(batches)
        .where(batches.c.status == status)
        .order_by(batches.c.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).mappings().all()


async def get(session: AsyncSession, batch_id: str) -> RowMapping | None:
    return (await session.execute(select(T).where(T.c.batch_id == batch_id))).mappings().first()


async def get_for_update(session: AsyncSession, batch_id: str) -> RowMapping | None:
    stmt = select(T).where(T.c.batch_id == batch_id).with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def insert_row(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(T).values(**values))


async def claim_next(session: AsyncSession, *, owner: str, now: datetime, until: datetime) -> RowMapping | None:
    """Claim one due row whose lease is free or expired. On PostgreSQL ``FOR UPDATE SKIP LOCKED``
    keeps two replicas off the same row; the conditional update (lease still free) is the guard on
    SQLite, where the clause does not exist and the database has a single writer anyway."""
    free = or_(T.c.lease_until.is_(None), T.c.lease_until < now)
    candidate = (
        await session.execute(
            select(T.c.batch_id)
            .where(T.c.state.in_(ACTIVE), T.c.next_attempt_at <= now, free)
            .order_by(T.c.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()
    if candidate is None:
        return None
    result = await session.execute(
        update(T)
        .where(T.c.batch_id == candidate, free)
        .values(lease_owner=owner, lease_until=until, updated_at=now)
        .returning(*T.c)
    )
    return result.mappings().first()


async def renew(session: AsyncSession, batch_id: str, *, owner: str, now: datetime, until: datetime) -> bool:
    result = await session.execute(
        update(T).where(T.c.batch_id == batch_id, T.c.lease_owner == owner).values(lease_until=until, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def update_owned(session: AsyncSession, batch_id: str, owner: str | None, **values: Any) -> bool:
    """Change a row only while ``owner`` still holds its lease (``None``: a person's action, no lease)."""
    cond = [T.c.batch_id == batch_id]
    if owner is not None:
        cond.append(T.c.lease_owner == owner)
    result = await session.execute(update(T).where(and_(*cond)).values(**values))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def due_purges(session: AsyncSession, now: datetime, limit: int = 100) -> Sequence[RowMapping]:
    stmt = (
        select(T.c.batch_id, T.c.school_id, T.c.package_key)
        .where(T.c.package_key.is_not(None), T.c.package_purged_at.is_(None), T.c.package_purge_after <= now)
        .limit(limit)
    )
    return (await session.execute(stmt)).mappings().all()
