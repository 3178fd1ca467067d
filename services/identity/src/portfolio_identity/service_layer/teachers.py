"""Teachers who leave (R-ART-5): extended certification-only accounts and on-behalf authorisations.

The school may keep a leaving teacher's account open with reduced rights (certification only)
until a date; or the teacher may authorise a named staff member to certify on their behalf until a
date. Both are recorded, audited and published so that artifacts can record who certified and on
whose behalf.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import RowMapping

from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import forbidden, not_found
from portfolio_shared.events.identity import OnBehalfAuthorised, OnBehalfRevoked, TeacherAccountExtended
from portfolio_shared.permissions import Permission

from ..adapters import queries
from ..adapters import teachers_store as store
from ..domain.roles import Role
from .acting import CERTIFICATION_DUTY, refresh_acting
from .common import Caller, audit, invalid, new_id, today, utcnow
from .revocation import revoke_user_tokens


def _future(until: date, field: str = "until") -> None:
    if until < today():
        raise invalid(
            "date-in-past",
            "Date in the past",
            "日期已過",
            f"{until} is in the past",
            field=field,
            rule="R-ART-5",
        )


async def extend_teacher(uow: UnitOfWork, caller: Caller, school_id: str, user_id: str, until: date) -> dict[str, Any]:
    """Keep a leaving teacher's account for certification only, until `until` inclusive (R-ART-5)."""
    caller.authorise(Permission.USERS_MANAGE, school_id, what="user")
    user = await queries.member_of_school(uow.session, user_id, school_id)
    if user is None:
        raise not_found("user")
    roles = await queries.roles_at_school(uow.session, user_id, school_id)
    if user["kind"] != "teacher" or Role.COURSE_TEACHER not in roles:
        raise invalid(
            "not-a-teacher",
            "Not a course teacher",
            "非任課教師",
            "only a course teacher's account is extended for certification",
            field="user_id",
            rule="R-ART-5",
        )
    if user["status"] != "left" and user["end_date"] is None:
        raise invalid(
            "not-leaving",
            "Teacher is not leaving",
            "教師未離職",
            "set the teacher's status to left (with an end date) first",
            field="user_id",
            rule="R-ART-5",
        )
    _future(until)
    row: dict[str, Any] = {
        "until": until,
        "certification_only": True,
        "created_by": caller.user_id,
        "created_at": utcnow(),
    }
    before = await store.replace_extension(uow.session, user_id, school_id, row)
    uow.publish(
        TeacherAccountExtended(user_id=user_id, school_id=school_id, certification_only=True, until=until),
        school_id=school_id,
        actor=caller.actor_id,
    )
    await audit(
        uow,
        caller,
        "teacher.account_extended",
        "user",
        user_id,
        school_id=school_id,
        before={"until": before["until"]} if before else None,
        after={"until": until, "certification_only": True},
    )
    await refresh_acting(
        uow, caller, school_id, today(), f"account of {user['login_name']} extended to {until}", [CERTIFICATION_DUTY]
    )
    return {"user_id": user_id, "school_id": school_id, "until": until, "certification_only": True}


def _view(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "school_id", "teacher_user_id", "staff_user_id", "until", "revoked_at")}


async def authorise_on_behalf(
    uow: UnitOfWork, caller: Caller, school_id: str, staff_user_id: str, until: date, teacher_user_id: str | None
) -> dict[str, Any]:
    """A teacher authorises a named staff member to certify on their behalf until a date (R-ART-5).

    The teacher does it themselves; the account office may record a teacher's written authorisation
    by naming the teacher.
    """
    teacher_id = teacher_user_id or caller.user_id
    if teacher_id is None:
        raise invalid(
            "teacher-required",
            "Teacher required",
            "需指定教師",
            "name the teacher",
            field="teacher_user_id",
            rule="R-ART-5",
        )
    if teacher_id != caller.user_id:
        caller.authorise(Permission.USERS_MANAGE, school_id, what="user")
    elif not caller.sees_school(school_id):
        raise not_found("school")
    teacher = await queries.member_of_school(uow.session, teacher_id, school_id)
    if teacher is None:
        raise not_found("user")
    if Role.COURSE_TEACHER not in await queries.roles_at_school(uow.session, teacher_id, school_id):
        raise forbidden("only a course teacher authorises certification on their behalf", rule="R-ART-5")
    staff = await queries.member_of_school(uow.session, staff_user_id, school_id)
    if staff is None:
        raise invalid(
            "not-a-member",
            "Not a member of the school",
            "非本校人員",
            "the staff member does not belong to this school",
            field="staff_user_id",
            rule="R-ART-5",
        )
    if staff["kind"] not in ("staff", "teacher") or staff["id"] == teacher_id or staff["status"] != "active":
        raise invalid(
            "not-staff",
            "Not an active staff member",
            "非在職教職員",
            "name another active staff member or teacher",
            field="staff_user_id",
            rule="R-ART-5",
        )
    _future(until)
    row: dict[str, Any] = {
        "id": new_id(),
        "school_id": school_id,
        "teacher_user_id": teacher_id,
        "staff_user_id": staff_user_id,
        "until": until,
        "created_by": caller.user_id,
        "created_at": utcnow(),
        "revoked_at": None,
        "revoked_by": None,
    }
    await store.insert_on_behalf(uow.session, row)
    uow.publish(
        OnBehalfAuthorised(
            authorisation_id=row["id"],
            teacher_user_id=teacher_id,
            staff_user_id=staff_user_id,
            school_id=school_id,
            until=until,
        ),
        school_id=school_id,
        actor=caller.actor_id,
    )
    await audit(
        uow, caller, "teacher.on_behalf_authorised", "on_behalf", row["id"], school_id=school_id, after=_view(row)
    )
    return _view(row)


async def revoke_on_behalf(uow: UnitOfWork, caller: Caller, school_id: str, authorisation_id: str) -> dict[str, Any]:
    if not caller.sees_school(school_id):
        raise not_found("authorisation")
    row = await store.on_behalf_at(uow.session, school_id, authorisation_id)
    if row is None:
        raise not_found("authorisation")
    if row["teacher_user_id"] != caller.user_id:
        caller.authorise(Permission.USERS_MANAGE, school_id, what="authorisation")
    if row["revoked_at"] is not None:
        return _view(row)
    now = utcnow()
    await store.revoke_on_behalf(uow.session, authorisation_id, now, caller.user_id)
    uow.publish(
        OnBehalfRevoked(
            authorisation_id=authorisation_id,
            teacher_user_id=row["teacher_user_id"],
            staff_user_id=row["staff_user_id"],
            school_id=school_id,
        ),
        school_id=school_id,
        actor=caller.actor_id,
    )
    # The staff member's tokens carry outcome:certify_on_behalf until refreshed (R-ART-5, ASVS V7).
    revoke_user_tokens(uow, caller.actor_id, row["staff_user_id"], "on_behalf_revoked", school_id=school_id, at=now)
    await audit(
        uow,
        caller,
        "teacher.on_behalf_revoked",
        "on_behalf",
        authorisation_id,
        school_id=school_id,
        before={"revoked_at": None},
        after={"revoked_at": now},
    )
    return {**_view(row), "revoked_at": now}


async def list_on_behalf(uow: UnitOfWork, caller: Caller, school_id: str) -> list[dict[str, Any]]:
    """All of the school's authorisations for account staff; one's own (as teacher or staff) otherwise."""
    if not caller.sees_school(school_id):
        raise not_found("school")
    mine = None if caller.can(Permission.USERS_READ, school_id) else caller.user_id
    return [_view(r) for r in await store.on_behalf_of_school(uow.session, school_id, mine)]
