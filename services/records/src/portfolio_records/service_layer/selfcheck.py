"""Self-check reports (自我檢核) on the records' own data for one semester: R-SCHED-2, R-REC-1.

Staff see what is still missing before the data-entry window closes: enrolled students without
grades, classes without cadre records, courses without teachers, co-taught courses without a
reviewing teacher, courses without students, and phases without a window.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, select

from portfolio_records.adapters.orm import (
    cadre_records,
    course_students,
    course_teachers,
    courses,
    enrolments,
    grades,
    phase_windows,
    students,
)
from portfolio_records.domain.calendar import Phase
from portfolio_records.domain.enrolment import EnrolmentStatus
from portfolio_shared.db import UnitOfWork


async def self_check(uow: UnitOfWork, school_id: str, academic_year: int, semester: int) -> dict[str, Any]:
    session = uow.session
    enrolled = and_(enrolments.c.school_id == school_id, enrolments.c.status == EnrolmentStatus.ENROLLED.value)
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
    return {
        "school_id": school_id,
        "academic_year": academic_year,
        "semester": semester,
        "students_without_grades": [dict(r) for r in no_grades],
        "classes_without_cadre": sorted(classes - with_cadre),
        "courses_without_teachers": [dict(r) for r in no_teacher],
        "co_taught_courses_without_reviewer": [dict(r) for r in no_reviewer],
        "courses_without_students": [dict(r) for r in no_students],
        "phases_without_window": [p.value for p in Phase if p.value not in windows],
    }
