"""Statements of accounts, memberships, school and platform roles, districts and schools, and the
audit trail's pages (identity)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import audit_log, districts, memberships, platform_roles, school_roles, schools, users


async def insert_user(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(users).values(**values))


async def set_password_hash(session: AsyncSession, user_id: str, password_hash: str, at: datetime) -> None:
    await session.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash, updated_at=at))


async def add_membership(session: AsyncSession, user_id: str, school_id: str, source: str, at: datetime) -> None:
    await session.execute(
        insert(memberships).values(user_id=user_id, school_id=school_id, source=source, created_at=at)
    )


async def add_platform_role(session: AsyncSession, user_id: str, role: str, district_id: str, at: datetime) -> None:
    await session.execute(
        insert(platform_roles).values(user_id=user_id, role=role, district_id=district_id, created_at=at)
    )


async def members_page(
    session: AsyncSession,
    school_id: str,
    *,
    kind: str | None,
    status: str | None,
    q: str | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[RowMapping]]:
    """(total, page) of the school's members by login; ``q`` matches login or name, case-insensitively."""
    stmt = (
        select(users).join(memberships, memberships.c.user_id == users.c.id).where(memberships.c.school_id == school_id)
    )
    if kind:
        stmt = stmt.where(users.c.kind == kind)
    if status:
        stmt = stmt.where(users.c.status == status)
    if q:
        pattern = f"%{q.lower()}%"
        stmt = stmt.where(func.lower(users.c.login_name).like(pattern) | func.lower(users.c.display_name).like(pattern))
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = (await session.execute(stmt.order_by(users.c.login_name).limit(limit).offset(offset))).mappings().all()
    return int(total), rows


async def audit_page(
    session: AsyncSession,
    school_id: str | None,
    *,
    action: str | None,
    object_id: str | None,
    since: datetime | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[RowMapping]]:
    """(total, page) of a school's audit entries (the platform's own with ``school_id`` None), newest first."""
    where = audit_log.c.school_id.is_(None) if school_id is None else audit_log.c.school_id == school_id
    stmt = select(audit_log).where(where)
    if action:
        stmt = stmt.where(audit_log.c.action == action)
    if object_id:
        stmt = stmt.where(audit_log.c.object_id == object_id)
    if since:
        stmt = stmt.where(audit_log.c.occurred_at >= since)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = (await session.execute(stmt.order_by(audit_log.c.id.desc()).limit(limit).offset(offset))).mappings().all()
    return int(total), rows


async def insert_accounts(
    session: AsyncSession,
    accounts: Sequence[Mapping[str, Any]],
    member_rows: Sequence[Mapping[str, Any]],
) -> None:
    """New accounts and their memberships, in bulk."""
    await session.execute(insert(users), list(accounts))
    await session.execute(insert(memberships), list(member_rows))


async def insert_school_roles(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    await session.execute(insert(school_roles), list(rows))


async def delete_school_role(session: AsyncSession, user_id: str, school_id: str, role: str) -> None:
    c = school_roles.c
    await session.execute(delete(school_roles).where(c.user_id == user_id, c.school_id == school_id, c.role == role))


async def update_user(session: AsyncSession, user_id: str, values: Mapping[str, Any]) -> None:
    await session.execute(update(users).where(users.c.id == user_id).values(**values))


# -- tenants ----------------------------------------------------------------------------------------
async def district_code_taken(session: AsyncSession, code: str) -> bool:
    return (await session.execute(select(districts.c.id).where(districts.c.code == code))).first() is not None


async def insert_district(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(districts).values(**values))


async def districts_by_code(session: AsyncSession, only: Sequence[str] | None = None) -> Sequence[RowMapping]:
    """Every district (or those whose id is in ``only``), by code."""
    stmt = select(districts).order_by(districts.c.code)
    if only is not None:
        stmt = stmt.where(districts.c.id.in_(list(only)))
    return (await session.execute(stmt)).mappings().all()


async def insert_school(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(schools).values(**values))


async def schools_by_code(
    session: AsyncSession, district_id: str | None = None, only: Sequence[str] | None = None
) -> Sequence[RowMapping]:
    """Schools by code, of one district and/or among ``only`` (ids)."""
    stmt = select(schools).order_by(schools.c.code)
    if district_id is not None:
        stmt = stmt.where(schools.c.district_id == district_id)
    if only is not None:
        stmt = stmt.where(schools.c.id.in_(sorted(only)))
    return (await session.execute(stmt)).mappings().all()


async def update_school(session: AsyncSession, school_id: str, values: Mapping[str, Any]) -> None:
    await session.execute(update(schools).where(schools.c.id == school_id).values(**values))
