"""Submission batches (提交批次): create, pre-check (檢核), report, exclude students, submit."""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.responses import FileResponse
from sqlalchemy.engine import RowMapping

from portfolio_shared.auth import CurrentPrincipal
from portfolio_submission.domain.kinds import OFFICE_OF
from portfolio_submission.service_layer import batches as svc
from portfolio_submission.service_layer.batches import NewBatch
from portfolio_submission.service_layer.context import Deps

from .deps import DepsDep, SchoolQ
from .schemas import (
    BatchCreate,
    BatchList,
    BatchPublic,
    CheckReport,
    ExclusionCreate,
    ExclusionPublic,
    FindingPublic,
    PersonRef,
    Status,
)

router = APIRouter(prefix="/api/v1/batches", tags=["batches"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def public(deps: Deps, row: RowMapping, excluded_count: int | None = None) -> BatchPublic:
    names = await svc.people_names(deps, [row["created_by"], row["submitted_by"], row["on_behalf_of"]])

    def person(user_id: str | None) -> PersonRef | None:
        return None if user_id is None else PersonRef(user_id=user_id, display_name=names.get(user_id))

    if excluded_count is None:
        excluded_count = await svc.excluded_count(deps, row["id"])
    created_by = person(row["created_by"])
    assert created_by is not None
    return BatchPublic(
        **{
            k: row[k]
            for k in BatchPublic.model_fields
            if k in row and k not in ("created_by", "submitted_by", "on_behalf_of")
        },
        office=OFFICE_OF[row["kind"]],
        created_by=created_by,
        submitted_by=person(row["submitted_by"]),
        on_behalf_of=person(row["on_behalf_of"]),
        excluded_count=excluded_count,
    )


@router.post("", status_code=201, response_model=BatchPublic)
async def create(deps: DepsDep, actor: CurrentPrincipal, body: BatchCreate) -> BatchPublic:
    """Start a batch for a school, kind and term; only the office that submits the kind may (R-SUB-4),
    through its acting person (R-DUTY-2)."""
    return await public(deps, await svc.create_batch(deps, actor, NewBatch(**body.model_dump())), 0)


@router.get("", response_model=BatchList)
async def list_(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: SchoolQ,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> BatchList:
    rows = await svc.list_batches(deps, actor, school_id, status=status, limit=limit, offset=offset)
    return BatchList(items=[await public(deps, r) for r in rows], limit=limit, offset=offset)


@router.get("/{batch_id}", response_model=BatchPublic)
async def get(deps: DepsDep, actor: CurrentPrincipal, batch_id: str, school_id: SchoolQ) -> BatchPublic:
    return await public(deps, await svc.get_batch(deps, actor, school_id, batch_id))


@router.post("/{batch_id}/check", response_model=BatchPublic)
async def check(deps: DepsDep, actor: CurrentPrincipal, batch_id: str, school_id: SchoolQ) -> BatchPublic:
    """Run the pre-check (檢核) on what the batch would send; its findings replace the last ones."""
    return await public(deps, await svc.run_check(deps, actor, school_id, batch_id))


@router.get("/{batch_id}/report", response_model=CheckReport)
async def report(deps: DepsDep, actor: CurrentPrincipal, batch_id: str, school_id: SchoolQ) -> CheckReport:
    """The last pre-check: each finding names student, sheet, row, field and rule."""
    batch, found, excluded = await svc.report(deps, actor, school_id, batch_id)
    return CheckReport(
        batch=await public(deps, batch, len(excluded)),
        findings=[FindingPublic(**{**dict(f), "row": f["row_number"]}) for f in found],
        exclusions=[ExclusionPublic(**dict(e)) for e in excluded],
    )


@router.get(
    "/{batch_id}/report.xlsx",
    response_class=FileResponse,
    responses={200: {"content": {XLSX: {}}, "description": "The pre-check report as a workbook"}},
)
async def report_xlsx(
    deps: DepsDep, actor: CurrentPrincipal, batch_id: str, school_id: SchoolQ, cleanup: BackgroundTasks
) -> FileResponse:
    """The last pre-check as a workbook (streamed from a file written in constant memory)."""
    batch, path = await svc.report_workbook(deps, actor, school_id, batch_id)
    name = f"precheck-{batch['kind']}-{batch['academic_year']}-{batch['semester']}-{batch_id}.xlsx"
    cleanup.add_task(os.unlink, path)  # the temporary file goes once the answer was sent
    return FileResponse(path, media_type=XLSX, filename=name)


@router.post("/{batch_id}/exclusions", response_model=BatchPublic)
async def exclude(
    deps: DepsDep, actor: CurrentPrincipal, batch_id: str, school_id: SchoolQ, body: ExclusionCreate
) -> BatchPublic:
    """Leave named students out of the batch, recorded with who, when and why; check again afterwards."""
    row = await svc.exclude_students(deps, actor, school_id, batch_id, body.student_ids, body.reason)
    return await public(deps, row)


@router.post("/{batch_id}/submit", response_model=BatchPublic)
async def submit(deps: DepsDep, actor: CurrentPrincipal, batch_id: str, school_id: SchoolQ) -> BatchPublic:
    """Hand a checked batch without errors to sending; records who submits and on whose behalf
    (R-SUB-4, R-DUTY-2). A batch with errors is refused (R-SUB-1). Repeating it changes nothing."""
    return await public(deps, await svc.submit_batch(deps, actor, school_id, batch_id))


@router.post("/{batch_id}/cancel", response_model=BatchPublic)
async def cancel(deps: DepsDep, actor: CurrentPrincipal, batch_id: str, school_id: SchoolQ) -> BatchPublic:
    """Drop a batch that was not handed to sending."""
    return await public(deps, await svc.cancel_batch(deps, actor, school_id, batch_id))
