"""Students, enrolment changes and grades of a student (R-DATA-1, R-DATA-2, R-ENR-1)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status
from sqlalchemy import Row

from portfolio_records.service_layer import queries as reads
from portfolio_records.service_layer import students as handlers
from portfolio_records.service_layer.access import (
    require_any,
    require_read_student,
    student_here,
)
from portfolio_records.service_layer.commands import (
    EnrolmentChangeRequest,
    NationalIdLookup,
    StudentArrival,
    StudentUpdate,
)
from portfolio_shared.permissions import Permission
from portfolio_shared.problems import not_found

from .deps import (
    AcademicYearQuery,
    CryptoDep,
    CurrentPrincipal,
    Limit,
    Offset,
    SchoolId,
    SemesterQuery,
    StudentId,
    UowDep,
)
from .schemas import EnrolmentChangePublic, GradePublic, StudentPage, StudentPublic

router = APIRouter(prefix="/api/v1/schools/{school_id}/students", tags=["students"])


def public(row: Row[Any], national_id: str | None = None) -> StudentPublic:
    """Masked unless the registry's own detail view passes the opened number (R-DATA-1)."""
    data = dict(row._mapping)
    data["national_id"] = national_id if national_id is not None else row.national_id_masked
    data["national_id_masked"] = national_id is None
    return StudentPublic.model_validate(data)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=StudentPublic,
    summary="Admit, transfer in or take in a visiting student",
)
async def arrive(
    school_id: SchoolId, body: StudentArrival, principal: CurrentPrincipal, uow: UowDep, crypto: CryptoDep
) -> StudentPublic:
    principal.require(Permission.ENROLMENT_WRITE, school_id, rule="R-REC-2")
    student_id = await handlers.register_arrival(uow, crypto, school_id, principal.user_id, body)
    await uow.commit()
    return public(await student_here(uow.session, school_id, student_id))


@router.get("", response_model=StudentPage, summary="List the school's students (national ID masked)")
async def list_students(
    school_id: SchoolId,
    principal: CurrentPrincipal,
    uow: UowDep,
    grade: int | None = Query(default=None, ge=1, le=3),
    class_name: str | None = Query(default=None, max_length=40, pattern=r"^[^\x00-\x1f]*$"),
    status_: str | None = Query(default=None, alias="status", pattern=r"^[a-z_]{1,20}$"),
    limit: Limit = 100,
    offset: Offset = 0,
) -> StudentPage:
    principal.require(Permission.RECORDS_READ, school_id, rule="R-DATA-1")
    total, rows = await reads.students_page(
        uow, school_id, grade=grade, class_name=class_name, status=status_, limit=limit, offset=offset
    )
    return StudentPage(items=[public(r) for r in rows], total=total)


@router.post("/lookup", response_model=StudentPublic, summary="Find a student by national ID (registry only)")
async def lookup(
    school_id: SchoolId, body: NationalIdLookup, principal: CurrentPrincipal, uow: UowDep, crypto: CryptoDep
) -> StudentPublic:
    """Exact lookup through the blind index; the number travels in the body, never in a URL or log."""
    principal.require(Permission.ENROLMENT_WRITE, school_id, rule="R-DATA-1")
    student_id = await handlers.find_by_national_id(uow, crypto, school_id, body.national_id)
    if student_id is None:
        raise not_found("student")
    return public(await student_here(uow.session, school_id, student_id))


@router.get("/me", response_model=StudentPublic, summary="The calling student's own basic data")
async def me(school_id: SchoolId, principal: CurrentPrincipal, uow: UowDep) -> StudentPublic:
    principal.require(Permission.RECORDS_READ_OWN, school_id)
    return public(await reads.own_student(uow, school_id, principal.user_id))


@router.get("/{student_id}", response_model=StudentPublic, summary="A student; the registry sees the full national ID")
async def get_student(
    school_id: SchoolId, student_id: StudentId, principal: CurrentPrincipal, uow: UowDep, crypto: CryptoDep
) -> StudentPublic:
    require_any(principal, school_id, Permission.RECORDS_READ, Permission.RECORDS_READ_OWN)
    row = await student_here(uow.session, school_id, student_id)
    require_read_student(principal, school_id, row)
    if principal.can(Permission.ENROLMENT_WRITE, school_id):
        return public(row, crypto.open_national_id(row.id, row.national_id_encrypted))
    return public(row)


@router.patch("/{student_id}", response_model=StudentPublic, summary="Correct a student's basic data")
async def update_student(
    school_id: SchoolId,
    student_id: StudentId,
    body: StudentUpdate,
    principal: CurrentPrincipal,
    uow: UowDep,
    crypto: CryptoDep,
) -> StudentPublic:
    principal.require(Permission.ENROLMENT_WRITE, school_id, rule="R-REC-2")
    await student_here(uow.session, school_id, student_id)
    await handlers.update_student(uow, crypto, school_id, student_id, principal.user_id, body)
    await uow.commit()
    return public(await student_here(uow.session, school_id, student_id))


@router.post(
    "/{student_id}/enrolment-changes",
    status_code=status.HTTP_201_CREATED,
    response_model=StudentPublic,
    summary="Record an enrolment change (transfer out, suspension, reinstatement, repeat, graduation, leaving)",
)
async def change_enrolment(
    school_id: SchoolId, student_id: StudentId, body: EnrolmentChangeRequest, principal: CurrentPrincipal, uow: UowDep
) -> StudentPublic:
    principal.require(Permission.ENROLMENT_WRITE, school_id, rule="R-ENR-1")
    await handlers.change_enrolment(uow, school_id, student_id, principal.user_id, body)
    await uow.commit()
    return public(await student_here(uow.session, school_id, student_id))


@router.get(
    "/{student_id}/enrolment-changes",
    response_model=list[EnrolmentChangePublic],
    summary="The student's enrolment history at every school (records follow the student)",
)
async def enrolment_history(
    school_id: SchoolId, student_id: StudentId, principal: CurrentPrincipal, uow: UowDep
) -> list[EnrolmentChangePublic]:
    require_any(principal, school_id, Permission.RECORDS_READ, Permission.RECORDS_READ_OWN)
    row = await student_here(uow.session, school_id, student_id)
    require_read_student(principal, school_id, row, rule="R-ENR-1")
    rows = await reads.enrolment_history(uow, student_id)
    return [EnrolmentChangePublic.model_validate(r) for r in rows]


@router.get("/{student_id}/grades", response_model=list[GradePublic], summary="The student's semester grades")
async def student_grades(
    school_id: SchoolId,
    student_id: StudentId,
    principal: CurrentPrincipal,
    uow: UowDep,
    academic_year: AcademicYearQuery | None = None,
    semester: SemesterQuery | None = None,
) -> list[GradePublic]:
    require_any(principal, school_id, Permission.RECORDS_READ, Permission.RECORDS_READ_OWN)
    row = await student_here(uow.session, school_id, student_id)
    require_read_student(principal, school_id, row, rule="R-DATA-2")
    rows = await reads.grades_of_student(uow, student_id, academic_year, semester)
    return [GradePublic.model_validate(r) for r in rows]
