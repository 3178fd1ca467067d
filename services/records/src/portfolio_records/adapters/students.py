"""Statements of the student aggregate: the person (national ID sealed), their enrolments and
enrolment changes, their contact address (R-DATA-1, R-ENR-1, R-REC-2, R-SUB-9)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import course_students, courses, enrolment_changes, enrolments, student_contacts, students


# -- the person -------------------------------------------------------------------------------------
async def student_by_index(session: AsyncSession, digest: str) -> uuid.UUID | None:
    """The student whose national ID has this blind index, in any school of the district."""
    query = select(students.c.id).where(students.c.national_id_index == digest)
    result: uuid.UUID | None = (await session.execute(query)).scalar_one_or_none()
    return result


async def enrolled_student_by_index(session: AsyncSession, school_id: str, digest: str) -> uuid.UUID | None:
    """The same, limited to students with an enrolment at ``school_id``."""
    query = (
        select(students.c.id)
        .join(enrolments, enrolments.c.student_id == students.c.id)
        .where(students.c.national_id_index == digest, enrolments.c.school_id == school_id)
    )
    result: uuid.UUID | None = (await session.execute(query)).scalar_one_or_none()
    return result


async def insert_student(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(students).values(**values))


async def update_student(session: AsyncSession, student_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    await session.execute(update(students).where(students.c.id == student_id).values(**values))


async def personal_fields(session: AsyncSession, student_id: uuid.UUID) -> Row[Any]:
    """The encrypted national ID, name and birth date of a student (sealed for submission by the
    service layer; never leaves records otherwise)."""
    return (
        await session.execute(
            select(students.c.national_id_encrypted, students.c.name, students.c.birth_date).where(
                students.c.id == student_id
            )
        )
    ).one()


async def user_id_of(session: AsyncSession, student_id: uuid.UUID) -> str | None:
    """The student's linked user id (None until one is linked); the student must exist."""
    result: str | None = (
        await session.execute(select(students.c.user_id).where(students.c.id == student_id))
    ).scalar_one()
    return result


async def courses_taken(session: AsyncSession, student_id: uuid.UUID) -> Sequence[Row[Any]]:
    query = (
        select(courses)
        .join(course_students, course_students.c.course_id == courses.c.id)
        .where(course_students.c.student_id == student_id)
    )
    return (await session.execute(query)).all()


# -- enrolments -------------------------------------------------------------------------------------
async def number_holder(session: AsyncSession, school_id: str, number: str) -> uuid.UUID | None:
    """The student holding ``number`` at ``school_id``, if any."""
    query = select(enrolments.c.student_id).where(
        enrolments.c.school_id == school_id, enrolments.c.student_number == number
    )
    result: uuid.UUID | None = (await session.execute(query)).scalar_one_or_none()
    return result


async def enrolments_of(session: AsyncSession, student_id: uuid.UUID) -> Sequence[Row[Any]]:
    """Every enrolment of the student, at any school."""
    return (await session.execute(select(enrolments).where(enrolments.c.student_id == student_id))).all()


async def enrolment_with_user(session: AsyncSession, school_id: str, student_id: uuid.UUID) -> Row[Any] | None:
    """The student's enrolment at ``school_id`` with the student's ``user_id``."""
    query = (
        select(enrolments, students.c.user_id)
        .join(students, students.c.id == enrolments.c.student_id)
        .where(enrolments.c.school_id == school_id, enrolments.c.student_id == student_id)
    )
    return (await session.execute(query)).first()


async def enrolled_with_users(session: AsyncSession, school_id: str, status: str) -> Sequence[Row[Any]]:
    """The school's enrolments in ``status`` with the students' user ids, by student number."""
    query = (
        select(enrolments, students.c.user_id)
        .join(students, students.c.id == enrolments.c.student_id)
        .where(enrolments.c.school_id == school_id, enrolments.c.status == status)
        .order_by(enrolments.c.student_number)
    )
    return (await session.execute(query)).all()


async def insert_enrolment(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(enrolments).values(**values))


async def update_enrolment(session: AsyncSession, enrolment_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    await session.execute(update(enrolments).where(enrolments.c.id == enrolment_id).values(**values))


async def update_enrolment_if(
    session: AsyncSession, enrolment_id: uuid.UUID, *, status: str, grade: int, values: Mapping[str, Any]
) -> bool:
    """Guarded update: only while the enrolment still has ``status`` and ``grade``; False otherwise."""
    c = enrolments.c
    result = await session.execute(
        update(enrolments).where(c.id == enrolment_id, c.status == status, c.grade == grade).values(**values)
    )
    return getattr(result, "rowcount", 1) == 1


async def update_enrolment_at(
    session: AsyncSession, student_id: uuid.UUID, school_id: str, values: Mapping[str, Any]
) -> None:
    await session.execute(
        update(enrolments)
        .where(enrolments.c.student_id == student_id, enrolments.c.school_id == school_id)
        .values(**values)
    )


# -- enrolment changes ------------------------------------------------------------------------------
async def insert_enrolment_change(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(enrolment_changes).values(**values))


async def latest_change_on(session: AsyncSession, student_id: uuid.UUID, school_id: str) -> date | None:
    """``effective_on`` of the student's latest recorded change at ``school_id``."""
    query = (
        select(enrolment_changes.c.effective_on)
        .where(enrolment_changes.c.student_id == student_id, enrolment_changes.c.school_id == school_id)
        .order_by(enrolment_changes.c.recorded_at.desc())
        .limit(1)
    )
    result: date | None = (await session.execute(query)).scalar_one_or_none()
    return result


async def change_dates(session: AsyncSession, school_id: str, change: str) -> list[date]:
    """``effective_on`` of every change of kind ``change`` recorded at the school."""
    query = select(enrolment_changes.c.effective_on).where(
        enrolment_changes.c.school_id == school_id, enrolment_changes.c.change == change
    )
    return list((await session.execute(query)).scalars())


# -- contact address (one sealed token per student) -------------------------------------------------
async def replace_contact(session: AsyncSession, student_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    await session.execute(delete(student_contacts).where(student_contacts.c.student_id == student_id))
    await session.execute(insert(student_contacts).values(student_id=student_id, **values))


async def contact_token(session: AsyncSession, student_id: uuid.UUID) -> str | None:
    query = select(student_contacts.c.contact_encrypted).where(student_contacts.c.student_id == student_id)
    result: str | None = (await session.execute(query)).scalar_one_or_none()
    return result
