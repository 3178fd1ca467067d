"""The writes every account handler shares: create accounts, grant and revoke roles, change fields.

Each publishes its events through the outbox and writes its audit rows in the caller's transaction.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import RowMapping

from portfolio_shared.audit import append
from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.identity import (
    RoleGranted,
    RoleRevoked,
    UserContactChanged,
    UserCreated,
    UserDeactivated,
    UserUpdated,
)

from ..adapters import accounts_store as store
from ..adapters import queries
from ..adapters.orm import audit_log
from .common import Caller, audit, audit_row, new_id, utcnow
from .revocation import revoke_user_tokens


async def insert_users(
    uow: UnitOfWork,
    caller: Caller,
    school_id: str,
    accounts: list[tuple[dict[str, Any], list[str]]],
    source: str,
) -> list[dict[str, Any]]:
    """Create accounts that belong to `school_id`, each with its roles there; publish and audit them.

    Bulk statements, so that a school's first nightly import of thousands of accounts stays quick.
    """
    now = utcnow()
    created: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    role_rows: list[dict[str, Any]] = []
    audit_rows: list[dict[str, Any]] = []
    for fields, roles in accounts:
        row = {
            "id": new_id(),
            "password_hash": None,
            "end_date": None,
            "email": None,
            "student_number": None,
            "deactivated": False,
            "from_sis": source == "sis",
            "home_school_id": school_id,
            "created_at": now,
            "updated_at": now,
            "status": "active",
            **fields,
        }
        created.append(row)
        member_rows.append({"user_id": row["id"], "school_id": school_id, "source": source, "created_at": now})
        uow.publish(
            UserCreated(
                user_id=row["id"],
                login_name=row["login_name"],
                display_name=row["display_name"],
                kind=row["kind"],
                status=row["status"],
                school_ids=[school_id],
            ),
            school_id=school_id,
            actor=caller.actor_id,
        )
        if row["email"]:  # notification's e-mail channel (the address travels once, stored encrypted)
            uow.publish(
                UserContactChanged(user_id=row["id"], email=row["email"]), school_id=school_id, actor=caller.actor_id
            )
        snapshot = {**queries.user_snapshot(row), "roles": roles}
        audit_rows.append(audit_row(caller, "user.created", "user", row["id"], school_id=school_id, after=snapshot))
        for role in roles:
            role_rows.append(
                {"user_id": row["id"], "school_id": school_id, "role": role, "source": source, "created_at": now}
            )
            uow.publish(
                RoleGranted(user_id=row["id"], school_id=school_id, role=role),
                school_id=school_id,
                actor=caller.actor_id,
            )
            audit_rows.append(
                audit_row(caller, "role.granted", "user", row["id"], school_id=school_id, after={"role": role})
            )
    if created:
        await store.insert_accounts(uow.session, created, member_rows)
        await append(uow.session, audit_log, audit_rows)
    if role_rows:
        await store.insert_school_roles(uow.session, role_rows)
    return created


async def insert_user(
    uow: UnitOfWork, caller: Caller, school_id: str, fields: dict[str, Any], roles: list[str], source: str
) -> dict[str, Any]:
    """Create one account that belongs to `school_id`, with roles there; publish and audit it."""
    return (await insert_users(uow, caller, school_id, [(fields, roles)], source))[0]


async def grant_role(uow: UnitOfWork, caller: Caller, user_id: str, school_id: str, role: str, source: str) -> None:
    await store.insert_school_roles(
        uow.session,
        [{"user_id": user_id, "school_id": school_id, "role": role, "source": source, "created_at": utcnow()}],
    )
    uow.publish(
        RoleGranted(user_id=user_id, school_id=school_id, role=role), school_id=school_id, actor=caller.actor_id
    )
    await audit(uow, caller, "role.granted", "user", user_id, school_id=school_id, after={"role": role})


async def revoke_role(uow: UnitOfWork, caller: Caller, user_id: str, school_id: str, role: str) -> None:
    await store.delete_school_role(uow.session, user_id, school_id, role)
    uow.publish(
        RoleRevoked(user_id=user_id, school_id=school_id, role=role), school_id=school_id, actor=caller.actor_id
    )
    # The tokens already out still carry the role's permissions: refuse them; a refresh gets new claims.
    revoke_user_tokens(uow, caller.actor_id, user_id, "roles_removed", school_id=school_id)
    await audit(uow, caller, "role.revoked", "user", user_id, school_id=school_id, before={"role": role})


async def change_user(
    uow: UnitOfWork,
    caller: Caller,
    school_id: str,
    user: RowMapping | dict[str, Any],
    changes: dict[str, Any],
    reason: str,
) -> None:
    """Apply field changes to an account; publish UserUpdated (and UserDeactivated when it stops working)."""
    if not changes:
        return
    await store.update_user(uow.session, user["id"], {**changes, "updated_at": utcnow()})
    after = {**dict(user), **changes}
    uow.publish(
        UserUpdated(
            user_id=user["id"],
            display_name=after["display_name"],
            kind=after["kind"],
            # An account the SIS no longer lists has left, whatever its last exported status was.
            status="left" if after["deactivated"] else after["status"],
            end_date=after["end_date"],
        ),
        school_id=school_id,
        actor=caller.actor_id,
    )
    if "email" in changes and changes["email"] != user["email"]:
        uow.publish(
            UserContactChanged(user_id=user["id"], email=changes["email"]), school_id=school_id, actor=caller.actor_id
        )
    stops = (after["status"] != "active" or after["deactivated"]) and (
        after["status"] != user["status"] or after["deactivated"] != user["deactivated"]
    )
    if stops:
        status: Literal["suspended", "left"] = "suspended" if after["status"] == "suspended" else "left"
        uow.publish(
            UserDeactivated(user_id=user["id"], status=status, end_date=after["end_date"], reason=reason),
            school_id=school_id,
            actor=caller.actor_id,
        )
        # A suspended account's tokens must stop working everywhere now, not when they expire (ASVS V7).
        revoke_user_tokens(uow, caller.actor_id, user["id"], status, school_id=school_id)
    await audit(
        uow,
        caller,
        "user.updated",
        "user",
        user["id"],
        school_id=school_id,
        before=queries.user_snapshot(user),
        after=queries.user_snapshot(after),
    )
