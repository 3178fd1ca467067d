"""Self-check report (R-SCHED-2) and the audit trail (R-RET-3) of a school."""

from __future__ import annotations

from fastapi import APIRouter

from portfolio_records.service_layer import queries as reads
from portfolio_records.service_layer.selfcheck import self_check
from portfolio_shared.permissions import Permission

from .deps import AcademicYearQuery, CurrentPrincipal, Limit, Offset, SchoolId, SemesterQuery, UowDep
from .schemas import AuditEntryPublic, SelfCheckPublic

router = APIRouter(prefix="/api/v1/schools/{school_id}", tags=["reports"])


@router.get("/self-check", response_model=SelfCheckPublic, summary="What is still missing in a semester's records")
async def get_self_check(
    school_id: SchoolId,
    academic_year: AcademicYearQuery,
    semester: SemesterQuery,
    principal: CurrentPrincipal,
    uow: UowDep,
) -> SelfCheckPublic:
    principal.require(Permission.SELFCHECK_READ, school_id, rule="R-SCHED-2")
    return SelfCheckPublic.model_validate(await self_check(uow, school_id, academic_year, semester))


@router.get("/audit", response_model=list[AuditEntryPublic], summary="Who changed what, when (newest first)")
async def get_audit(
    school_id: SchoolId, principal: CurrentPrincipal, uow: UowDep, limit: Limit = 100, offset: Offset = 0
) -> list[AuditEntryPublic]:
    principal.require(Permission.AUDIT_READ, school_id, rule="R-RET-3")
    rows = await reads.audit_page(uow, school_id, limit, offset)
    return [AuditEntryPublic.model_validate(r) for r in rows]
