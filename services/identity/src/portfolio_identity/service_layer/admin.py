"""Platform administration: the audit trail, platform roles, the first administrator and demo data."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import not_found
from portfolio_shared.permissions import Permission

from ..adapters import accounts_store as store
from ..adapters import queries
from ..domain.roles import Role
from .account_changes import insert_user
from .accounts import check_password
from .common import Caller, audit, new_id, utcnow
from .tenants import create_district, create_school

log = logging.getLogger(__name__)


async def read_audit(
    uow: UnitOfWork,
    caller: Caller,
    school_id: str | None,
    *,
    action: str | None,
    object_id: str | None,
    since: datetime | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """A school's audit trail (audit:read at that school), or with `school_id` None the platform's own
    entries (sign-ins, districts, keys; platform audit:read), newest first (R-RET-3)."""
    if school_id is None:
        caller.require_global(Permission.AUDIT_READ)
    else:
        caller.authorise(Permission.AUDIT_READ, school_id)
    total, rows = await store.audit_page(
        uow.session, school_id, action=action, object_id=object_id, since=since, limit=limit, offset=offset
    )
    fields = (
        "id",
        "occurred_at",
        "actor_id",
        "school_id",
        "action",
        "object_type",
        "object_id",
        "before",
        "after",
        "client_ip",
    )
    items = [{k: r[k] for k in fields} for r in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


async def grant_platform_role(
    uow: UnitOfWork, caller: Caller, user_id: str, role: Role, district_id: str | None
) -> None:
    """System administrators appoint district administrators (scoped to a district) and other system admins."""
    caller.require_global(Permission.SCHOOLS_MANAGE)
    if await queries.get_user(uow.session, user_id) is None:
        raise not_found("user")
    if role is Role.DISTRICT_ADMIN:
        if district_id is None or await queries.get_district(uow.session, district_id) is None:
            raise not_found("district")
    elif role is Role.SYSTEM_ADMIN:
        district_id = ""
    else:
        raise ValueError(f"{role} is not a platform role")
    existing = await queries.platform_roles_of(uow.session, user_id)
    if (role.value, district_id) in existing:
        return
    await store.add_platform_role(uow.session, user_id, role.value, district_id, utcnow())
    await audit(
        uow,
        caller,
        "platform_role.granted",
        "user",
        user_id,
        school_id=None,
        after={"role": role.value, "district_id": district_id},
    )


async def ensure_system_admin(uow: UnitOfWork, login_name: str, password: str) -> bool:
    """Create the first system administrator (bootstrap). Returns False when the login exists already."""
    caller = Caller.system("bootstrap")
    login = login_name.strip().lower()
    if await queries.user_by_login(uow.session, login) is not None:
        return False
    now = utcnow()
    user_id = new_id()
    await store.insert_user(
        uow.session,
        {
            "id": user_id,
            "login_name": login,
            "display_name": "System administrator",
            "kind": "admin",
            "password_hash": check_password(password, login),
            "status": "active",
            "from_sis": False,
            "home_school_id": None,
            "deactivated": False,
            "created_at": now,
            "updated_at": now,
        },
    )
    await audit(
        uow, caller, "user.created", "user", user_id, school_id=None, after={"login_name": login, "kind": "admin"}
    )
    await grant_platform_role(uow, caller, user_id, Role.SYSTEM_ADMIN, None)
    return True


DEMO_PASSWORD = "demo-password-2025"  # noqa: S105 - development demo only, printed to the console
DEMO_USERS: tuple[tuple[str, str, str, list[str]], ...] = (
    ("demo-it", "資訊組 王小明", "staff", [Role.IT.value]),
    ("demo-registry", "註冊組 林美華", "staff", [Role.REGISTRY.value]),
    ("demo-clerk", "註冊組幹事 陳志強", "staff", [Role.REGISTRY_CLERK.value]),
    ("demo-instruction", "教學組 吳佩珊", "staff", [Role.INSTRUCTION.value]),
    ("demo-guidance", "資料組 張雅婷", "staff", [Role.GUIDANCE_DATA.value, Role.GUIDANCE_DIRECTOR.value]),
    ("demo-teacher", "任課教師 李建國", "teacher", [Role.COURSE_TEACHER.value, Role.COURSE_COUNSELLOR.value]),
    ("demo-student", "學生 黃小芳", "student", [Role.STUDENT.value]),
    ("demo-principal", "校長 陳文雄", "staff", [Role.PRINCIPAL.value]),
)
DEMO_DISTRICT_ADMIN = "demo-district"


async def create_demo_data(uow: UnitOfWork) -> list[tuple[str, str]] | None:
    """Development only: a demo district, one school and a few users. None when they exist already."""
    caller = Caller.system("demo")
    if await queries.school_by_code(uow.session, "999001") is not None:
        return None
    district = await create_district(uow, caller, "DEMO", "示範主管機關 Demo district")
    school = await create_school(uow, caller, "999001", "示範高級中學 Demo senior high school", district["id"])
    created: list[tuple[str, str]] = []
    for login, name, kind, roles in DEMO_USERS:
        fields = {
            "login_name": login,
            "display_name": name,
            "kind": kind,
            "password_hash": check_password(DEMO_PASSWORD, login),
        }
        await insert_user(uow, caller, school["id"], fields, roles, "manual")
        created.append((login, DEMO_PASSWORD))
    # The district's own administrator (主管機關管理者): manages the demo district's schools.
    fields = {
        "login_name": DEMO_DISTRICT_ADMIN,
        "display_name": "主管機關 周志明",
        "kind": "staff",
        "password_hash": check_password(DEMO_PASSWORD, DEMO_DISTRICT_ADMIN),
    }
    admin = await insert_user(uow, caller, school["id"], fields, [], "manual")
    await grant_platform_role(uow, caller, admin["id"], Role.DISTRICT_ADMIN, district["id"])
    created.append((DEMO_DISTRICT_ADMIN, DEMO_PASSWORD))
    return created
