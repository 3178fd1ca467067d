"""Submission pages over the submission service's API (branches sub-core / sub-receipts, issue 11):
staff see what is due per office and by when (R-SUB-1..4), batches with their pre-check findings
(檢核), submit them, receipts (收訖明細, R-SUB-5) with the confirmation window (R-SUB-6), objections to
settle (R-SUB-8) and the postal letters for students who left (R-SUB-9, notification's PDFs); a
student checks each receipt and confirms it or raises an objection (R-SUB-7).

Every endpoint called here is one the submission service declares (its operationIds snapshot); none
is assumed. Where that service is not deployed, the pages show its 404/503 problem.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from portfolio_portal.adapters.services import ApiError

from .context import Ctx, SignedIn, SignedInPost

router = APIRouter(tags=["submission"])

KINDS = ("basic_data", "grades", "cadre_records", "course_outcomes", "performances")


async def _section(ctx: Ctx, service: str, path: str, **params: Any) -> tuple[Any, ApiError | None]:
    try:
        return await ctx.get(service, path, **params), None
    except ApiError as exc:
        if exc.status == 401:
            raise
        return None, exc


async def _passthrough(ctx: Ctx, service: str, path: str, params: dict[str, Any], fallback_name: str) -> Response:
    """A file the service makes (a workbook, a PDF), handed to the browser as it came."""
    answer = await ctx.services.call(service, "GET", path, token=ctx.token, lang=ctx.lang, params=params)
    disposition = answer.headers.get("content-disposition") or f'attachment; filename="{fallback_name}"'
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


# -- staff: due list, batches and their pre-check ------------------------------------------------------


@router.get("/submission")
async def due_and_batches(ctx: SignedIn) -> Response:
    school = ctx.school_id
    due, due_error = await _section(ctx, "submission", "/api/v1/due", school_id=school)
    batches, batches_error = await _section(ctx, "submission", "/api/v1/batches", school_id=school, limit=200)
    return await ctx.render(
        "submission.html",
        due=due,
        due_error=due_error,
        batches=batches,
        batches_error=batches_error,
        kinds=KINDS,
        error=None,
    )


@router.post("/submission/batches")
async def create_batch(
    ctx: SignedInPost,
    kind: Annotated[str, Form(max_length=32)],
    academic_year: Annotated[int, Form(ge=100, le=200)],
    semester: Annotated[int, Form(ge=0, le=2)],
    label: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    body = {"school_id": ctx.school_id, "kind": kind, "academic_year": academic_year, "semester": semester}
    batch = await ctx.send("submission", "POST", "/api/v1/batches", json_body={**body, "label": label})
    return ctx.redirect(f"/submission/batches/{batch['id']}")


@router.get("/submission/batches/{batch_id}")
async def batch_page(ctx: SignedIn, batch_id: str) -> Response:
    report = await ctx.get("submission", f"/api/v1/batches/{batch_id}/report", school_id=ctx.school_id)
    return await ctx.render("batch.html", report=report, batch=report["batch"])


@router.post("/submission/batches/{batch_id}/{action}")
async def batch_action(ctx: SignedInPost, batch_id: str, action: str) -> Response:
    """Pre-check (檢核), submit (R-SUB-1: refused while the check found errors) or cancel."""
    if action not in ("check", "submit", "cancel"):
        raise ApiError(404, {"title_zh": "查無資料", "title_en": "Not found", "status": 404})
    await ctx.send("submission", "POST", f"/api/v1/batches/{batch_id}/{action}?school_id={ctx.school_id}")
    return ctx.redirect(f"/submission/batches/{batch_id}")


@router.post("/submission/batches/{batch_id}/exclusions/add")
async def exclude_students(
    ctx: SignedInPost,
    batch_id: str,
    student_ids: Annotated[str, Form(max_length=20000)],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    ids = [s.strip() for s in student_ids.replace(",", "\n").splitlines() if s.strip()]
    await ctx.send(
        "submission",
        "POST",
        f"/api/v1/batches/{batch_id}/exclusions?school_id={ctx.school_id}",
        json_body={"student_ids": ids, "reason": reason},
    )
    return ctx.redirect(f"/submission/batches/{batch_id}")


@router.get("/submission/batches/{batch_id}/report.xlsx")
async def batch_report_workbook(ctx: SignedIn, batch_id: str) -> Response:
    path = f"/api/v1/batches/{batch_id}/report.xlsx"
    return await _passthrough(ctx, "submission", path, {"school_id": ctx.school_id}, f"precheck-{batch_id}.xlsx")


@router.post("/submission/batches/{batch_id}/receipt")
async def fetch_receipt(ctx: SignedInPost, batch_id: str) -> Response:
    receipt = await ctx.send("submission", "POST", f"/api/v1/batches/{batch_id}/receipt/fetch")
    return ctx.redirect(f"/submission/receipts/{receipt['id']}")


# -- staff: receipts, the confirmation window, objections, letters -------------------------------------


@router.get("/submission/receipts")
async def receipts(ctx: SignedIn) -> Response:
    listed = await ctx.get("submission", "/api/v1/receipts")
    report, report_error = await _section(ctx, "submission", f"/api/v1/schools/{ctx.school_id}/receipt-report")
    return await ctx.render("receipts.html", receipts=listed["items"], report=report, report_error=report_error)


@router.get("/submission/receipts/{receipt_id}")
async def receipt_page(ctx: SignedIn, receipt_id: str) -> Response:
    receipt = await ctx.get("submission", f"/api/v1/receipts/{receipt_id}")
    items, items_error = await _section(ctx, "submission", f"/api/v1/receipts/{receipt_id}/items")
    objections, objections_error = await _section(ctx, "submission", "/api/v1/objections", receipt_id=receipt_id)
    return await ctx.render(
        "receipt.html",
        receipt=receipt,
        items=(items or {}).get("items", []),
        items_error=items_error,
        objections=(objections or {}).get("items", []),
        objections_error=objections_error,
    )


@router.post("/submission/receipts/{receipt_id}/window")
async def announce_window(
    ctx: SignedInPost,
    receipt_id: str,
    first_day: Annotated[str, Form(max_length=10)],
    last_day: Annotated[str, Form(max_length=10)],
) -> Response:
    """The receipt confirmation window, at least 3 days (R-SUB-6: the service refuses shorter)."""
    await ctx.send(
        "submission",
        "POST",
        f"/api/v1/receipts/{receipt_id}/window",
        json_body={"first_day": first_day, "last_day": last_day},
    )
    return ctx.redirect(f"/submission/receipts/{receipt_id}")


@router.post("/submission/receipts/{receipt_id}/complete")
async def complete_receipt(ctx: SignedInPost, receipt_id: str) -> Response:
    await ctx.send("submission", "POST", f"/api/v1/receipts/{receipt_id}/complete")
    return ctx.redirect(f"/submission/receipts/{receipt_id}")


@router.get("/submission/receipts/{receipt_id}/letters.pdf")
async def letters(ctx: SignedIn, receipt_id: str) -> Response:
    """The postal letters of the receipt's students who left (R-SUB-9), one PDF (notification)."""
    params = {"school_id": ctx.school_id, "receipt_id": receipt_id}
    return await _passthrough(ctx, "notification", "/api/v1/letters/batch.pdf", params, f"letters-{receipt_id}.pdf")


@router.get("/submission/objections")
async def objections(ctx: SignedIn, status: str | None = "open") -> Response:
    listed = await ctx.get("submission", "/api/v1/objections", status=status or None)
    return await ctx.render("objections.html", objections=listed["items"], status=status)


@router.post("/submission/objections/{objection_id}/{outcome}")
async def settle_objection(
    ctx: SignedInPost,
    objection_id: str,
    outcome: str,
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Settle an objection (R-SUB-8): reject it with a reason, or start the correction."""
    if outcome == "rejection":
        body: dict[str, Any] = {"reason": text}
    elif outcome == "correction":
        body = {"note": text or None}
    else:
        raise ApiError(404, {"title_zh": "查無資料", "title_en": "Not found", "status": 404})
    await ctx.send("submission", "POST", f"/api/v1/objections/{objection_id}/{outcome}", json_body=body)
    return ctx.redirect("/submission/objections")


# -- student: my receipts, confirm or object (R-SUB-5, R-SUB-7) ----------------------------------------


@router.get("/receipts")
async def my_receipts(ctx: SignedIn) -> Response:
    listed = await ctx.get("submission", "/api/v1/me/receipts")
    return await ctx.render("my_receipts.html", receipts=listed["items"])


@router.get("/receipts/{receipt_id}")
async def my_receipt(ctx: SignedIn, receipt_id: str) -> Response:
    mine = await ctx.get("submission", f"/api/v1/me/receipts/{receipt_id}")
    raised, _ = await _section(ctx, "submission", f"/api/v1/me/receipts/{receipt_id}/objections")
    return await ctx.render("my_receipt.html", mine=mine, objections=(raised or {}).get("items", []))


@router.post("/receipts/{receipt_id}/confirm")
async def confirm_receipt(ctx: SignedInPost, receipt_id: str) -> Response:
    await ctx.send("submission", "POST", f"/api/v1/me/receipts/{receipt_id}/confirmation")
    return ctx.redirect(f"/receipts/{receipt_id}")


@router.post("/receipts/{receipt_id}/object")
async def object_to_receipt(
    ctx: SignedInPost,
    receipt_id: str,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = await ctx.request.form()
    item_ids = [str(v) for v in form.getlist("item_ids")]
    await ctx.send(
        "submission",
        "POST",
        f"/api/v1/me/receipts/{receipt_id}/objections",
        json_body={"item_ids": item_ids, "reason": reason},
    )
    return ctx.redirect(f"/receipts/{receipt_id}")
