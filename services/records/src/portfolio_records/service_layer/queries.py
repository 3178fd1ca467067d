"""Read side of the records API: the service layer between the routes and the named queries.

Routes check the caller's permission and shape the response; the statements are in
adapters/queries.py (issue 10's SQL seam: no SQL in api/).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row

from portfolio_records.adapters import queries
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import not_found
from portfolio_shared.identifiers import fold_full_width


async def students_page(
    uow: UnitOfWork,
    school_id: str,
    *,
    grade: int | None,
    class_name: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[Row[Any]]]:
    # Stored class names have full-width digits folded (commands.ClassName): fold the filter too.
    folded = None if class_name is None else fold_full_width(class_name).strip()
    return await queries.students_page(
        uow.session, school_id, grade=grade, class_name=folded, status=status, limit=limit, offset=offset
    )


async def own_student(uow: UnitOfWork, school_id: str, user_id: str) -> Row[Any]:
    row = await queries.student_of_user(uow.session, school_id, user_id)
    if row is None:
        raise not_found("student")
    return row


async def enrolment_history(uow: UnitOfWork, student_id: uuid.UUID) -> Sequence[Row[Any]]:
    return await queries.enrolment_history(uow.session, student_id)


async def grades_of_student(
    uow: UnitOfWork, student_id: uuid.UUID, academic_year: int | None, semester: int | None
) -> Sequence[Row[Any]]:
    return await queries.grades_of_student(uow.session, student_id, academic_year, semester)


async def course_plan(
    uow: UnitOfWork, school_id: str, academic_year: int | None, semester: int | None
) -> list[tuple[Row[Any], list[str], list[uuid.UUID]]]:
    """Each course of the plan with its sorted teacher user ids and student ids."""
    rows = await queries.courses_of_school(uow.session, school_id, academic_year, semester)
    teachers, takers = await queries.people_of_courses(uow.session, [r.id for r in rows])
    return [(r, teachers.get(r.id, []), takers.get(r.id, [])) for r in rows]


async def courses_of_person(
    uow: UnitOfWork, school_id: str, user_id: str, academic_year: int | None, semester: int | None
) -> list[tuple[Row[Any], list[str]]]:
    """The caller's own courses (taken, taught or reviewed) with their sorted teacher user ids."""
    rows = await queries.courses_of_person(uow.session, school_id, user_id, academic_year, semester)
    teachers, _ = await queries.people_of_courses(uow.session, [r.id for r in rows])
    return [(r, teachers.get(r.id, [])) for r in rows]


async def grade_import(uow: UnitOfWork, school_id: str, import_id: uuid.UUID) -> Row[Any]:
    row = await queries.grade_import(uow.session, school_id, import_id)
    if row is None:
        raise not_found("grade import")
    return row


async def audit_page(uow: UnitOfWork, school_id: str, limit: int, offset: int) -> Sequence[Row[Any]]:
    return await queries.audit_page(uow.session, school_id, limit, offset)
