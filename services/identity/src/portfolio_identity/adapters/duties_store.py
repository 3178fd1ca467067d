"""Statements of duties, the people named for them and absences (Annex 1, R-DUTY-1, R-DUTY-2, R-ART-5)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Row, RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import absences, duties, duty_people


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


async def insert_duties(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    await session.execute(insert(duties), list(rows))


async def duty_by_code(session: AsyncSession, school_id: str, code: str) -> RowMapping | None:
    stmt = select(duties).where(duties.c.school_id == school_id, duties.c.code == code)
    return (await session.execute(stmt)).mappings().first()


async def duties_of_school(session: AsyncSession, school_id: str) -> Sequence[RowMapping]:
    stmt = select(duties).where(duties.c.school_id == school_id).order_by(duties.c.code)
    return (await session.execute(stmt)).mappings().all()


async def update_duty(session: AsyncSession, duty_id: str, values: Mapping[str, Any]) -> None:
    await session.execute(update(duties).where(duties.c.id == duty_id).values(**values))


async def replace_people(session: AsyncSession, duty_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """The duty's named people become ``rows`` (kind, position, user_id)."""
    await session.execute(delete(duty_people).where(duty_people.c.duty_id == duty_id))
    if rows:
        await session.execute(insert(duty_people), list(rows))


# -- absences ---------------------------------------------------------------------------------------
async def insert_absence(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(absences).values(**values))


async def absence_at(session: AsyncSession, school_id: str, absence_id: str) -> RowMapping | None:
    stmt = select(absences).where(absences.c.id == absence_id, absences.c.school_id == school_id)
    return (await session.execute(stmt)).mappings().first()


async def delete_absence(session: AsyncSession, absence_id: str) -> None:
    await session.execute(delete(absences).where(absences.c.id == absence_id))


async def absences_of_school(
    session: AsyncSession, school_id: str, user_id: str | None = None, only_of: str | None = None
) -> Sequence[RowMapping]:
    """The school's absences by start; of ``user_id`` if given, and only ``only_of``'s own if given."""
    stmt = select(absences).where(absences.c.school_id == school_id).order_by(absences.c.starts_on)
    if user_id is not None:
        stmt = stmt.where(absences.c.user_id == user_id)
    if only_of is not None:
        stmt = stmt.where(absences.c.user_id == only_of)
    return (await session.execute(stmt)).mappings().all()
