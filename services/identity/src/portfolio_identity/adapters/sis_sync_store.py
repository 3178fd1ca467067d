"""Statements of the SIS account sync (R-DUTY-3): the accounts a plan must know, the SIS's grants,
and the kept reports (``sis_sync_runs``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import RowMapping, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import memberships, school_roles, sis_sync_runs, users


async def accounts_to_plan(session: AsyncSession, school_id: str, logins: Iterable[str]) -> Sequence[RowMapping]:
    """Every account whose home is the school, and any account holding one of ``logins``."""
    stmt = select(users).where(or_(users.c.home_school_id == school_id, users.c.login_name.in_(sorted(logins))))
    return (await session.execute(stmt)).mappings().all()


async def sis_roles_at(session: AsyncSession, school_id: str) -> dict[str, set[str]]:
    """user id → the roles the school's SIS granted there."""
    stmt = select(school_roles.c.user_id, school_roles.c.role).where(
        school_roles.c.school_id == school_id, school_roles.c.source == "sis"
    )
    out: dict[str, set[str]] = {}
    for user_id, role in await session.execute(stmt):
        out.setdefault(user_id, set()).add(role)
    return out


async def add_membership(session: AsyncSession, user_id: str, school_id: str, source: str, at: Any) -> None:
    await session.execute(
        insert(memberships).values(user_id=user_id, school_id=school_id, source=source, created_at=at)
    )


async def hand_role_to_sis(session: AsyncSession, user_id: str, school_id: str, role: str) -> None:
    """A role granted by hand that the SIS now also lists becomes the SIS's to manage."""
    c = school_roles.c
    await session.execute(
        school_roles.update().where(c.user_id == user_id, c.school_id == school_id, c.role == role).values(source="sis")
    )


async def keep_run(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(sis_sync_runs).values(**values))


async def run_of(session: AsyncSession, school_id: str, run_id: str) -> RowMapping | None:
    stmt = select(sis_sync_runs).where(sis_sync_runs.c.id == run_id, sis_sync_runs.c.school_id == school_id)
    return (await session.execute(stmt)).mappings().first()


async def latest_runs(session: AsyncSession, school_id: str, limit: int) -> Sequence[RowMapping]:
    stmt = (
        select(sis_sync_runs)
        .where(sis_sync_runs.c.school_id == school_id)
        .order_by(sis_sync_runs.c.started_at.desc())
        .limit(limit)
    )
    return (await session.execute(stmt)).mappings().all()
