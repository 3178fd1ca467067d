"""Read-only scans of stored identifiers (R-DATA-1), in id order and batches, for the post-migration
check (``service_layer.identifier_check``). Nothing here writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import courses, enrolments, grades, students


async def national_ids_after(session: AsyncSession, last: uuid.UUID | None, batch: int) -> Sequence[Row[Any]]:
    """(id, national_id_encrypted, national_id_index) of the next ``batch`` students after ``last``."""
    query = select(students.c.id, students.c.national_id_encrypted, students.c.national_id_index)
    if last is not None:
        query = query.where(students.c.id > last)
    return (await session.execute(query.order_by(students.c.id).limit(batch))).all()


async def enrolments_after(session: AsyncSession, last: uuid.UUID | None, batch: int) -> Sequence[Row[Any]]:
    """(id, student_id, school_id, student_number, class_name) of the next ``batch`` enrolments."""
    c = enrolments.c
    query = select(c.id, c.student_id, c.school_id, c.student_number, c.class_name)
    if last is not None:
        query = query.where(c.id > last)
    return (await session.execute(query.order_by(c.id).limit(batch))).all()


async def course_codes(session: AsyncSession) -> Sequence[Row[Any]]:
    """(id, school_id, course_code) of every course."""
    return (await session.execute(select(courses.c.id, courses.c.school_id, courses.c.course_code))).all()


async def grade_course_codes(session: AsyncSession) -> list[str]:
    """The distinct course codes of all grades (few, however many grades there are)."""
    return list((await session.execute(select(grades.c.course_code).distinct())).scalars())


async def grades_with_codes(session: AsyncSession, codes: Iterable[str]) -> Sequence[Row[Any]]:
    """Distinct (student_id, school_id, course_code) of the grades carrying one of ``codes``."""
    query = select(grades.c.student_id, grades.c.school_id, grades.c.course_code).distinct()
    return (await session.execute(query.where(grades.c.course_code.in_(list(codes))))).all()
