"""Course plan (課程計畫), teacher assignments and course enrolments: R-DATA-2, R-REC-2.

Every change of who teaches, who reviews or who takes a course publishes
``TeacherAssignmentChanged`` so artifacts knows who certifies whose outcomes (R-ART-3).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_records.adapters import courses as store
from portfolio_records.domain.calendar import Term
from portfolio_records.domain.errors import InvalidTeacherAssignment, RecordConflict
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import not_found
from portfolio_shared.events.records import CourseOffered, TeacherAssignmentChanged

from .audit import audit, now
from .commands import CourseCreate, CourseStudents, TeacherAssignment
from .windows import require_data_entry


async def course_here(session: AsyncSession, school_id: str, course_id: uuid.UUID) -> Row[Any]:
    row = await store.course_at_school(session, school_id, course_id)
    if row is None:
        raise not_found("course")
    return row


async def offer_course(uow: UnitOfWork, school_id: str, actor: str, cmd: CourseCreate) -> uuid.UUID:
    session = uow.session
    # The course plan of a semester changes only within its data-entry window (R-REC-1, R-REC-2).
    await require_data_entry(uow, school_id, Term(cmd.academic_year, cmd.semester))
    if await store.course_code_taken(session, school_id, cmd.academic_year, cmd.semester, cmd.course_code):
        raise RecordConflict(
            f"Course {cmd.course_code} already exists in {cmd.academic_year}-{cmd.semester}",
            f"{cmd.academic_year} 學年度第 {cmd.semester} 學期已有課程 {cmd.course_code}",
            field="course_code",
        )
    course_id = uuid.uuid4()
    await store.insert_course(
        session, {"id": course_id, "school_id": school_id, "created_at": now(), **cmd.model_dump()}
    )
    await audit(
        session, school_id=school_id, actor=actor, action="course.offered", entity="course", entity_id=course_id,
        details={"course_code": cmd.course_code, "term": f"{cmd.academic_year}-{cmd.semester}"},
    )  # fmt: skip
    uow.publish(
        CourseOffered(course_id=str(course_id), school_id=school_id, **cmd.model_dump()),
        school_id=school_id,
        actor=actor,
    )
    return course_id


async def assign_teachers(
    uow: UnitOfWork, school_id: str, course_id: uuid.UUID, actor: str, cmd: TeacherAssignment
) -> None:
    """Set the teachers and, for a co-taught course (合開課程), the reviewing teacher (R-REC-2)."""
    session = uow.session
    course = await course_here(session, school_id, course_id)
    await require_data_entry(uow, school_id, Term(course.academic_year, course.semester))  # R-REC-1
    teachers = list(dict.fromkeys(cmd.teacher_user_ids))
    reviewing = cmd.reviewing_teacher_user_id
    co_taught = course.co_taught or len(teachers) > 1
    if co_taught and reviewing is None:
        raise InvalidTeacherAssignment("A co-taught course needs a reviewing teacher", "合開課程須指定審核教師")
    if reviewing is not None and reviewing not in teachers:
        raise InvalidTeacherAssignment(
            "The reviewing teacher must be one of the course's teachers", "審核教師須為本課程的授課教師之一"
        )
    await store.replace_teachers(session, course_id, teachers, co_taught=co_taught, reviewing=reviewing)
    await audit(
        session, school_id=school_id, actor=actor, action="course.teachers_assigned", entity="course",
        entity_id=course_id, details={"teacher_user_ids": teachers, "reviewing_teacher_user_id": reviewing},
    )  # fmt: skip
    await publish_assignment(uow, course, actor)


async def set_course_students(
    uow: UnitOfWork, school_id: str, course_id: uuid.UUID, actor: str, cmd: CourseStudents
) -> None:
    """Who takes the course; only students enrolled at this school can be placed in it."""
    session = uow.session
    course = await course_here(session, school_id, course_id)
    await require_data_entry(uow, school_id, Term(course.academic_year, course.semester))  # R-REC-1
    wanted = list(dict.fromkeys(cmd.student_ids))
    if wanted:
        known = await store.enrolled_among(session, school_id, wanted)
        unknown = [str(s) for s in wanted if s not in known]
        if unknown:
            raise not_found(f"student {unknown[0]}")
    await store.replace_students(session, course_id, wanted)
    await audit(
        session, school_id=school_id, actor=actor, action="course.students_set", entity="course",
        entity_id=course_id, details={"student_count": len(wanted)},
    )  # fmt: skip
    await publish_assignment(uow, course, actor)


async def course_people(session: AsyncSession, course_id: uuid.UUID) -> tuple[list[str], list[uuid.UUID], list[str]]:
    """(teacher user ids, student ids, student user ids) of a course."""
    teachers = await store.teachers_of(session, course_id)
    rows = await store.takers_of(session, course_id)
    return teachers, [r.id for r in rows], sorted(r.user_id for r in rows if r.user_id)


async def publish_assignment(uow: UnitOfWork, course: Row[Any], actor: str) -> None:
    fresh = await course_here(uow.session, course.school_id, course.id)
    teachers, _, student_users = await course_people(uow.session, course.id)
    uow.publish(
        TeacherAssignmentChanged(
            course_id=str(course.id),
            school_id=course.school_id,
            academic_year=course.academic_year,
            semester=course.semester,
            teacher_user_ids=teachers,
            reviewing_teacher_user_id=fresh.reviewing_teacher_user_id,
            student_user_ids=student_users,
        ),
        school_id=course.school_id,
        actor=actor,
    )
