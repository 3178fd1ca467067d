"""Receipts (收訖明細) and their confirmation: import, reconciled items, the window, students'
answers, mailed answers, completion and the per-school report (R-SUB-5..9)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, UploadFile, status

from portfolio_shared.api_deps import UowDep
from portfolio_shared.auth import CurrentPrincipal
from portfolio_shared.permissions import Permission
from portfolio_shared.problems import Problem

from ..domain.confirmation import Answer
from ..service_layer import confirmation, objections, receipts
from ..service_layer.receipts import MAX_RECEIPT_FILE_BYTES
from .receipts_deps import (
    BatchId,
    ReceiptId,
    ReceiptServicesDep,
    SchoolIdPath,
    StudentUserId,
    member_schools,
    window_of,
)
from .receipts_schemas import (
    MailedAnswerInput,
    MyAnswer,
    MyReceipt,
    MyReceiptList,
    MyReceiptSummary,
    ReceiptItemList,
    ReceiptItemPublic,
    ReceiptList,
    ReceiptPublic,
    ReportRow,
    SchoolReport,
    StudentAnswerPublic,
    WindowInput,
)

router = APIRouter(prefix="/api/v1", tags=["receipts"])


def receipt_public(row: dict[str, Any]) -> ReceiptPublic:
    return ReceiptPublic.model_validate({**row, "window": window_of(row)})


@router.post(
    "/batches/{batch_id}/receipt/fetch",
    status_code=status.HTTP_201_CREATED,
    response_model=ReceiptPublic,
    summary="Import an accepted batch's receipt from the central database and reconcile it (R-SUB-5)",
)
async def fetch_receipt(
    batch_id: BatchId, principal: CurrentPrincipal, uow: UowDep, services: ReceiptServicesDep
) -> ReceiptPublic:
    schools = [s for s in member_schools(principal) if principal.can(Permission.RECEIPT_IMPORT, s)]
    if not schools:
        principal.require(Permission.RECEIPT_IMPORT, rule="R-SUB-5")
    if services.source is None:
        raise Problem(
            409,
            "central-port-manual",
            "The central database is reached by hand here",
            "本平臺以人工方式與中央資料庫交換",
            "this deployment uses the manual adapter: upload the receipt file instead",
            rule="R-SUB-5",
        )
    imported = await receipts.import_from_central(
        uow, services.facts, services.source, batch_id=batch_id, actor=principal.user_id, school_ids=schools
    )
    await uow.commit()
    return receipt_public(imported.receipt)


@router.post(
    "/batches/{batch_id}/receipt/file",
    status_code=status.HTTP_201_CREATED,
    response_model=ReceiptPublic,
    summary="Import a receipt file (xlsx or csv, the manual adapter); a bad line refuses it all (R-SUB-5)",
)
async def upload_receipt(
    request: Request,
    batch_id: BatchId,
    file: UploadFile,
    principal: CurrentPrincipal,
    uow: UowDep,
    services: ReceiptServicesDep,
) -> ReceiptPublic:
    schools = [s for s in member_schools(principal) if principal.can(Permission.RECEIPT_IMPORT, s)]
    if not schools:
        principal.require(Permission.RECEIPT_IMPORT, rule="R-SUB-5")
    data = await file.read(MAX_RECEIPT_FILE_BYTES + 1)
    imported = await receipts.import_file(
        uow,
        services.facts,
        batch_id=batch_id,
        data=data,
        filename=file.filename or "receipt.xlsx",
        actor=principal.user_id,
        school_ids=schools,
    )
    await uow.commit()
    return receipt_public(imported.receipt)


@router.get("/receipts", response_model=ReceiptList, summary="The receipts of the caller's schools")
async def list_receipts(principal: CurrentPrincipal, uow: UowDep) -> ReceiptList:
    schools = [s for s in member_schools(principal) if principal.can(Permission.SUBMISSION_READ, s)]
    rows = await receipts.receipts_of_schools(uow, schools) if schools else []
    return ReceiptList(items=[receipt_public(r) for r in rows])


@router.get("/receipts/{receipt_id}", response_model=ReceiptPublic, summary="One receipt with its counts")
async def get_receipt(receipt_id: ReceiptId, principal: CurrentPrincipal, uow: UowDep) -> ReceiptPublic:
    row = await receipts.receipt_in(uow, receipt_id, member_schools(principal))
    principal.require(Permission.SUBMISSION_READ, row["school_id"], rule="R-SUB-5")
    return receipt_public(row)


@router.get(
    "/receipts/{receipt_id}/items",
    response_model=ReceiptItemList,
    summary="The reconciled items (staff), optionally of one student",
)
async def receipt_items(
    receipt_id: ReceiptId, principal: CurrentPrincipal, uow: UowDep, student_user_id: str | None = None
) -> ReceiptItemList:
    row = await receipts.receipt_in(uow, receipt_id, member_schools(principal))
    principal.require(Permission.SUBMISSION_READ, row["school_id"], rule="R-SUB-5")
    found = await receipts.staff_items(uow, receipt_id, [row["school_id"]], student_user_id)
    return ReceiptItemList(items=[ReceiptItemPublic.model_validate(i) for i in found])


@router.post(
    "/receipts/{receipt_id}/window",
    response_model=ReceiptPublic,
    summary="Announce the confirmation window: at least 3 calendar days in the school's zone (R-SUB-6)",
)
async def announce_window(
    receipt_id: ReceiptId, body: WindowInput, principal: CurrentPrincipal, uow: UowDep, services: ReceiptServicesDep
) -> ReceiptPublic:
    row = await receipts.receipt_in(uow, receipt_id, member_schools(principal))
    principal.require(Permission.RECEIPT_COMPLETE, row["school_id"], rule="R-SUB-6")
    updated = await confirmation.announce_window(
        uow,
        services.facts,
        receipt_id=receipt_id,
        first_day=body.first_day,
        last_day=body.last_day,
        actor=principal.user_id,
        school_ids=[row["school_id"]],
    )
    await uow.commit()
    return receipt_public(updated)


@router.post(
    "/receipts/{receipt_id}/complete",
    response_model=ReceiptPublic,
    summary="Complete the receipt confirmation once every objection is settled (R-SUB-8)",
)
async def complete(receipt_id: ReceiptId, principal: CurrentPrincipal, uow: UowDep) -> ReceiptPublic:
    row = await receipts.receipt_in(uow, receipt_id, member_schools(principal))
    principal.require(Permission.RECEIPT_COMPLETE, row["school_id"], rule="R-SUB-8")
    updated = await confirmation.complete(
        uow, receipt_id=receipt_id, actor=principal.user_id, school_ids=[row["school_id"]]
    )
    await uow.commit()
    return receipt_public(updated)


@router.post(
    "/receipts/{receipt_id}/students/{student_user_id}/mailed-answer",
    response_model=StudentAnswerPublic,
    summary="Record the answer a student who left sent by post (R-SUB-9): who recorded it, when, its date",
)
async def mailed_answer(
    receipt_id: ReceiptId,
    student_user_id: StudentUserId,
    body: MailedAnswerInput,
    principal: CurrentPrincipal,
    uow: UowDep,
    services: ReceiptServicesDep,
) -> StudentAnswerPublic:
    row = await receipts.receipt_in(uow, receipt_id, member_schools(principal))
    principal.require(Permission.RECEIPT_COMPLETE, row["school_id"], rule="R-SUB-9")
    if body.answer == "objected":
        await objections.raise_objection(
            uow,
            services.facts,
            services.storage,
            receipt_id=receipt_id,
            student_user_id=student_user_id,
            item_ids=body.item_ids,
            reason=body.reason or "",
            recorded_by=principal.user_id,
            letter_dated=body.letter_dated,
        )
    else:
        await confirmation.record_answer(
            uow,
            services.facts,
            receipt_id=receipt_id,
            student_user_id=student_user_id,
            target=Answer.CONFIRMED,
            recorded_by=principal.user_id,
            by_post=True,
            letter_dated=body.letter_dated,
        )
    await uow.commit()
    me = await receipts.student_view(uow, receipt_id, student_user_id)
    return StudentAnswerPublic.model_validate({**me[1]})


@router.get(
    "/schools/{school_id}/receipt-report",
    response_model=SchoolReport,
    summary="Per receipt: confirmed / deemed / objected / resolved (R-SUB-7, R-SUB-8)",
)
async def school_report(school_id: SchoolIdPath, principal: CurrentPrincipal, uow: UowDep) -> SchoolReport:
    principal.require(Permission.SUBMISSION_READ, school_id, rule="R-SUB-8")
    rows = await receipts.school_report(uow, school_id)
    return SchoolReport(
        school_id=school_id,
        receipts=[
            ReportRow(
                receipt_id=r.receipt["id"],
                batch_id=r.receipt["batch_id"],
                kind=r.receipt["kind"],
                academic_year=r.receipt["academic_year"],
                semester=r.receipt["semester"],
                status=r.receipt["status"],
                students=r.students,
                pending=r.pending,
                confirmed=r.confirmed,
                deemed=r.deemed,
                objected=r.objected,
                objections_open=r.objections_open,
                objections_resolved=r.objections_resolved,
            )
            for r in rows
        ],
    )


# -- the student's side ------------------------------------------------------------------------------


@router.get("/me/receipts", response_model=MyReceiptList, summary="The caller's receipts (a student)")
async def my_receipts(principal: CurrentPrincipal, uow: UowDep) -> MyReceiptList:
    rows = await receipts.receipts_of_student(uow, principal.user_id)
    return MyReceiptList(
        items=[
            MyReceiptSummary.model_validate({**r, "window": window_of(r)})
            for r in rows
            if principal.can(Permission.RECEIPT_CONFIRM, r["school_id"])
        ]
    )


@router.get(
    "/me/receipts/{receipt_id}",
    response_model=MyReceipt,
    summary="The caller's items of a receipt, each received identical / different / missing (R-SUB-5)",
)
async def my_receipt(receipt_id: ReceiptId, principal: CurrentPrincipal, uow: UowDep) -> MyReceipt:
    receipt, me, items = await receipts.student_view(uow, receipt_id, principal.user_id)
    principal.require(Permission.RECEIPT_CONFIRM, receipt["school_id"], rule="R-SUB-7")
    public = [ReceiptItemPublic.model_validate(i) for i in items]
    return MyReceipt(
        receipt=receipt_public(receipt),
        answer=MyAnswer.model_validate(me),
        items=public,
        flagged=sum(1 for i in public if i.status in ("received_different", "missing")),
    )


@router.post(
    "/me/receipts/{receipt_id}/confirmation",
    response_model=StudentAnswerPublic,
    summary="Confirm that what was received matches what you uploaded (R-SUB-7)",
)
async def confirm(
    receipt_id: ReceiptId, principal: CurrentPrincipal, uow: UowDep, services: ReceiptServicesDep
) -> StudentAnswerPublic:
    receipt, _, _ = await receipts.student_view(uow, receipt_id, principal.user_id)
    principal.require(Permission.RECEIPT_CONFIRM, receipt["school_id"], rule="R-SUB-7")
    row = await confirmation.confirm(uow, services.facts, receipt_id=receipt_id, student_user_id=principal.user_id)
    await uow.commit()
    return StudentAnswerPublic.model_validate(row)
