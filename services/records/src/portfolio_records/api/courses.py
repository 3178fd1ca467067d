"""Course plan, teacher assignments (R-REC-2) and course enrolments."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_records.service_layer import courses as handlers
from portfolio_records.service_layer import queries as reads
from portfolio_records.service_layer.access import require_any
from portfolio_records.service_layer.commands import CourseCreate, CourseStudents, TeacherAssignment
from portfolio_shared.permissions import Permission

from .deps import AcademicYearQuery, CurrentPrincipal, SchoolId, SemesterQuery, UowDep, require_member
from .schemas import CoursePublic, OwnCoursePublic

router = APIRouter(prefix="/api/v1/schools/{school_id}/courses", tags=["courses"])
CourseId = Annotated[uuid.UUID, Path(description="Course id")]
_READERS = (Permission.RECORDS_READ, Permission.COURSE_PLAN_WRITE, Permission.TEACHER_ASSIGNMENT_WRITE)


async def public(session: AsyncSession, row: Row[Any]) -> CoursePublic:
    teachers, student_ids, _ = await handlers.course_people(session, row.id)
    return CoursePublic.model_validate({**row._mapping, "teacher_user_ids": teachers, "student_ids": student_ids})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CoursePublic, summary="Add a course to the plan")
async def offer_course(
    school_id: SchoolId, body: CourseCreate, principal: CurrentPrincipal, uow: UowDep
) -> CoursePublic:
    principal.require(Permission.COURSE_PLAN_WRITE, school_id, rule="R-DATA-2")
    course_id = await handlers.offer_course(uow, school_id, principal.user_id, body)
    await uow.commit()
    return await public(uow.session, await handlers.course_here(uow.session, school_id, course_id))


@router.get("", response_model=list[CoursePublic], summary="The course plan of a semester")
async def list_courses(
    school_id: SchoolId,
    principal: CurrentPrincipal,
    uow: UowDep,
    academic_year: AcademicYearQuery | None = None,
    semester: SemesterQuery | None = None,
) -> list[CoursePublic]:
    require_any(principal, school_id, *_READERS)
    plan = await reads.course_plan(uow, school_id, academic_year, semester)
    return [
        CoursePublic.model_validate({**r._mapping, "teacher_user_ids": teachers, "student_ids": takers})
        for r, teachers, takers in plan
    ]


@router.get("/mine", response_model=list[OwnCoursePublic], summary="The caller's own courses")
async def my_courses(
    school_id: SchoolId,
    principal: CurrentPrincipal,
    uow: UowDep,
    academic_year: AcademicYearQuery | None = None,
    semester: SemesterQuery | None = None,
) -> list[OwnCoursePublic]:
    """The courses the caller takes (a student choosing the course of an outcome, R-ART-1) or teaches
    or reviews (a teacher's certification queue, R-ART-3); any member of the school, own courses only."""
    require_member(principal, school_id)
    mine = await reads.courses_of_person(uow, school_id, principal.user_id, academic_year, semester)
    return [OwnCoursePublic.model_validate({**r._mapping, "teacher_user_ids": teachers}) for r, teachers in mine]


@router.get("/{course_id}", response_model=CoursePublic, summary="A course with its teachers and students")
async def get_course(
    school_id: SchoolId, course_id: CourseId, principal: CurrentPrincipal, uow: UowDep
) -> CoursePublic:
    require_any(principal, school_id, *_READERS)
    return await public(uow.session, await handlers.course_here(uow.session, school_id, course_id))


@router.put("/{course_id}/teachers", response_model=CoursePublic, summary="Set teachers and the reviewing teacher")
async def assign_teachers(
    school_id: SchoolId, course_id: CourseId, body: TeacherAssignment, principal: CurrentPrincipal, uow: UowDep
) -> CoursePublic:
    principal.require(Permission.TEACHER_ASSIGNMENT_WRITE, school_id, rule="R-REC-2")
    await handlers.assign_teachers(uow, school_id, course_id, principal.user_id, body)
    await uow.commit()
    return await public(uow.session, await handlers.course_here(uow.session, school_id, course_id))


@router.put("/{course_id}/students", response_model=CoursePublic, summary="Set the students taking the course")
async def set_students(
    school_id: SchoolId, course_id: CourseId, body: CourseStudents, principal: CurrentPrincipal, uow: UowDep
) -> CoursePublic:
    principal.require(Permission.COURSE_PLAN_WRITE, school_id, rule="R-DATA-2")
    await handlers.set_course_students(uow, school_id, course_id, principal.user_id, body)
    await uow.commit()
    return await public(uow.session, await handlers.course_here(uow.session, school_id, course_id))
