"""A student's postal contact (R-SUB-9) and the school's year-start promotion (R-ENR-1)."""

from __future__ import annotations

from fastapi import APIRouter

from portfolio_records.service_layer import announcements
from portfolio_records.service_layer.access import require_any, require_read_student, student_here
from portfolio_records.service_layer.commands import ContactInput, PromotionRequest
from portfolio_shared.permissions import Permission

from .deps import CryptoDep, CurrentPrincipal, SchoolId, StudentId, UowDep
from .schemas import ContactPublic, PromotionResult

router = APIRouter(prefix="/api/v1/schools/{school_id}", tags=["students"])


@router.put(
    "/students/{student_id}/contact",
    response_model=ContactPublic,
    summary="Set the postal address for letters (R-SUB-9)",
)
async def set_contact(
    school_id: SchoolId,
    student_id: StudentId,
    body: ContactInput,
    principal: CurrentPrincipal,
    uow: UowDep,
    crypto: CryptoDep,
) -> ContactPublic:
    principal.require(Permission.ENROLMENT_WRITE, school_id, rule="R-SUB-9")
    await student_here(uow.session, school_id, student_id)
    await announcements.set_contact(uow, crypto, school_id, student_id, principal.user_id, body)
    await uow.commit()
    return ContactPublic.model_validate(body.model_dump())


@router.get(
    "/students/{student_id}/contact",
    response_model=ContactPublic,
    summary="The postal address for letters (staff, or the student)",
)
async def get_contact(
    school_id: SchoolId, student_id: StudentId, principal: CurrentPrincipal, uow: UowDep, crypto: CryptoDep
) -> ContactPublic:
    require_any(principal, school_id, Permission.RECORDS_READ, Permission.RECORDS_READ_OWN)
    row = await student_here(uow.session, school_id, student_id)
    require_read_student(principal, school_id, row, rule="R-SUB-9")
    return ContactPublic.model_validate(await announcements.contact_of(uow, crypto, student_id))


@router.post(
    "/promotions",
    response_model=PromotionResult,
    summary="Promote the enrolled students into a new academic year (升級, R-ENR-1)",
)
async def promote(
    school_id: SchoolId, body: PromotionRequest, principal: CurrentPrincipal, uow: UowDep
) -> PromotionResult:
    principal.require(Permission.ENROLMENT_WRITE, school_id, rule="R-ENR-1")
    result = await announcements.promote_school(uow, school_id, principal.user_id, body)
    await uow.commit()
    return PromotionResult.model_validate(result)
