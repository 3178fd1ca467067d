"""Deleting a graduate's copies at this service (R-RET-1): SQL for ``service_layer.retention``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import (
    batch_exclusions,
    batch_findings,
    rc_absences,
    rc_cadres,
    rc_file_problems,
    rc_grade_years,
    rc_items,
    rc_students,
    rc_term_grades,
    rc_users,
    sealed_students,
)
from .receipts_orm import objections, receipt_items, receipt_students


async def _take(session: AsyncSession, table: Table, where: Any, *key: Any) -> list[str]:
    """Delete the rows ``where`` selects; return their keys (``/``-joined when composite)."""
    rows = (await session.execute(select(*key).where(where))).all()
    await session.execute(delete(table).where(where))
    return ["/".join(str(v) for v in row) for row in rows]


async def erase_students(
    session: AsyncSession, *, student_ids: Sequence[str], user_ids: Sequence[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """Delete every row this service holds about these students: read copies (enrolment with the
    sealed personal data, grade years, grades, cadres, items and their file problems, the user and
    their absences), pre-check findings and exclusions naming them, their receipts' items and answers,
    and their objections. Returns the deleted keys per kind, and the objections' attachment keys (the
    stored files, for the caller to delete)."""
    s, u = list(student_ids), list(user_ids)
    deleted: dict[str, list[str]] = {}
    deleted["read_students"] = await _take(
        session, rc_students, rc_students.c.student_id.in_(s), rc_students.c.school_id, rc_students.c.student_id
    )
    deleted["read_grade_years"] = await _take(
        session,
        rc_grade_years,
        rc_grade_years.c.student_id.in_(s),
        rc_grade_years.c.student_id,
        rc_grade_years.c.academic_year,
    )
    deleted["read_term_grades"] = await _take(
        session,
        rc_term_grades,
        rc_term_grades.c.student_id.in_(s),
        rc_term_grades.c.student_id,
        rc_term_grades.c.academic_year,
        rc_term_grades.c.semester,
    )
    deleted["read_cadres"] = await _take(session, rc_cadres, rc_cadres.c.student_id.in_(s), rc_cadres.c.record_id)
    deleted["batch_findings"] = await _take(
        session, batch_findings, batch_findings.c.student_id.in_(s), batch_findings.c.batch_id, batch_findings.c.seq
    )
    deleted["batch_exclusions"] = await _take(
        session,
        batch_exclusions,
        batch_exclusions.c.student_id.in_(s),
        batch_exclusions.c.batch_id,
        batch_exclusions.c.student_id,
    )
    items = select(rc_items.c.item_id).where(rc_items.c.student_user_id.in_(u)).scalar_subquery()
    deleted["read_file_problems"] = await _take(
        session, rc_file_problems, rc_file_problems.c.item_id.in_(items), rc_file_problems.c.file_id
    )
    deleted["read_items"] = await _take(session, rc_items, rc_items.c.student_user_id.in_(u), rc_items.c.item_id)
    deleted["read_absences"] = await _take(
        session, rc_absences, rc_absences.c.user_id.in_(u), rc_absences.c.absence_key
    )
    deleted["read_users"] = await _take(session, rc_users, rc_users.c.user_id.in_(u), rc_users.c.user_id)
    deleted["receipt_items"] = await _take(
        session, receipt_items, receipt_items.c.student_user_id.in_(u), receipt_items.c.id
    )
    deleted["receipt_answers"] = await _take(
        session,
        receipt_students,
        receipt_students.c.student_user_id.in_(u),
        receipt_students.c.receipt_id,
        receipt_students.c.student_user_id,
    )
    attachments = (
        (
            await session.execute(
                select(objections.c.attachment_key).where(
                    objections.c.student_user_id.in_(u), objections.c.attachment_key.is_not(None)
                )
            )
        )
        .scalars()
        .all()
    )
    deleted["objections"] = await _take(session, objections, objections.c.student_user_id.in_(u), objections.c.id)
    return deleted, [str(k) for k in attachments]


async def erased(session: AsyncSession, *, student_id: str | None = None, user_id: str | None = None) -> bool:
    """True when this student's data here was deleted (R-RET-1): a late event must not bring it back."""
    c = sealed_students.c
    match = c.student_id == student_id if student_id is not None else c.user_id == user_id
    query = select(c.student_id).where(match, c.deleted_at.is_not(None)).limit(1)
    return (await session.execute(query)).first() is not None
