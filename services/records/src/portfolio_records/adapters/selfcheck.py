"""Read queries of the self-check (R-SCHED-2, R-REC-1): what is still missing in a semester's records.
Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import RowMapping, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import (
    cadre_records,
    course_students,
    course_teachers,
    courses,
    enrolments,
    grades,
    phase_windows,
    students,
)


@dataclass(frozen=True, slots=True)
class SemesterGaps:
    students_without_grades: list[RowMapping]  # id, name, student_number, class_name
    classes: set[str]  # of the enrolled students
    classes_with_cadre: set[str]
    courses_without_teachers: list[RowMapping]  # id, course_code, subject_name
    co_taught_without_reviewer: list[RowMapping]
    courses_without_students: list[RowMapping]
    phases_with_window: set[str]


async def semester_gaps(
    session: AsyncSession, school_id: str, academic_year: int, semester: int, enrolled_status: str
) -> SemesterGaps:
    """``enrolled_status``: the enrolment status that counts as enrolled."""
    enrolled = and_(enrolments.c.school_id == school_id, enrolments.c.status == enrolled_status)
    has_grades = exists().where(
        grades.c.student_id == enrolments.c.student_id,
        grades.c.academic_year == academic_year,
        grades.c.semester == semester,
    )
    no_grades = (
        await session.execute(
            select(students.c.id, students.c.name, enrolments.c.student_number, enrolments.c.class_name)
            .join(enrolments, enrolments.c.student_id == students.c.id)
            .where(enrolled, ~has_grades)
            .order_by(enrolments.c.class_name, enrolments.c.student_number)
        )
    ).mappings()
    classes = set((await session.execute(select(enrolments.c.class_name).where(enrolled).distinct())).scalars())
    with_cadre = set(
        (
            await session.execute(
                select(enrolments.c.class_name)
                .join(cadre_records, cadre_records.c.student_id == enrolments.c.student_id)
                .where(
                    enrolled,
                    cadre_records.c.school_id == school_id,
                    cadre_records.c.academic_year == academic_year,
                    cadre_records.c.semester == semester,
                )
                .distinct()
            )
        ).scalars()
    )
    term_courses = and_(
        courses.c.school_id == school_id, courses.c.academic_year == academic_year, courses.c.semester == semester
    )
    course_cols = (courses.c.id, courses.c.course_code, courses.c.subject_name)
    no_teacher = (
        await session.execute(
            select(*course_cols).where(term_courses, ~exists().where(course_teachers.c.course_id == courses.c.id))
        )
    ).mappings()
    no_reviewer = (
        await session.execute(
            select(*course_cols).where(term_courses, courses.c.co_taught, courses.c.reviewing_teacher_user_id.is_(None))
        )
    ).mappings()
    no_students = (
        await session.execute(
            select(*course_cols).where(term_courses, ~exists().where(course_students.c.course_id == courses.c.id))
        )
    ).mappings()
    windows = set(
        (
            await session.execute(
                select(phase_windows.c.phase).where(
                    phase_windows.c.school_id == school_id,
                    phase_windows.c.academic_year == academic_year,
                    phase_windows.c.semester == semester,
                )
            )
        ).scalars()
    )
    return SemesterGaps(
        list(no_grades), classes, with_cadre, list(no_teacher), list(no_reviewer), list(no_students), windows
    )
