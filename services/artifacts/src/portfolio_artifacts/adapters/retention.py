"""The SQL of deleting a graduate's items here (R-RET-1): outcomes, performances, their file rows and
this service's copies about the student. The artifact history (the audit trail, R-RET-3) stays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import files, idempotency_keys, outcomes, performances, rc_course_members, rc_enrolments


async def files_of(session: AsyncSession, user_ids: Sequence[str]) -> list[Row[Any]]:
    stmt = select(files.c.id, files.c.object_key, files.c.sha256, files.c.declared_sha256, files.c.school_id).where(
        files.c.student_user_id.in_(list(user_ids))
    )
    return list((await session.execute(stmt)).all())


async def delete_items(session: AsyncSession, user_ids: Sequence[str]) -> dict[str, list[str]]:
    """Delete the students' rows; returns the deleted identifiers per kind."""
    users = list(user_ids)
    deleted: dict[str, list[str]] = {}
    for kind, table in (("outcomes", outcomes), ("performances", performances)):
        ids = (await session.execute(select(table.c.id).where(table.c.student_user_id.in_(users)))).scalars().all()
        deleted[kind] = [str(i) for i in ids]
        await session.execute(delete(table).where(table.c.student_user_id.in_(users)))
    await session.execute(delete(files).where(files.c.student_user_id.in_(users)))
    enrolments = (
        await session.execute(
            select(rc_enrolments.c.school_id, rc_enrolments.c.user_id).where(rc_enrolments.c.user_id.in_(users))
        )
    ).all()
    deleted["enrolment_copies"] = [f"{r.school_id}|{r.user_id}" for r in enrolments]
    await session.execute(delete(rc_enrolments).where(rc_enrolments.c.user_id.in_(users)))
    members = (
        await session.execute(
            select(rc_course_members.c.course_id, rc_course_members.c.user_id).where(
                rc_course_members.c.user_id.in_(users), rc_course_members.c.role == "student"
            )
        )
    ).all()
    deleted["course_memberships"] = [f"{r.course_id}|{r.user_id}" for r in members]
    await session.execute(
        delete(rc_course_members).where(rc_course_members.c.user_id.in_(users), rc_course_members.c.role == "student")
    )
    await session.execute(delete(idempotency_keys).where(idempotency_keys.c.principal.in_(users)))
    return deleted
