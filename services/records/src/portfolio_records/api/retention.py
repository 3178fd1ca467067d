"""Retention of graduates' data (R-RET-1): the archive period, a student's seal, deletion requests and
their proof of deletion."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Response, status

from portfolio_records.config import Settings
from portfolio_records.service_layer import retention
from portfolio_records.service_layer.access import require_any
from portfolio_records.service_layer.commands import DeletionRequestInput, RetentionPolicyInput
from portfolio_shared.api_deps import RuntimeDep
from portfolio_shared.permissions import Permission

from .deps import CurrentPrincipal, Limit, Offset, SchoolId, StudentId, UowDep, require_member
from .schemas import Public, Timestamp

router = APIRouter(prefix="/api/v1/schools/{school_id}/retention", tags=["retention"])


class RetentionPolicyPublic(Public):
    school_id: str
    archive_years: int
    scheduled_purge: bool


class SealPublic(Public):
    student_id: uuid.UUID
    sealed: bool
    completed_on: date | None = None
    deletable_from: date | None = None
    deleted_at: Timestamp | None = None
    deletion_request_id: uuid.UUID | None = None


class StudentRefPublic(Public):
    student_id: str
    user_id: str | None


class ConfirmationPublic(Public):
    service: str
    deleted_at: Timestamp
    confirmed_at: Timestamp
    counts: dict[str, int]
    digests: dict[str, str]


class ProofPublic(Public):
    """The proof of deletion: who asked, when, for whom, and what each service deleted (counts and
    SHA-256 digests of the deleted identifiers) — never the data itself."""

    request_id: uuid.UUID
    school_id: str
    trigger: str
    requested_by: str
    requested_at: Timestamp
    students: list[StudentRefPublic]
    expected_services: list[str]
    confirmations: list[ConfirmationPublic]
    awaiting: list[str]
    complete: bool
    completed_at: Timestamp | None


class ProofPage(Public):
    items: list[ProofPublic]
    total: int


def _public(proof: retention.Proof) -> ProofPublic:
    return ProofPublic(
        request_id=proof.request_id,
        school_id=proof.school_id,
        trigger=proof.trigger,
        requested_by=proof.requested_by,
        requested_at=proof.requested_at,
        students=[StudentRefPublic.model_validate(s) for s in proof.students],
        expected_services=proof.expected_services,
        confirmations=[ConfirmationPublic.model_validate(c) for c in proof.confirmations],
        awaiting=proof.awaiting,
        complete=proof.completed_at is not None,
        completed_at=proof.completed_at,
    )


@router.get("/settings", summary="The school's archive period after completion (R-RET-1)")
async def get_policy(school_id: SchoolId, principal: CurrentPrincipal, uow: UowDep) -> RetentionPolicyPublic:
    require_member(principal, school_id)
    return RetentionPolicyPublic.model_validate(await retention.policy_of(uow, school_id))


@router.put("/settings", summary="Set the archive period (5–30 years, R-RET-1) and the nightly purge")
async def set_policy(
    school_id: SchoolId, body: RetentionPolicyInput, principal: CurrentPrincipal, uow: UowDep
) -> RetentionPolicyPublic:
    principal.require(Permission.RETENTION_MANAGE, school_id, rule="R-RET-1")
    policy = await retention.set_policy(
        uow, school_id, principal.user_id, archive_years=body.archive_years, scheduled_purge=body.scheduled_purge
    )
    await uow.commit()
    return RetentionPolicyPublic.model_validate(policy)


@router.get("/students/{student_id}", summary="Whether a student's data is sealed, and from when it may be deleted")
async def seal_state(
    school_id: SchoolId, student_id: StudentId, principal: CurrentPrincipal, uow: UowDep
) -> SealPublic:
    require_any(principal, school_id, Permission.RETENTION_MANAGE, Permission.RECORDS_READ, rule="R-RET-1")
    return SealPublic.model_validate(await retention.seal_state(uow, school_id, student_id))


@router.post(
    "/deletions",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Delete graduates' data at every service after the archive period (R-RET-1)",
)
async def request_deletion(
    school_id: SchoolId,
    body: DeletionRequestInput,
    principal: CurrentPrincipal,
    uow: UowDep,
    runtime: RuntimeDep,
    response: Response,
) -> ProofPublic:
    principal.require(Permission.RETENTION_MANAGE, school_id, rule="R-RET-1")
    settings = runtime.settings
    assert isinstance(settings, Settings)
    request_id = await retention.request_deletion(
        uow,
        school_id=school_id,
        actor=principal.user_id,
        student_ids=body.student_ids,
        trigger="request",
        expected_services=settings.retention_expected_services,
    )
    await uow.commit()
    response.headers["Location"] = f"/api/v1/schools/{school_id}/retention/deletions/{request_id}"
    return _public(await retention.proof_of(uow, school_id, request_id))


@router.get("/deletions", summary="The school's deletion requests with their proofs, newest first")
async def list_deletions(
    school_id: SchoolId, principal: CurrentPrincipal, uow: UowDep, limit: Limit = 50, offset: Offset = 0
) -> ProofPage:
    require_any(principal, school_id, Permission.RETENTION_MANAGE, Permission.AUDIT_READ, rule="R-RET-1")
    total, found = await retention.proofs(uow, school_id, limit=limit, offset=offset)
    return ProofPage(items=[_public(p) for p in found], total=total)


@router.get("/deletions/{request_id}", summary="The proof of deletion of one request")
async def get_deletion(
    school_id: SchoolId, request_id: uuid.UUID, principal: CurrentPrincipal, uow: UowDep
) -> ProofPublic:
    require_any(principal, school_id, Permission.RETENTION_MANAGE, Permission.AUDIT_READ, rule="R-RET-1")
    return _public(await retention.proof_of(uow, school_id, request_id))
