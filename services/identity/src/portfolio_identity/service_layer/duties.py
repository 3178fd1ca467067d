"""Duties of Annex 1 per school (工作職掌暨代理人名單), their ordered delegates, and absences.

Each new school gets the example school's Annex 1 (`DUTY_TEMPLATES`) as an editable default
(R-DUTY-1); the school names persons in each order and marks absences; who acts follows (R-DUTY-2).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import RowMapping

from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import not_found
from portfolio_shared.events.identity import AbsenceCleared, AbsenceMarked, DelegationOrderChanged
from portfolio_shared.permissions import Permission

from ..adapters import duties_store, queries
from ..domain.duties import DUTY_TEMPLATES, DateRange, DutyArea
from ..domain.roles import PLATFORM_ROLES, Role, permissions_for
from .acting import CERTIFICATION_DUTY, duty_order, refresh_acting, resolution_view, resolve_duty
from .common import Caller, audit, conflict, invalid, new_id, today, utcnow


async def seed_duties(uow: UnitOfWork, school_id: str) -> None:
    """Copy Annex 1 into a new school (R-DUTY-1); the school edits its copy afterwards."""
    now = utcnow()
    await duties_store.insert_duties(
        uow.session,
        [
            {
                "id": new_id(),
                "school_id": school_id,
                **t.as_record(),
                "acting_user_id": None,
                "acting_grants": False,
                "updated_at": now,
            }
            for t in DUTY_TEMPLATES
        ],
    )


def _read_check(caller: Caller, school_id: str) -> None:
    if not caller.sees_school(school_id):
        raise not_found("school")


async def _duty(uow: UnitOfWork, school_id: str, code: str) -> RowMapping:
    row = await duties_store.duty_by_code(uow.session, school_id, code)
    if row is None:
        raise not_found("duty")
    return row


async def duty_view(uow: UnitOfWork, duty: RowMapping) -> dict[str, Any]:
    responsible, delegates = await duty_order(uow.session, duty["id"])
    return {
        "code": duty["code"],
        "name_en": duty["name_en"],
        "name_zh": duty["name_zh"],
        "area": duty["area"],
        "responsible_roles": duty["responsible_roles"],
        "default_delegate_roles": duty["default_delegate_roles"],
        "permissions": duty["permissions"],
        "note": duty["note"],
        "responsible_user_ids": responsible,
        "delegate_user_ids": delegates,
        "acting_user_id": duty["acting_user_id"],
    }


async def list_duties(uow: UnitOfWork, caller: Caller, school_id: str) -> list[dict[str, Any]]:
    _read_check(caller, school_id)
    return [await duty_view(uow, d) for d in await duties_store.duties_of_school(uow.session, school_id)]


async def get_duty(uow: UnitOfWork, caller: Caller, school_id: str, code: str) -> dict[str, Any]:
    _read_check(caller, school_id)
    return await duty_view(uow, await _duty(uow, school_id, code))


def _roles(values: list[str], field: str) -> list[str]:
    try:
        roles = [Role(v) for v in values]
    except ValueError:
        raise invalid(
            "unknown-role",
            "Unknown role",
            "未知的角色",
            f"unknown role in {values}",
            field=field,
            rule="R-DUTY-1",
        ) from None
    if set(roles) & PLATFORM_ROLES or Role.STUDENT in roles:
        raise invalid(
            "role-not-for-duty",
            "Role cannot hold a duty",
            "此角色不可負責職務",
            "duties belong to school offices, not to students or platform administrators",
            field=field,
            rule="R-DUTY-1",
        )
    return [r.value for r in roles]


async def create_duty(uow: UnitOfWork, caller: Caller, school_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Add a duty the template lacks. Acting for it grants no more than its offices hold (R-DUTY-2)."""
    caller.authorise(Permission.DUTIES_MANAGE, school_id)
    responsible = _roles(body["responsible_roles"], "responsible_roles")
    granted = permissions_for(responsible)
    wanted = set(body.get("permissions") or [])
    if not wanted <= {p.value for p in granted}:
        raise invalid(
            "duty-permissions",
            "Duty permissions exceed its office",
            "職務權限超出負責單位權限",
            f"permissions {sorted(wanted - set(granted))} are not held by the responsible offices",
            field="permissions",
            rule="R-DUTY-2",
        )
    if await duties_store.duty_by_code(uow.session, school_id, body["code"]) is not None:
        raise conflict("duty-exists", "Duty exists", "職務已存在", f"duty {body['code']} exists", field="code")
    row: dict[str, Any] = {
        "id": new_id(),
        "school_id": school_id,
        "code": body["code"],
        "name_en": body["name_en"],
        "name_zh": body["name_zh"],
        "area": DutyArea(body.get("area") or DutyArea.BASIC_DATA).value,
        "responsible_roles": responsible,
        "default_delegate_roles": _roles(body.get("default_delegate_roles") or [], "default_delegate_roles"),
        "permissions": sorted(wanted),
        "note": body.get("note") or "",
        "acting_user_id": None,
        "acting_grants": False,
        "updated_at": utcnow(),
    }
    await duties_store.insert_duties(uow.session, [row])
    await audit(uow, caller, "duty.created", "duty", row["code"], school_id=school_id, after=row)
    await refresh_acting(uow, caller, school_id, today(), f"duty {row['code']} created", [row["code"]])
    return await get_duty(uow, caller, school_id, row["code"])


async def update_duty(
    uow: UnitOfWork, caller: Caller, school_id: str, code: str, body: dict[str, Any]
) -> dict[str, Any]:
    caller.authorise(Permission.DUTIES_MANAGE, school_id)
    duty = await _duty(uow, school_id, code)
    changes: dict[str, Any] = {}
    for name in ("name_en", "name_zh", "note"):
        if body.get(name) is not None:
            changes[name] = body[name]
    if body.get("responsible_roles") is not None:
        changes["responsible_roles"] = _roles(body["responsible_roles"], "responsible_roles")
    if body.get("default_delegate_roles") is not None:
        changes["default_delegate_roles"] = _roles(body["default_delegate_roles"], "default_delegate_roles")
    if changes:
        await duties_store.update_duty(uow.session, duty["id"], {**changes, "updated_at": utcnow()})
        await audit(
            uow,
            caller,
            "duty.updated",
            "duty",
            code,
            school_id=school_id,
            before={k: duty[k] for k in changes},
            after=changes,
        )
        await refresh_acting(uow, caller, school_id, today(), f"duty {code} edited", [code])
    return await get_duty(uow, caller, school_id, code)


async def set_order(
    uow: UnitOfWork, caller: Caller, school_id: str, code: str, responsible: list[str], delegates: list[str]
) -> dict[str, Any]:
    """Name the responsible persons and the ordered delegates of a duty (代理順位, R-DUTY-1)."""
    caller.authorise(Permission.DUTIES_MANAGE, school_id)
    duty = await _duty(uow, school_id, code)
    for field, ids in (("responsible_user_ids", responsible), ("delegate_user_ids", delegates)):
        if len(set(ids)) != len(ids):
            raise invalid(
                "duplicate-person",
                "A person is listed twice",
                "人員重複列出",
                "each person appears once in a list",
                field=field,
                rule="R-DUTY-1",
            )
        missing = set(ids) - await queries.members_by_ids(uow.session, school_id, ids, staff_only=True)
        if missing:
            raise invalid(
                "not-a-member",
                "Not a member of the school",
                "非本校人員",
                f"users {sorted(missing)} are not staff or teachers of this school",
                field=field,
                rule="R-DUTY-1",
            )
    before = await duty_order(uow.session, duty["id"])
    rows = [
        {"duty_id": duty["id"], "kind": "responsible", "position": i, "user_id": u}
        for i, u in enumerate(responsible, 1)
    ]
    rows += [
        {"duty_id": duty["id"], "kind": "delegate", "position": i, "user_id": u} for i, u in enumerate(delegates, 1)
    ]
    await duties_store.replace_people(uow.session, duty["id"], rows)
    uow.publish(
        DelegationOrderChanged(
            school_id=school_id, duty_code=code, responsible_user_ids=responsible, delegate_user_ids=delegates
        ),
        school_id=school_id,
        actor=caller.actor_id,
    )
    await audit(
        uow,
        caller,
        "duty.order_set",
        "duty",
        code,
        school_id=school_id,
        before={"responsible": before[0], "delegates": before[1]},
        after={"responsible": responsible, "delegates": delegates},
    )
    await refresh_acting(uow, caller, school_id, today(), f"delegation order of {code} changed", [code])
    return await get_duty(uow, caller, school_id, code)


async def who_acts(
    uow: UnitOfWork, caller: Caller, school_id: str, code: str, on: date | None, teacher_user_id: str | None = None
) -> dict[str, Any]:
    """Who acts for this duty on a day (today by default), and who was skipped and why (R-DUTY-2).

    For the certification duty, ``teacher_user_id`` asks who certifies that course teacher's outcomes
    (R-ART-5); without it the answer is the delegate who steps in for a teacher who cannot.
    """
    _read_check(caller, school_id)
    duty = await _duty(uow, school_id, code)
    day = on or today()
    people = await queries.school_people(uow.session, school_id)
    if teacher_user_id is not None:
        if code != CERTIFICATION_DUTY:
            raise invalid(
                "not-per-teacher",
                "This duty is not resolved per teacher",
                "此職務不依任課教師分別代理",
                f"teacher_user_id applies to the {CERTIFICATION_DUTY} duty only",
                field="teacher_user_id",
                rule="R-DUTY-2",
            )
        if teacher_user_id not in people:
            raise not_found("user")
    resolution, _ = await resolve_duty(uow.session, duty, people, day, teacher_user_id)
    view = resolution_view(resolution, people)
    if not _sees_staff_details(caller, school_id):
        view["skipped"] = []  # why a colleague is unavailable (absent, suspended) is for staff offices only
    return {"duty_code": code, "on": day, **view}


def _sees_staff_details(caller: Caller, school_id: str) -> bool:
    return caller.can(Permission.USERS_READ, school_id) or caller.can(Permission.DUTIES_MANAGE, school_id)


async def mark_absence(
    uow: UnitOfWork, caller: Caller, school_id: str, user_id: str, starts_on: date, ends_on: date, reason: str
) -> dict[str, Any]:
    """Mark a person absent for a range of days; their duties pass to the next in order (R-DUTY-2)."""
    caller.authorise(Permission.DUTIES_MANAGE, school_id, what="user")
    if await queries.member_of_school(uow.session, user_id, school_id) is None:
        raise not_found("user")
    if ends_on < starts_on:
        DateRange(starts_on, ends_on)  # raises InvalidAvailability (422, R-DUTY-2)
    row: dict[str, Any] = {
        "id": new_id(),
        "user_id": user_id,
        "school_id": school_id,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "reason": reason,
        "created_by": caller.user_id,
        "created_at": utcnow(),
    }
    await duties_store.insert_absence(uow.session, row)
    uow.publish(
        AbsenceMarked(user_id=user_id, school_id=school_id, starts_on=starts_on, ends_on=ends_on, absence_id=row["id"]),
        school_id=school_id,
        actor=caller.actor_id,
    )
    await audit(uow, caller, "absence.marked", "absence", row["id"], school_id=school_id, after=row)
    await refresh_acting(uow, caller, school_id, today(), f"user {user_id} absent {starts_on}..{ends_on}")
    return _absence_view(row)


async def cancel_absence(uow: UnitOfWork, caller: Caller, school_id: str, absence_id: str) -> None:
    caller.authorise(Permission.DUTIES_MANAGE, school_id, what="absence")
    row = await duties_store.absence_at(uow.session, school_id, absence_id)
    if row is None:
        raise not_found("absence")
    await duties_store.delete_absence(uow.session, absence_id)
    uow.publish(
        AbsenceCleared(
            absence_id=absence_id,
            user_id=row["user_id"],
            school_id=school_id,
            starts_on=row["starts_on"],
            ends_on=row["ends_on"],
        ),
        school_id=school_id,
        actor=caller.actor_id,
    )
    await audit(uow, caller, "absence.cancelled", "absence", absence_id, school_id=school_id, before=dict(row))
    await refresh_acting(uow, caller, school_id, today(), f"absence of user {row['user_id']} cancelled")


async def list_absences(uow: UnitOfWork, caller: Caller, school_id: str, user_id: str | None) -> list[dict[str, Any]]:
    """The school's absences for the offices that manage duties or accounts; one's own for everybody else."""
    _read_check(caller, school_id)
    only_of = None if _sees_staff_details(caller, school_id) else caller.user_id
    return [_absence_view(r) for r in await duties_store.absences_of_school(uow.session, school_id, user_id, only_of)]


def _absence_view(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "user_id", "school_id", "starts_on", "ends_on", "reason")}
