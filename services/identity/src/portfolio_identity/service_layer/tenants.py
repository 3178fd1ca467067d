"""Districts (主管機關) and schools (學校), the platform's tenants.

System administrators create districts; district administrators create and manage the schools of
their district. Each new school starts with the Annex-1 duty list (R-DUTY-1).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.exc import IntegrityError

from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import forbidden, not_found
from portfolio_shared.events.identity import SchoolCreated, SchoolUpdated
from portfolio_shared.permissions import Permission

from ..adapters import accounts_store as store
from ..adapters import queries
from ..domain.school import validate_school_code
from .common import Caller, audit, conflict, new_id, utcnow
from .duties import seed_duties

SCHOOL_FIELDS = ("id", "code", "name", "district_id")


def school_view(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in SCHOOL_FIELDS}


async def create_district(uow: UnitOfWork, caller: Caller, code: str, name: str) -> dict[str, Any]:
    caller.require_global(Permission.SCHOOLS_MANAGE)
    if await store.district_code_taken(uow.session, code):
        raise conflict("district-exists", "District exists", "主管機關已存在", f"district {code} exists", field="code")
    row: dict[str, Any] = {"id": new_id(), "code": code, "name": name, "created_at": utcnow()}
    await store.insert_district(uow.session, row)
    await audit(
        uow, caller, "district.created", "district", row["id"], school_id=None, after={"code": code, "name": name}
    )
    return {"id": row["id"], "code": code, "name": name}


async def list_districts(uow: UnitOfWork, caller: Caller) -> list[dict[str, Any]]:
    mine: list[str] | None = None
    if caller.principal is not None and Permission.SCHOOLS_MANAGE not in caller.principal.district_permissions:
        mine = [
            d for role, d in await queries.platform_roles_of(uow.session, caller.actor_id) if role == "district_admin"
        ]
    return [
        {"id": r["id"], "code": r["code"], "name": r["name"]} for r in await store.districts_by_code(uow.session, mine)
    ]


async def _may_manage_district(uow: UnitOfWork, caller: Caller, district_id: str) -> bool:
    if caller.principal is None or Permission.SCHOOLS_MANAGE in caller.principal.district_permissions:
        return True
    return await queries.is_district_admin(uow.session, caller.actor_id, district_id)


async def create_school(uow: UnitOfWork, caller: Caller, code: str, name: str, district_id: str) -> dict[str, Any]:
    """A new tenant with its national school code (學校代碼) and the default Annex-1 duties (R-DUTY-1)."""
    if not await _may_manage_district(uow, caller, district_id):
        raise forbidden("only the district's administrators create its schools")
    if await queries.get_district(uow.session, district_id) is None:
        raise not_found("district")
    code = validate_school_code(code)
    if await queries.school_by_code(uow.session, code) is not None:
        raise conflict("school-exists", "School exists", "學校已存在", f"school code {code} is taken", field="code")
    now = utcnow()
    row: dict[str, Any] = {
        "id": new_id(),
        "code": code,
        "name": name,
        "district_id": district_id,
        "created_at": now,
        "updated_at": now,
    }
    try:
        await store.insert_school(uow.session, row)
    except IntegrityError:
        raise conflict(
            "school-exists", "School exists", "學校已存在", f"school code {code} is taken", field="code"
        ) from None
    await seed_duties(uow, row["id"])
    uow.publish(
        SchoolCreated(school_id=row["id"], school_code=code, name=name, district_id=district_id),
        school_id=row["id"],
        actor=caller.actor_id,
    )
    await audit(uow, caller, "school.created", "school", row["id"], school_id=row["id"], after=school_view(row))
    return school_view(row)


async def visible_school(uow: UnitOfWork, caller: Caller, school_id: str) -> RowMapping:
    school = await queries.get_school(uow.session, school_id)
    if school is None or not caller.sees_school(school_id):
        raise not_found("school")
    return school


async def get_school(uow: UnitOfWork, caller: Caller, school_id: str) -> dict[str, Any]:
    return school_view(await visible_school(uow, caller, school_id))


async def list_schools(uow: UnitOfWork, caller: Caller, district_id: str | None = None) -> list[dict[str, Any]]:
    only = None
    if caller.principal is not None and not caller.principal.district_permissions:
        only = sorted(caller.principal.school_ids)
    return [school_view(r) for r in await store.schools_by_code(uow.session, district_id, only)]


async def update_school(
    uow: UnitOfWork, caller: Caller, school_id: str, name: str | None, district_id: str | None
) -> dict[str, Any]:
    school = await visible_school(uow, caller, school_id)
    caller.authorise(Permission.SCHOOLS_MANAGE, school_id)
    changes: dict[str, Any] = {}
    if name is not None and name != school["name"]:
        changes["name"] = name
    if district_id is not None and district_id != school["district_id"]:
        # Moving a school between districts is a platform decision, not a district's.
        caller.require_global(Permission.SCHOOLS_MANAGE)
        if await queries.get_district(uow.session, district_id) is None:
            raise not_found("district")
        changes["district_id"] = district_id
    if not changes:
        return school_view(school)
    await store.update_school(uow.session, school_id, {**changes, "updated_at": utcnow()})
    after = {**school_view(school), **changes}
    uow.publish(
        SchoolUpdated(
            school_id=school_id, school_code=school["code"], name=after["name"], district_id=after["district_id"]
        ),
        school_id=school_id,
        actor=caller.actor_id,
    )
    await audit(
        uow, caller, "school.updated", "school", school_id, school_id=school_id, before=school_view(school), after=after
    )
    return after
