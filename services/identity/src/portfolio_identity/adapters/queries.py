"""Read queries of the identity database (the handlers' repository). Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import RowMapping, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared.fieldcrypto import mask_email

from .orm import (
    absences,
    account_extensions,
    districts,
    memberships,
    on_behalf,
    platform_roles,
    school_roles,
    schools,
    users,
)

USER_FIELDS = ("login_name", "display_name", "kind", "status", "end_date", "email", "student_number", "deactivated")


async def get_district(session: AsyncSession, district_id: str) -> RowMapping | None:
    return (await session.execute(select(districts).where(districts.c.id == district_id))).mappings().first()


async def get_school(session: AsyncSession, school_id: str) -> RowMapping | None:
    return (await session.execute(select(schools).where(schools.c.id == school_id))).mappings().first()


async def school_by_code(session: AsyncSession, code: str) -> RowMapping | None:
    return (await session.execute(select(schools).where(schools.c.code == code))).mappings().first()


async def school_codes(session: AsyncSession) -> list[tuple[str, str]]:
    """(id, code) of every school, for the nightly pull (R-DUTY-3)."""
    return [(r[0], r[1]) for r in await session.execute(select(schools.c.id, schools.c.code))]


async def on_behalf_active(session: AsyncSession, user_id: str, school_id: str, on: date) -> bool:
    """Whether ``user_id`` holds a running on-behalf authorisation at the school on ``on`` (R-ART-5)."""
    stmt = select(on_behalf.c.id).where(
        on_behalf.c.staff_user_id == user_id,
        on_behalf.c.school_id == school_id,
        on_behalf.c.revoked_at.is_(None),
        on_behalf.c.until >= on,
    )
    return (await session.execute(stmt)).first() is not None


async def get_user(session: AsyncSession, user_id: str) -> RowMapping | None:
    return (await session.execute(select(users).where(users.c.id == user_id))).mappings().first()


async def user_by_login(session: AsyncSession, login_name: str) -> RowMapping | None:
    stmt = select(users).where(users.c.login_name == login_name.strip().lower())
    return (await session.execute(stmt)).mappings().first()


async def member_of_school(session: AsyncSession, user_id: str, school_id: str) -> RowMapping | None:
    """The user, if they belong to the school (tenant isolation: other schools' users are invisible)."""
    stmt = (
        select(users)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(users.c.id == user_id, memberships.c.school_id == school_id)
    )
    return (await session.execute(stmt)).mappings().first()


async def roles_at_school(session: AsyncSession, user_id: str, school_id: str) -> dict[str, str]:
    """Role → source ('sis' or 'manual') of the user's roles at a school."""
    stmt = select(school_roles.c.role, school_roles.c.source).where(
        school_roles.c.user_id == user_id, school_roles.c.school_id == school_id
    )
    return {r.role: r.source for r in await session.execute(stmt)}


async def school_roles_of(session: AsyncSession, user_id: str) -> dict[str, set[str]]:
    """School id → roles, for every school the user belongs to (a member without roles maps to {})."""
    result: dict[str, set[str]] = {}
    for row in await session.execute(select(memberships.c.school_id).where(memberships.c.user_id == user_id)):
        result.setdefault(row.school_id, set())
    for row in await session.execute(
        select(school_roles.c.school_id, school_roles.c.role).where(school_roles.c.user_id == user_id)
    ):
        result.setdefault(row.school_id, set()).add(row.role)
    return result


async def platform_roles_of(session: AsyncSession, user_id: str) -> list[tuple[str, str]]:
    stmt = select(platform_roles.c.role, platform_roles.c.district_id).where(platform_roles.c.user_id == user_id)
    return [(r.role, r.district_id) for r in await session.execute(stmt)]


async def school_ids_of_districts(session: AsyncSession, district_ids: Iterable[str]) -> list[str]:
    ids = list(district_ids)
    if not ids:
        return []
    stmt = select(schools.c.id).where(schools.c.district_id.in_(ids)).order_by(schools.c.code)
    return list((await session.execute(stmt)).scalars())


async def is_district_admin(session: AsyncSession, user_id: str, district_id: str) -> bool:
    stmt = select(platform_roles.c.user_id).where(
        platform_roles.c.user_id == user_id,
        platform_roles.c.role == "district_admin",
        platform_roles.c.district_id == district_id,
    )
    return (await session.execute(stmt)).first() is not None


async def active_extension(session: AsyncSession, user_id: str, school_id: str, on: date) -> RowMapping | None:
    """A leaving teacher's extended, certification-only account at a school (R-ART-5), if still running."""
    stmt = select(account_extensions).where(
        account_extensions.c.user_id == user_id,
        account_extensions.c.school_id == school_id,
        account_extensions.c.until >= on,
    )
    return (await session.execute(stmt)).mappings().first()


async def school_people(session: AsyncSession, school_id: str) -> dict[str, dict[str, Any]]:
    """Every staff member and teacher of a school with what availability needs: status, end date, roles,
    absences, extension. Students never hold duties, so a school of thousands stays cheap to resolve."""
    people: dict[str, dict[str, Any]] = {}
    stmt = (
        select(
            users.c.id, users.c.login_name, users.c.display_name, users.c.status, users.c.end_date, users.c.deactivated
        )
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(memberships.c.school_id == school_id, users.c.kind != "student")
    )
    for row in await session.execute(stmt):
        people[row.id] = {**row._asdict(), "roles": set(), "absences": [], "extension_until": None}
    for row in await session.execute(select(school_roles).where(school_roles.c.school_id == school_id)):
        if row.user_id in people:
            people[row.user_id]["roles"].add(row.role)
    for row in await session.execute(select(absences).where(absences.c.school_id == school_id)):
        if row.user_id in people:
            people[row.user_id]["absences"].append((row.starts_on, row.ends_on))
    ext_stmt = select(account_extensions).where(account_extensions.c.school_id == school_id)
    for row in await session.execute(ext_stmt):
        if row.user_id in people:
            people[row.user_id]["extension_until"] = row.until
    return people


async def members_by_ids(
    session: AsyncSession, school_id: str, user_ids: Iterable[str], *, staff_only: bool = False
) -> set[str]:
    ids = list(set(user_ids))
    if not ids:
        return set()
    stmt = select(memberships.c.user_id).where(
        and_(memberships.c.school_id == school_id, memberships.c.user_id.in_(ids))
    )
    if staff_only:
        stmt = stmt.join(users, users.c.id == memberships.c.user_id).where(users.c.kind != "student")
    return set((await session.execute(stmt)).scalars())


def user_snapshot(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    """The account's fields for the audit trail; the e-mail address masked (it is encrypted at rest
    and the trail must not hold it in the clear)."""
    snapshot = {name: row[name] for name in USER_FIELDS}
    if snapshot.get("email"):
        snapshot["email"] = mask_email(snapshot["email"])
    return snapshot
