"""Statements of duties and the people named for them (Annex 1, R-DUTY-1, R-DUTY-2, R-ART-5)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import duties, duty_people


async def people_of_duty(session: AsyncSession, duty_id: str) -> Sequence[Row[Any]]:
    """The duty's named people (kind responsible | delegate), in the school's order."""
    stmt = select(duty_people).where(duty_people.c.duty_id == duty_id).order_by(duty_people.c.position)
    return (await session.execute(stmt)).all()


async def duties_for_resolution(
    session: AsyncSession, school_id: str, codes: Iterable[str] | None = None
) -> Sequence[RowMapping]:
    """The school's duties (or those with ``codes``) by code, row-locked on PostgreSQL so that two
    replicas re-resolving at once publish each change once."""
    stmt = select(duties).where(duties.c.school_id == school_id).order_by(duties.c.code).with_for_update()
    if codes is not None:
        stmt = stmt.where(duties.c.code.in_(list(codes)))
    return (await session.execute(stmt)).mappings().all()


async def set_acting(session: AsyncSession, duty_id: str, acting_user_id: str | None, grants: bool) -> None:
    await session.execute(
        update(duties).where(duties.c.id == duty_id).values(acting_user_id=acting_user_id, acting_grants=grants)
    )


async def acting_duties_of(session: AsyncSession, user_id: str, school_id: str) -> list[RowMapping]:
    """(code, permissions) of the duties the user acts for at the school, holding their permissions."""
    stmt = select(duties.c.code, duties.c.permissions).where(
        duties.c.school_id == school_id, duties.c.acting_user_id == user_id, duties.c.acting_grants.is_(True)
    )
    return list((await session.execute(stmt)).mappings())


async def delegate_duties_of(session: AsyncSession, user_id: str, school_id: str, code: str) -> list[RowMapping]:
    """(code, permissions) of the duty ``code`` at the school when the user is one of its named delegates."""
    stmt = (
        select(duties.c.code, duties.c.permissions)
        .join(duty_people, duty_people.c.duty_id == duties.c.id)
        .where(
            duties.c.school_id == school_id,
            duties.c.code == code,
            duty_people.c.kind == "delegate",
            duty_people.c.user_id == user_id,
        )
    )
    return list((await session.execute(stmt)).mappings())
