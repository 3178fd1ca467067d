"""Statements of leaving teachers' account extensions and on-behalf authorisations (R-ART-5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import account_extensions, on_behalf


async def replace_extension(
    session: AsyncSession, user_id: str, school_id: str, values: Mapping[str, Any]
) -> RowMapping | None:
    """Set the teacher's extension at the school; returns the one it replaced, if any."""
    key = (account_extensions.c.user_id == user_id) & (account_extensions.c.school_id == school_id)
    before = (await session.execute(select(account_extensions).where(key))).mappings().first()
    await session.execute(delete(account_extensions).where(key))
    await session.execute(insert(account_extensions).values(user_id=user_id, school_id=school_id, **values))
    return before


async def insert_on_behalf(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(on_behalf).values(**values))


async def on_behalf_at(session: AsyncSession, school_id: str, authorisation_id: str) -> RowMapping | None:
    stmt = select(on_behalf).where(on_behalf.c.id == authorisation_id, on_behalf.c.school_id == school_id)
    return (await session.execute(stmt)).mappings().first()


async def revoke_on_behalf(session: AsyncSession, authorisation_id: str, at: datetime, by: str | None) -> None:
    await session.execute(
        update(on_behalf).where(on_behalf.c.id == authorisation_id).values(revoked_at=at, revoked_by=by)
    )


async def on_behalf_of_school(
    session: AsyncSession, school_id: str, user_id: str | None = None
) -> Sequence[RowMapping]:
    """The school's authorisations by creation; with ``user_id`` only those naming them (teacher or staff)."""
    stmt = select(on_behalf).where(on_behalf.c.school_id == school_id).order_by(on_behalf.c.created_at)
    if user_id is not None:
        stmt = stmt.where((on_behalf.c.teacher_user_id == user_id) | (on_behalf.c.staff_user_id == user_id))
    return (await session.execute(stmt)).mappings().all()
