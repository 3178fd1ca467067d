"""Object-level authorisation: every object is looked up through the caller's school.

An object of another school is "not found" (404), never "forbidden", so existence does not leak
(FOUNDATION.md). A student is visible to a school where they have an enrolment (any status):
after a transfer the new school sees the whole history (R-ENR-1).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_records.adapters import queries
from portfolio_records.adapters.queries import STUDENT_VIEW, student_view_query
from portfolio_shared.auth import Principal
from portfolio_shared.errors import forbidden, not_found
from portfolio_shared.permissions import Permission

__all__ = ["STUDENT_VIEW", "is_own", "require_any", "require_read_student", "student_here", "student_view_query"]


async def student_here(session: AsyncSession, school_id: str, student_id: uuid.UUID) -> Row[Any]:
    """The student as enrolled at ``school_id``; 404 when they have no enrolment there."""
    row = await queries.student_at_school(session, school_id, student_id)
    if row is None:
        raise not_found("student")
    return row


def is_own(principal: Principal, row: Row[Any]) -> bool:
    return row.user_id is not None and row.user_id == principal.user_id


def require_read_student(principal: Principal, school_id: str, row: Row[Any], *, rule: str = "R-DATA-1") -> None:
    """Staff with records:read, or the student themself with records:read_own."""
    if principal.can(Permission.RECORDS_READ, school_id):
        return
    if principal.can(Permission.RECORDS_READ_OWN, school_id) and is_own(principal, row):
        return
    raise forbidden("only staff with records:read or the student concerned may read this", rule=rule)


def require_any(principal: Principal, school_id: str, *permissions: Permission, rule: str | None = None) -> None:
    if not any(principal.can(p, school_id) for p in permissions):
        names = " or ".join(str(p) for p in permissions)
        raise forbidden(f"this action needs the permission {names} at school {school_id}", rule=rule)
