"""The SQL of deleting a graduate's account here (R-RET-1): the account is anonymised (its id stays,
so the audit trail and other services' ids still resolve to "a deleted account"), its memberships,
roles and sign-ins are deleted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import login_throttle, memberships, platform_roles, refresh_tokens, school_roles, users


async def anonymise_accounts(session: AsyncSession, user_ids: Sequence[str], at: datetime) -> dict[str, list[str]]:
    ids = list(user_ids)
    found = (await session.execute(select(users.c.id, users.c.login_name).where(users.c.id.in_(ids)))).all()
    deleted: dict[str, list[str]] = {"accounts": [str(r.id) for r in found]}
    for kind, table, key in (
        ("memberships", memberships, (memberships.c.user_id, memberships.c.school_id)),
        ("school_roles", school_roles, (school_roles.c.user_id, school_roles.c.school_id, school_roles.c.role)),
        ("platform_roles", platform_roles, (platform_roles.c.user_id, platform_roles.c.role)),
        ("refresh_tokens", refresh_tokens, (refresh_tokens.c.id,)),
    ):
        rows = (await session.execute(select(*key).where(table.c.user_id.in_(ids)))).all()
        deleted[kind] = ["|".join(str(v) for v in row) for row in rows]
        await session.execute(delete(table).where(table.c.user_id.in_(ids)))
    throttle_keys = [f"login:{r.login_name}" for r in found]
    await session.execute(delete(login_throttle).where(login_throttle.c.key.in_(throttle_keys)))
    for row in found:
        await session.execute(
            update(users)
            .where(users.c.id == row.id)
            .values(
                login_name=f"deleted-{row.id}"[:64],
                display_name="（已刪除）deleted",
                password_hash=None,
                email=None,
                student_number=None,
                status="left",
                deactivated=True,
                updated_at=at,
            )
        )
    return deleted
