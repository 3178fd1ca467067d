"""Sending a batch to the central database: where it stands, the package download (decrypted on
the fly, audited) and, with the manual adapter, the central database's answer recorded by the office.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from portfolio_shared.auth import CurrentPrincipal
from portfolio_shared.storage import content_disposition
from portfolio_submission.service_layer import sending as service
from portfolio_submission.service_layer.sending import SendingDeps

ONE_LINE = r"^[^\x00-\x1f\x7f]+$"
router = APIRouter(prefix="/api/v1/batches", tags=["sending"])
BatchId = Annotated[str, Path(min_length=1, max_length=64, pattern=ONE_LINE)]
SchoolQ = Annotated[str, Query(min_length=1, max_length=64, pattern=ONE_LINE, description="The school (tenant)")]


def _sending(request: Request) -> SendingDeps:
    deps: SendingDeps = request.app.state.sending
    return deps


class CentralProblem(BaseModel):
    """One reason the central database gave for refusing a package (its location; never a value)."""

    workbook: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    rule: str
    domain_rule: str | None = None
    message: str | None = None


class SendingOut(BaseModel):
    batch_id: str
    school_id: str
    kind: str
    state: str = Field(
        description="queued | building | built | sending | accepted | refused | failed | handed_over (manual upload)"
    )
    central_adapter: str
    attempts: int
    next_attempt_at: datetime | None
    package_size: int | None
    package_sha256: str | None
    package_available: bool
    central_submission_id: str | None
    accepted_at: datetime | None
    student_count: int | None
    item_count: int | None
    last_error: str | None
    last_error_code: str | None
    refusal: list[CentralProblem] = Field(default_factory=list)


def _out(row: dict[str, Any]) -> SendingOut:
    refusal = [CentralProblem.model_validate({k: v for k, v in e.items() if k in CentralProblem.model_fields})
               for e in row.get("refusal") or []]  # fmt: skip
    waiting = row["state"] in ("queued", "building", "built", "sending")
    return SendingOut(
        batch_id=row["batch_id"],
        school_id=row["school_id"],
        kind=row["kind"],
        state=row["state"],
        central_adapter=row["central_adapter"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"] if waiting else None,
        package_size=row["package_size"],
        package_sha256=row["package_sha256"],
        package_available=row["package_key"] is not None and row["package_purged_at"] is None,
        central_submission_id=row["central_submission_id"],
        accepted_at=row["accepted_at"],
        student_count=row["student_count"],
        item_count=row["item_count"],
        last_error=row["last_error"],
        last_error_code=row["last_error_code"],
        refusal=refusal,
    )


@router.get("/{batch_id}/sending", summary="Where sending the batch to the central database stands")
async def get_sending(batch_id: BatchId, school_id: SchoolQ, actor: CurrentPrincipal, request: Request) -> SendingOut:
    return _out(await service.sending_status(_sending(request), actor, school_id, batch_id))


@router.get(
    "/{batch_id}/package",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "the package (zip), decrypted as it streams"}},
    summary="Download the batch's package (the office only; audited)",
)
async def download_package(
    batch_id: BatchId, school_id: SchoolQ, actor: CurrentPrincipal, request: Request
) -> StreamingResponse:
    package = await service.download_package(_sending(request), actor, school_id, batch_id)
    return StreamingResponse(
        package.chunks,  # a blocking iterator: Starlette runs it in a worker thread
        media_type="application/zip",
        headers={
            "Content-Disposition": content_disposition(package.filename),
            "Content-Length": str(package.size),
            "X-Package-SHA256": package.sha256,
            "Cache-Control": "no-store",
        },
    )


class CentralAnswerIn(BaseModel):
    accepted: bool
    central_submission_id: str = Field(min_length=1, max_length=100, pattern=ONE_LINE)
    reason: str | None = Field(default=None, max_length=2000)


@router.post(
    "/{batch_id}/central-answer",
    summary="Record the central database's answer to a package uploaded by hand (manual adapter)",
)
async def record_central_answer(
    batch_id: BatchId, school_id: SchoolQ, body: CentralAnswerIn, actor: CurrentPrincipal, request: Request
) -> SendingOut:
    row = await service.record_manual_answer(
        _sending(request),
        actor,
        school_id,
        batch_id,
        accepted=body.accepted,
        central_submission_id=body.central_submission_id,
        reason=body.reason,
    )
    return _out(row)


@router.post(
    "/{batch_id}/resend",
    summary="Send a failed batch again (the office only): same package and key if the outcome was unknown",
)
async def resend_batch(batch_id: BatchId, school_id: SchoolQ, actor: CurrentPrincipal, request: Request) -> SendingOut:
    return _out(await service.resend(_sending(request), actor, school_id, batch_id))
