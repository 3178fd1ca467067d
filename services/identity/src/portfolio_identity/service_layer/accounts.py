"""Accounts (帳號): staff, teachers and students, their memberships and roles at schools.

A person may hold several roles at several schools. The school that created an account (by its
SIS export or by hand) is its home school: only it changes the person's name and status; other
schools only grant and revoke their own roles.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import RowMapping

from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import forbidden, not_found
from portfolio_shared.permissions import Permission

from ..adapters import accounts_store as store
from ..adapters import queries
from ..domain.passwords import check_password_policy, hash_password
from ..domain.roles import PLATFORM_ROLES, Role
from .account_changes import change_user, grant_role, insert_user, revoke_role
from .acting import refresh_acting
from .common import Caller, audit, conflict, invalid, today, utcnow

USER_VIEW = (
    "id",
    "login_name",
    "display_name",
    "kind",
    "status",
    "end_date",
    "email",
    "student_number",
    "from_sis",
    "deactivated",
    "home_school_id",
)


def user_view(row: RowMapping | dict[str, Any], roles: set[str] | None = None) -> dict[str, Any]:
    view = {k: row[k] for k in USER_VIEW}
    if roles is not None:
        view["roles"] = sorted(roles)
    return view


def check_roles(kind: str, roles: list[str], field: str = "roles") -> list[str]:
    try:
        parsed = {Role(r) for r in roles}
    except ValueError:
        raise invalid("unknown-role", "Unknown role", "未知的角色", f"unknown role in {roles}", field=field) from None
    if parsed & PLATFORM_ROLES:
        raise invalid(
            "platform-role",
            "Platform role",
            "平台角色不可由學校授予",
            "district and system roles are not granted by a school",
            field=field,
        )
    if (kind == "student") != (Role.STUDENT in parsed) and parsed:
        raise invalid(
            "role-kind",
            "Role does not fit the account kind",
            "角色與身分別不符",
            "students hold only the student role; staff and teachers never hold it",
            field=field,
        )
    if kind == "student" and parsed - {Role.STUDENT}:
        raise invalid(
            "role-kind",
            "Role does not fit the account kind",
            "角色與身分別不符",
            "a student account may only have the student role",
            field=field,
        )
    return sorted(r.value for r in parsed)


def check_password(password: str, login_name: str, context: Sequence[str] = (), *, field: str = "password") -> str:
    """Hash `password` or refuse it with every rule it breaks; `context` is the school's code and name."""
    violations = check_password_policy(password, login_name, context)
    if violations:
        problem = invalid(
            "password-policy",
            "Password does not meet the policy",
            "密碼不符合安全規則",
            "; ".join(f"{v.message_en} ({v.message_zh})" for v in violations),
            field=field,
        )
        problem.extra["errors"] = [
            {"field": field, "rule": v.code.value, "message": v.message_en, "message_zh": v.message_zh}
            for v in violations
        ]
        raise problem
    return hash_password(password)


async def school_words(uow: UnitOfWork, school_id: str | None) -> list[str]:
    """The school's code and name, which a password must not be built from (ASVS V6)."""
    if school_id is None:
        return []
    school = await queries.get_school(uow.session, school_id)
    return [school["code"], school["name"]] if school is not None else []


async def _member(uow: UnitOfWork, school_id: str, user_id: str) -> RowMapping:
    user = await queries.member_of_school(uow.session, user_id, school_id)
    if user is None:
        raise not_found("user")
    return user


async def create_user(uow: UnitOfWork, caller: Caller, school_id: str, body: dict[str, Any]) -> dict[str, Any]:
    caller.authorise(Permission.USERS_MANAGE, school_id)
    if await queries.get_school(uow.session, school_id) is None:
        raise not_found("school")
    login = body["login_name"].strip().lower()
    roles = check_roles(body["kind"], body.get("roles") or [])
    if await queries.user_by_login(uow.session, login) is not None:
        raise conflict(
            "login-taken",
            "Login name taken",
            "帳號已被使用",
            f"login name {login} is taken",
            field="login_name",
        )
    fields = {
        "login_name": login,
        "display_name": body["display_name"],
        "kind": body["kind"],
        "email": body.get("email"),
        "student_number": body.get("student_number"),
    }
    if body.get("password"):
        fields["password_hash"] = check_password(body["password"], login, await school_words(uow, school_id))
    row = await insert_user(uow, caller, school_id, fields, roles, "manual")
    await refresh_acting(uow, caller, school_id, today(), f"user {login} created")
    return user_view(row, set(roles))


async def add_member(
    uow: UnitOfWork, caller: Caller, school_id: str, login_name: str, roles: list[str]
) -> dict[str, Any]:
    """An existing person (e.g. a teacher of another school) joins this school with roles here."""
    caller.authorise(Permission.USERS_MANAGE, school_id)
    if await queries.get_school(uow.session, school_id) is None:
        raise not_found("school")
    user = await queries.user_by_login(uow.session, login_name)
    home = None if user is None else user["home_school_id"]
    # Only someone who manages the person's home school (its IT, or the district) brings them here:
    # another school must not learn of, or take over, accounts it does not own.
    may = home is not None and (
        caller.can(Permission.USERS_MANAGE, home) or caller.can(Permission.SCHOOLS_MANAGE, home)
    )
    if user is None or not (may or caller.is_system):
        raise not_found("user")
    checked = check_roles(user["kind"], roles)
    if await queries.member_of_school(uow.session, user["id"], school_id) is not None:
        raise conflict(
            "already-member",
            "Already a member",
            "已是本校人員",
            "the person already belongs to this school",
            field="login_name",
        )
    await store.add_membership(uow.session, user["id"], school_id, "manual", utcnow())
    await audit(uow, caller, "membership.added", "user", user["id"], school_id=school_id, after={"roles": checked})
    for role in checked:
        await grant_role(uow, caller, user["id"], school_id, role, "manual")
    await refresh_acting(uow, caller, school_id, today(), f"user {user['login_name']} joined")
    return user_view(user, set(checked))


async def list_users(
    uow: UnitOfWork,
    caller: Caller,
    school_id: str,
    *,
    kind: str | None,
    status: str | None,
    q: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    caller.authorise(Permission.USERS_READ, school_id)
    total, rows = await store.members_page(
        uow.session, school_id, kind=kind, status=status, q=q, limit=limit, offset=offset
    )
    items = []
    for row in rows:
        items.append(user_view(row, set(await queries.roles_at_school(uow.session, row["id"], school_id))))
    return {"items": items, "total": total, "limit": limit, "offset": offset}


async def get_user(uow: UnitOfWork, caller: Caller, school_id: str, user_id: str) -> dict[str, Any]:
    if caller.user_id != user_id:
        caller.authorise(Permission.USERS_READ, school_id, what="user")
    user = await _member(uow, school_id, user_id)
    return user_view(user, set(await queries.roles_at_school(uow.session, user_id, school_id)))


async def update_user(
    uow: UnitOfWork, caller: Caller, school_id: str, user_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    caller.authorise(Permission.USERS_MANAGE, school_id, what="user")
    user = await _member(uow, school_id, user_id)
    if user["home_school_id"] != school_id:
        raise forbidden("only the person's home school changes their account; grant roles here instead")
    changes: dict[str, Any] = {
        k: body[k] for k in ("display_name", "email", "status", "end_date") if k in body and body[k] != user[k]
    }
    status = changes.get("status", user["status"])
    end_date: date | None = changes.get("end_date", user["end_date"])
    if status == "left" and end_date is None:
        raise invalid(
            "end-date-required",
            "End date required",
            "離職需填寫離職日期",
            "an account that left needs an end date",
            field="end_date",
            rule="R-DUTY-2",
        )
    if "status" in changes and status == "active":
        changes["deactivated"] = False
    await change_user(uow, caller, school_id, user, changes, reason="changed by the school")
    await refresh_acting(uow, caller, school_id, today(), f"account of {user['login_name']} changed")
    return await get_user(uow, caller, school_id, user_id)


async def set_roles(uow: UnitOfWork, caller: Caller, school_id: str, user_id: str, roles: list[str]) -> dict[str, Any]:
    """Replace the person's roles at this school (R-DUTY-1); the nightly sync re-grants SIS roles it owns."""
    caller.authorise(Permission.USERS_MANAGE, school_id, what="user")
    user = await _member(uow, school_id, user_id)
    wanted = set(check_roles(user["kind"], roles))
    current = await queries.roles_at_school(uow.session, user_id, school_id)
    if (
        caller.user_id == user_id
        and Role.IT in current
        and Role.IT not in wanted
        and not caller.can(Permission.SCHOOLS_MANAGE, school_id)
    ):
        raise conflict(
            "self-lockout",
            "Cannot remove own account rights",
            "不可移除自己的帳號管理權限",
            "ask another administrator to remove your IT role",
            field="roles",
        )
    for role in sorted(set(current) - wanted):
        await revoke_role(uow, caller, user_id, school_id, role)
    for role in sorted(wanted - set(current)):
        await grant_role(uow, caller, user_id, school_id, role, "manual")
    await refresh_acting(uow, caller, school_id, today(), f"roles of {user['login_name']} changed")
    return user_view(user, wanted)


async def set_password(uow: UnitOfWork, caller: Caller, school_id: str, user_id: str, password: str) -> None:
    caller.authorise(Permission.USERS_MANAGE, school_id, what="user")
    user = await _member(uow, school_id, user_id)
    if user["kind"] == "admin" or await queries.platform_roles_of(uow.session, user_id):
        raise forbidden("a platform administrator's password is not reset by a school")
    if user["home_school_id"] != school_id:
        raise forbidden("only the person's home school sets their password")
    password_hash = check_password(password, user["login_name"], await school_words(uow, school_id))
    await store.set_password_hash(uow.session, user_id, password_hash, utcnow())
    await audit(uow, caller, "user.password_set", "user", user_id, school_id=school_id, after={"password": "(set)"})
