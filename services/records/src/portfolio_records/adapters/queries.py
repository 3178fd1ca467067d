"""Named read queries of the records service, per aggregate (student, course, grade import, audit).

The SQL seam (issue 10): statements live here; the service layer calls these functions and the
API layer calls the service layer. Nothing here decides who may read: that is the service layer's
object-level check (service_layer/access.py).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import (
    audit_log,
    course_students,
    course_teachers,
    courses,
    enrolment_changes,
    enrolments,
    grade_imports,
    grades,
    known_schools,
    students,
)

# --- students ---------------------------------------------------------------------------------------

STUDENT_VIEW = (
    students.c.id,
    students.c.name,
    students.c.national_id_masked,
    students.c.national_id_encrypted,
    students.c.birth_date,
    students.c.user_id,
    enrolments.c.school_id,
    enrolments.c.student_number,
    enrolments.c.grade,
    enrolments.c.class_name,
    enrolments.c.seat_number,
    enrolments.c.status,
    enrolments.c.repeating,
    enrolments.c.enrolled_on,
)


def student_view_query() -> Select[Any]:
    """A student as enrolled at a school (one row per enrolment)."""
    return select(*STUDENT_VIEW).join(enrolments, enrolments.c.student_id == students.c.id)


async def student_at_school(session: AsyncSession, school_id: str, student_id: uuid.UUID) -> Row[Any] | None:
    stmt = student_view_query().where(enrolments.c.school_id == school_id, students.c.id == student_id)
    return (await session.execute(stmt)).first()


async def student_of_user(session: AsyncSession, school_id: str, user_id: str) -> Row[Any] | None:
    stmt = student_view_query().where(enrolments.c.school_id == school_id, students.c.user_id == user_id)
    return (await session.execute(stmt)).first()


async def students_page(
    session: AsyncSession,
    school_id: str,
    *,
    grade: int | None,
    class_name: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[Row[Any]]]:
    """One page of a school's enrolled students (by class, seat, number) and the total matching."""
    conditions = [enrolments.c.school_id == school_id]
    if grade is not None:
        conditions.append(enrolments.c.grade == grade)
    if class_name is not None:
        conditions.append(enrolments.c.class_name == class_name)
    if status is not None:
        conditions.append(enrolments.c.status == status)
    total = (await session.execute(select(func.count()).select_from(enrolments).where(*conditions))).scalar_one()
    rows = await session.execute(
        student_view_query()
        .where(*conditions)
        .order_by(enrolments.c.class_name, enrolments.c.seat_number, enrolments.c.student_number)
        .limit(limit)
        .offset(offset)
    )
    return int(total), rows.all()


async def enrolment_history(session: AsyncSession, student_id: uuid.UUID) -> Sequence[Row[Any]]:
    rows = await session.execute(
        select(enrolment_changes)
        .where(enrolment_changes.c.student_id == student_id)
        .order_by(enrolment_changes.c.effective_on, enrolment_changes.c.recorded_at)
    )
    return rows.all()


async def grades_of_student(
    session: AsyncSession, student_id: uuid.UUID, academic_year: int | None, semester: int | None
) -> Sequence[Row[Any]]:
    query = select(grades).where(grades.c.student_id == student_id)
    if academic_year is not None:
        query = query.where(grades.c.academic_year == academic_year)
    if semester is not None:
        query = query.where(grades.c.semester == semester)
    rows = await session.execute(query.order_by(grades.c.academic_year, grades.c.semester, grades.c.course_code))
    return rows.all()


# --- courses ----------------------------------------------------------------------------------------


async def courses_of_school(
    session: AsyncSession, school_id: str, academic_year: int | None, semester: int | None
) -> Sequence[Row[Any]]:
    query = select(courses).where(courses.c.school_id == school_id)
    if academic_year is not None:
        query = query.where(courses.c.academic_year == academic_year)
    if semester is not None:
        query = query.where(courses.c.semester == semester)
    rows = await session.execute(query.order_by(courses.c.academic_year, courses.c.semester, courses.c.course_code))
    return rows.all()


async def courses_of_person(
    session: AsyncSession, school_id: str, user_id: str, academic_year: int | None, semester: int | None
) -> Sequence[Row[Any]]:
    """The courses one person takes (as a student) or teaches or reviews, at one school."""
    taking = (
        select(course_students.c.course_id)
        .join(students, students.c.id == course_students.c.student_id)
        .where(students.c.user_id == user_id)
    )
    teaching = select(course_teachers.c.course_id).where(course_teachers.c.teacher_user_id == user_id)
    query = select(courses).where(
        courses.c.school_id == school_id,
        courses.c.id.in_(taking) | courses.c.id.in_(teaching) | (courses.c.reviewing_teacher_user_id == user_id),
    )
    if academic_year is not None:
        query = query.where(courses.c.academic_year == academic_year)
    if semester is not None:
        query = query.where(courses.c.semester == semester)
    rows = await session.execute(query.order_by(courses.c.academic_year, courses.c.semester, courses.c.course_code))
    return rows.all()


async def people_of_courses(
    session: AsyncSession, course_ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, list[str]], dict[uuid.UUID, list[uuid.UUID]]]:
    """Teachers and students of many courses in two queries (not two per course), each list sorted."""
    teachers: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
    takers: defaultdict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for t in await session.execute(select(course_teachers).where(course_teachers.c.course_id.in_(course_ids))):
        teachers[t.course_id].append(t.teacher_user_id)
    for c in await session.execute(select(course_students).where(course_students.c.course_id.in_(course_ids))):
        takers[c.course_id].append(c.student_id)
    return (
        {k: sorted(v) for k, v in teachers.items()},
        {k: sorted(v) for k, v in takers.items()},
    )


# --- grade imports and audit ------------------------------------------------------------------------


async def known_school_codes(session: AsyncSession) -> list[tuple[str, str]]:
    """(school_id, school_code) of every school records knows, for the nightly import (R-DUTY-3)."""
    rows = await session.execute(select(known_schools.c.school_id, known_schools.c.school_code))
    return [(r[0], r[1]) for r in rows]


async def grade_import(session: AsyncSession, school_id: str, import_id: uuid.UUID) -> Row[Any] | None:
    stmt = select(grade_imports).where(grade_imports.c.id == import_id, grade_imports.c.school_id == school_id)
    return (await session.execute(stmt)).first()


async def audit_page(session: AsyncSession, school_id: str, limit: int, offset: int) -> Sequence[Row[Any]]:
    """A school's audit trail, newest first (R-RET-3)."""
    rows = await session.execute(
        select(audit_log)
        .where(audit_log.c.school_id == school_id)
        .order_by(audit_log.c.at.desc(), audit_log.c.id)
        .limit(limit)
        .offset(offset)
    )
    return rows.all()
