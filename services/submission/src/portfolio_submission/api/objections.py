"""Objections (疑義): a student raises one on named items (with an optional file), the acting
person of the office that submitted that kind corrects or rejects it (R-SUB-7, R-SUB-8, R-DUTY-2)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status

from portfolio_shared.api_deps import UowDep
from portfolio_shared.auth import CurrentPrincipal
from portfolio_shared.permissions import Permission

from ..service_layer import objections, receipts
from .receipts_deps import ObjectionId, ReceiptId, ReceiptServicesDep, member_schools
from .receipts_schemas import (
    AttachmentInput,
    AttachmentUpload,
    CorrectionInput,
    ObjectionInput,
    ObjectionList,
    ObjectionPublic,
    RejectionInput,
)

router = APIRouter(prefix="/api/v1", tags=["objections"])


@router.post(
    "/me/receipts/{receipt_id}/objection-attachments",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentUpload,
    summary="A presigned upload for an objection's file (PDF, JPG or PNG, at most 4 MiB)",
)
async def presign_attachment(
    receipt_id: ReceiptId, body: AttachmentInput, principal: CurrentPrincipal, uow: UowDep, services: ReceiptServicesDep
) -> AttachmentUpload:
    receipt, _, _ = await receipts.student_view(uow, receipt_id, principal.user_id)
    principal.require(Permission.OBJECTION_RAISE, receipt["school_id"], rule="R-SUB-7")
    key, request = await objections.presign_attachment(
        services.storage,
        receipt_id=receipt_id,
        user_id=principal.user_id,
        content_type=body.content_type,
        size=body.size,
    )
    return AttachmentUpload(
        attachment_key=key,
        url=request.url,
        method=request.method,
        headers=request.headers,
        expires_in=request.expires_in,
    )


@router.post(
    "/me/receipts/{receipt_id}/objections",
    status_code=status.HTTP_201_CREATED,
    response_model=ObjectionPublic,
    summary="Object to named items of your receipt, with a reason (R-SUB-7)",
)
async def raise_objection(
    receipt_id: ReceiptId, body: ObjectionInput, principal: CurrentPrincipal, uow: UowDep, services: ReceiptServicesDep
) -> ObjectionPublic:
    receipt, _, _ = await receipts.student_view(uow, receipt_id, principal.user_id)
    principal.require(Permission.OBJECTION_RAISE, receipt["school_id"], rule="R-SUB-7")
    row = await objections.raise_objection(
        uow,
        services.facts,
        services.storage,
        receipt_id=receipt_id,
        student_user_id=principal.user_id,
        item_ids=body.item_ids,
        reason=body.reason,
        attachment_key=body.attachment_key,
    )
    await uow.commit()
    return ObjectionPublic.model_validate(row)


@router.get("/me/receipts/{receipt_id}/objections", response_model=ObjectionList, summary="Your objections")
async def my_objections(receipt_id: ReceiptId, principal: CurrentPrincipal, uow: UowDep) -> ObjectionList:
    receipt, _, _ = await receipts.student_view(uow, receipt_id, principal.user_id)
    principal.require(Permission.RECEIPT_CONFIRM, receipt["school_id"], rule="R-SUB-7")
    rows = await objections.list_for_student(uow, principal.user_id, receipt_id)
    return ObjectionList(items=[ObjectionPublic.model_validate(r) for r in rows])


@router.get("/objections", response_model=ObjectionList, summary="Objections of the caller's schools (offices)")
async def list_objections(
    principal: CurrentPrincipal,
    uow: UowDep,
    status: Literal["open", "corrected", "rejected"] | None = None,
    receipt_id: str | None = None,
) -> ObjectionList:
    schools = [s for s in member_schools(principal) if principal.can(Permission.OBJECTION_RESOLVE, s)]
    rows = await objections.list_for_office(uow, schools, status=status, receipt_id=receipt_id) if schools else []
    return ObjectionList(items=[ObjectionPublic.model_validate(r) for r in rows])


@router.post(
    "/objections/{objection_id}/rejection",
    response_model=ObjectionPublic,
    summary="Reject an objection with a reason the student reads (R-SUB-8; the acting person, R-DUTY-2)",
)
async def reject(
    objection_id: ObjectionId,
    body: RejectionInput,
    principal: CurrentPrincipal,
    uow: UowDep,
    services: ReceiptServicesDep,
) -> ObjectionPublic:
    found = await objections.objection_in(uow, objection_id, member_schools(principal))
    principal.require(Permission.OBJECTION_RESOLVE, found["school_id"], rule="R-SUB-8")
    row = await objections.reject(
        uow, services.facts, objection_id=objection_id, reason=body.reason, actor=principal.user_id,
        school_ids=[found["school_id"]],
    )  # fmt: skip
    await uow.commit()
    return ObjectionPublic.model_validate(row)


@router.post(
    "/objections/{objection_id}/correction",
    response_model=ObjectionPublic,
    summary="Correct: a correction batch with only this student's named items (R-SUB-8; the acting person)",
)
async def correct(
    objection_id: ObjectionId,
    body: CorrectionInput,
    principal: CurrentPrincipal,
    uow: UowDep,
    services: ReceiptServicesDep,
) -> ObjectionPublic:
    found = await objections.objection_in(uow, objection_id, member_schools(principal))
    principal.require(Permission.OBJECTION_RESOLVE, found["school_id"], rule="R-SUB-8")
    row = await objections.correct(
        uow, services.facts, objection_id=objection_id, note=body.note, actor=principal.user_id,
        school_ids=[found["school_id"]],
    )  # fmt: skip
    await uow.commit()
    return ObjectionPublic.model_validate(row)
