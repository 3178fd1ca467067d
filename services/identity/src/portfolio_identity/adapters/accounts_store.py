"""Statements of accounts, memberships, platform roles and the audit trail's pages (identity)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import audit_log, memberships, platform_roles, users


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
