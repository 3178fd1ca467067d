"""Bulk import of the SIS grade file and its row-level report (R-DATA-2, R-DUTY-3)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, UploadFile, status

from portfolio_records.domain.grades_csv import REJECTION_REASONS
from portfolio_records.service_layer import queries as reads
from portfolio_records.service_layer.access import require_any
from portfolio_records.service_layer.grades import import_grades
from portfolio_shared.permissions import Permission
from portfolio_shared.problems import Problem
from portfolio_shared.sizes import over_limit
from portfolio_shared.spreadsheet import WARNING_EN, WARNING_ZH

from .deps import CurrentPrincipal, SchoolId, UowDep
from .schemas import GradeImportPublic

router = APIRouter(prefix="/api/v1/schools/{school_id}/grade-imports", tags=["grades"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=GradeImportPublic,
    summary="Import the SIS grade CSV (UTF-8 or Big5); idempotent, with a row-level error report",
)
async def import_file(
    request: Request, school_id: SchoolId, file: UploadFile, principal: CurrentPrincipal, uow: UowDep
) -> GradeImportPublic:
    principal.require(Permission.GRADES_WRITE, school_id, rule="R-SUB-4")
    limit = request.app.state.runtime.settings.grade_file_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise Problem(413, "grade-file-too-large", "Payload too large", "檔案或資料過大",
                      over_limit(limit, file.size or len(data), what="this grade file"), field="file")  # fmt: skip
    report = await import_grades(uow, school_id, principal.user_id, data)
    await uow.commit()
    return GradeImportPublic.model_validate(report)


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
