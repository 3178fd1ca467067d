"""Course counselling records (R-REC-3, R-DATA-5): written by counsellors, read by counsellors,
the instruction section (counselling:read) and the student concerned (counselling:read_own)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, status

from portfolio_records.service_layer.access import is_own, student_here
from portfolio_records.service_layer.commands import CounsellingCreate
from portfolio_records.service_layer.counselling import counselling_of, record_counselling
from portfolio_shared.auth import Principal
from portfolio_shared.permissions import Permission
from portfolio_shared.problems import forbidden, not_found

from .deps import CryptoDep, CurrentPrincipal, SchoolId, StudentId, UowDep
from .schemas import CounsellingPublic

router = APIRouter(prefix="/api/v1/schools/{school_id}/students/{student_id}/counselling-records", tags=["counselling"])
_RULE = "R-REC-3"


def _may_read_any(principal: Principal, school_id: str) -> bool:
    return principal.can(Permission.COUNSELLING_READ, school_id)


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=CounsellingPublic, summary="Write a counselling record"
)
async def write(
    school_id: SchoolId, student_id: StudentId, body: CounsellingCreate, principal: CurrentPrincipal, uow: UowDep,
    crypto: CryptoDep,
) -> CounsellingPublic:  # fmt: skip
    principal.require(Permission.COUNSELLING_WRITE, school_id, rule=_RULE)
    await student_here(uow.session, school_id, student_id)
    record_id = await record_counselling(uow, crypto, school_id, student_id, principal.user_id, body)
    await uow.commit()
    (record,) = await counselling_of(uow, crypto, school_id, student_id, record_id)
    return CounsellingPublic.model_validate(record)


async def _authorised(principal: Principal, school_id: str, student_id: uuid.UUID, uow: UowDep) -> None:
    if _may_read_any(principal, school_id):
        await student_here(uow.session, school_id, student_id)
        return
    if not principal.can(Permission.COUNSELLING_READ_OWN, school_id):
        raise forbidden("only counsellors, the instruction section and the student concerned may read this", rule=_RULE)
    row = await student_here(uow.session, school_id, student_id)
    if not is_own(principal, row):
        raise forbidden("only counsellors, the instruction section and the student concerned may read this", rule=_RULE)


@router.get("", response_model=list[CounsellingPublic], summary="The student's counselling records")
async def list_records(
    school_id: SchoolId, student_id: StudentId, principal: CurrentPrincipal, uow: UowDep, crypto: CryptoDep
) -> list[CounsellingPublic]:
    await _authorised(principal, school_id, student_id, uow)
    return [CounsellingPublic.model_validate(r) for r in await counselling_of(uow, crypto, school_id, student_id)]


@router.get("/{record_id}", response_model=CounsellingPublic, summary="One counselling record")
async def get_record(
    school_id: SchoolId,
    student_id: StudentId,
    record_id: Annotated[uuid.UUID, Path()],
    principal: CurrentPrincipal,
    uow: UowDep,
    crypto: CryptoDep,
) -> CounsellingPublic:
    await _authorised(principal, school_id, student_id, uow)
    found = await counselling_of(uow, crypto, school_id, student_id, record_id)
    if not found:
        raise not_found("counselling record")
    return CounsellingPublic.model_validate(found[0])
