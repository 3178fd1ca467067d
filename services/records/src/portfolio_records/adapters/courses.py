"""Statements of the course plan, teacher assignments and course enrolments (R-DATA-2, R-REC-2)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import course_students, course_teachers, courses, enrolments, students


async def course_at_school(session: AsyncSession, school_id: str, course_id: uuid.UUID) -> Row[Any] | None:
    query = select(courses).where(courses.c.id == course_id, courses.c.school_id == school_id)
    return (await session.execute(query)).first()


async def course_code_taken(
    session: AsyncSession, school_id: str, academic_year: int, semester: int, course_code: str
) -> bool:
    c = courses.c
    query = select(c.id).where(
        c.school_id == school_id, c.academic_year == academic_year, c.semester == semester, c.course_code == course_code
    )
    return (await session.execute(query)).first() is not None


async def insert_course(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(courses).values(**values))


async def replace_teachers(
    session: AsyncSession, course_id: uuid.UUID, teachers: Sequence[str], *, co_taught: bool, reviewing: str | None
) -> None:
    """The course's teachers become ``teachers``; its co-taught flag and reviewing teacher are set."""
    await session.execute(delete(course_teachers).where(course_teachers.c.course_id == course_id))
    await session.execute(insert(course_teachers), [{"course_id": course_id, "teacher_user_id": t} for t in teachers])
    await session.execute(
        update(courses)
        .where(courses.c.id == course_id)
        .values(co_taught=co_taught, reviewing_teacher_user_id=reviewing)
    )


async def enrolled_among(session: AsyncSession, school_id: str, student_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``student_ids`` have an enrolment at ``school_id``."""
    query = select(enrolments.c.student_id).where(
        enrolments.c.school_id == school_id, enrolments.c.student_id.in_(list(student_ids))
    )
    return set((await session.execute(query)).scalars())


async def replace_students(session: AsyncSession, course_id: uuid.UUID, student_ids: Sequence[uuid.UUID]) -> None:
    await session.execute(delete(course_students).where(course_students.c.course_id == course_id))
    if student_ids:
        await session.execute(insert(course_students), [{"course_id": course_id, "student_id": s} for s in student_ids])


async def teachers_of(session: AsyncSession, course_id: uuid.UUID) -> list[str]:
    query = select(course_teachers.c.teacher_user_id).where(course_teachers.c.course_id == course_id)
    return sorted((await session.execute(query)).scalars())


async def takers_of(session: AsyncSession, course_id: uuid.UUID) -> Sequence[Row[Any]]:
    """(id, user_id) of the course's students, by id."""
    query = (
        select(students.c.id, students.c.user_id)
        .join(course_students, course_students.c.student_id == students.c.id)
        .where(course_students.c.course_id == course_id)
        .order_by(students.c.id)
    )
    return (await session.execute(query)).all()
