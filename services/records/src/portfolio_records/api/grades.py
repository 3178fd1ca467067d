"""Bulk import of the SIS grade file and its row-level report (R-DATA-2, R-DUTY-3)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, UploadFile, status

from portfolio_records.domain.grades_csv import REJECTION_REASONS
from portfolio_records.service_layer import queries as reads
from portfolio_records.service_layer.access import require_any
from portfolio_records.service_layer.grades import queue_grade_import
from portfolio_shared.jobs import JobPublic, job_public
from portfolio_shared.jobs_api import accepted, wake
from portfolio_shared.permissions import Permission
from portfolio_shared.problems import Problem
from portfolio_shared.sizes import over_limit
from portfolio_shared.spreadsheet import WARNING_EN, WARNING_ZH

from .deps import CurrentPrincipal, SchoolId, UowDep
from .schemas import GradeImportPublic

router = APIRouter(prefix="/api/v1/schools/{school_id}/grade-imports", tags=["grades"])


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobPublic,
    summary="Import the SIS grade CSV (UTF-8 or Big5) as a job; idempotent, the job's report is row-level",
    description="Answers 202 with the job (`Location: /api/v1/jobs/{id}`); poll it until `status` is "
    "`succeeded` (its `report` has GradeImportPublic's shape) or `failed` (its `error` is the problem, "
    "e.g. 409 window-closed or 422 grades-file-invalid).",
)
async def import_file(
    request: Request,
    response: Response,
    school_id: SchoolId,
    file: UploadFile,
    principal: CurrentPrincipal,
    uow: UowDep,
) -> JobPublic:
    principal.require(Permission.GRADES_WRITE, school_id, rule="R-SUB-4")
    limit = request.app.state.runtime.settings.grade_file_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise Problem(413, "grade-file-too-large", "Payload too large", "檔案或資料過大",
                      over_limit(limit, file.size or len(data), what="this grade file"), field="file")  # fmt: skip
    job = await queue_grade_import(uow, school_id, principal.user_id, data)
    await uow.commit()
    wake(request)
    return accepted(job_public(job), response)


@router.get("/{import_id}", response_model=GradeImportPublic, summary="The report of an earlier import")
async def get_import(
    school_id: SchoolId, import_id: Annotated[uuid.UUID, Path()], principal: CurrentPrincipal, uow: UowDep
) -> GradeImportPublic:
    require_any(principal, school_id, Permission.GRADES_WRITE, Permission.RECORDS_READ)
    row = await reads.grade_import(uow, school_id, import_id)
    rejected = [
        {**r, "message": REJECTION_REASONS[r["reason"]][0], "message_zh": REJECTION_REASONS[r["reason"]][1]}
        for r in row.rejected
    ]
    warnings = [{**w, "message": WARNING_EN, "message_zh": WARNING_ZH} for w in row.warnings or []]
    stored = row.inserted + row.updated + row.unchanged
    return GradeImportPublic.model_validate(
        {**row._mapping, "stored": stored, "rejected": rejected, "warnings": warnings}
    )
