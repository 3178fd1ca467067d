"""Nightly SIS account sync by upload (R-DUTY-3), and the school's audit trail (R-RET-3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile

from portfolio_shared.jobs import JobPublic, job_public
from portfolio_shared.jobs_api import accepted, jobs_router, wake
from portfolio_shared.nightly import NightlyRunPublic
from portfolio_shared.permissions import Permission
from portfolio_shared.problems import Problem
from portfolio_shared.sizes import over_limit
from portfolio_shared.spreadsheet import CSV_MEDIA_TYPE, csv_response

from ..adapters.orm import jobs
from ..service_layer import admin, nightly_sync, sync
from .deps import CallerDep, SettingsDep, UowDep
from .schemas import AuditPage, SyncRunPublic

router = APIRouter(prefix="/api/v1/schools/{school_id}", tags=["sync"])
audit_router = APIRouter(prefix="/api/v1/schools/{school_id}", tags=["audit"])
platform_audit_router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
# GET /api/v1/jobs/{id}: the sync's job, for whoever started it or may run the school's sync.
job_router = jobs_router(jobs, {sync.SIS_ACCOUNT_SYNC: (Permission.SIS_SYNC_RUN,)})


@router.post(
    "/sis-sync",
    status_code=202,
    response_model=JobPublic,
    summary="Import the SIS account export (CSV; UTF-8, UTF-8 BOM or Big5) as a job",
    description="Answers 202 with the job (`Location: /api/v1/jobs/{id}`); poll it until `status` is "
    "`succeeded` (its `report` is the sync report, as in `/sis-sync/runs`) or `failed` (its `error` is "
    "the problem, e.g. 422 sis-file-unreadable or 409 when too many accounts would be deactivated).",
)
async def run_sync(
    request: Request,
    response: Response,
    school_id: str,
    uow: UowDep,
    caller: CallerDep,
    settings: SettingsDep,
    file: UploadFile = File(description="the SIS export"),
    dry_run: bool = Form(default=False),
) -> JobPublic:
    data = await file.read(settings.sync_max_file_bytes + 1)
    if len(data) > settings.sync_max_file_bytes:
        raise Problem(
            413,
            "sync-file-too-large",
            "File too large",
            "檔案過大",
            over_limit(settings.sync_max_file_bytes, file.size or len(data), what="this export"),
            field="file",
        )
    job = await sync.queue_sync(uow, caller, school_id, data, dry_run=dry_run)
    await uow.commit()
    wake(request)
    return accepted(job_public(job), response)


@router.get(
    "/sis-sync/runs",
    response_model=list[SyncRunPublic],
    summary="The latest sync reports of the school, newest first",
)
async def list_runs(
    school_id: str, uow: UowDep, caller: CallerDep, limit: int = Query(default=20, ge=1, le=200)
) -> list[dict[str, Any]]:
    return await sync.list_runs(uow, caller, school_id, limit)


SYNC_REPORT_COLUMNS = ("line", "login_name", "field", "kind", "reason", "reason_zh")


@router.get(
    "/sis-sync/runs/{run_id}/report.csv",
    response_class=Response,
    responses={200: {"content": {CSV_MEDIA_TYPE: {}}, "description": "CSV (UTF-8 with BOM), formula-safe"}},
    summary="A sync report's rejected lines and warnings as a spreadsheet (CSV); text cells formula-safe",
)
async def run_report_csv(
    school_id: str, run_id: Annotated[str, Path(max_length=64)], uow: UowDep, caller: CallerDep
) -> Response:
    run = await sync.get_run(uow, caller, school_id, run_id)
    report = run["report"]
    lines = [{**r, "kind": "rejected"} for r in report.get("rejected", [])]
    lines += [
        {**w, "kind": "warning", "reason": w["message"], "reason_zh": w["message_zh"]}
        for w in report.get("warnings", [])
    ]
    lines.sort(key=lambda r: (r["line"], r["kind"]))
    response: Response = csv_response(f"sis-sync-{run_id}.csv", SYNC_REPORT_COLUMNS, lines)
    return response


@router.get(
    "/sis-sync/nights",
    response_model=list[NightlyRunPublic],
    summary="The nightly SIS pulls of the school, newest first, with their reports",
)
async def list_nights(
    school_id: str, uow: UowDep, caller: CallerDep, limit: int = Query(default=30, ge=1, le=366)
) -> list[NightlyRunPublic]:
    return [NightlyRunPublic.model_validate(r) for r in await nightly_sync.night_reports(uow, caller, school_id, limit)]


@audit_router.get("/audit", response_model=AuditPage, summary="The school's audit trail, newest first (audit:read)")
async def read_audit(
    school_id: str,
    uow: UowDep,
    caller: CallerDep,
    action: str | None = Query(default=None, max_length=64),
    object_id: str | None = Query(default=None, max_length=200),
    since: datetime | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> dict[str, Any]:
    return await admin.read_audit(
        uow, caller, school_id, action=action, object_id=object_id, since=since, limit=limit, offset=offset
    )


@platform_audit_router.get(
    "",
    response_model=AuditPage,
    summary="The platform's own audit trail: sign-ins, districts, keys (platform audit:read)",
)
async def read_platform_audit(
    uow: UowDep,
    caller: CallerDep,
    action: str | None = Query(default=None, max_length=64),
    object_id: str | None = Query(default=None, max_length=200),
    since: datetime | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> dict[str, Any]:
    return await admin.read_audit(
        uow, caller, None, action=action, object_id=object_id, since=since, limit=limit, offset=offset
    )
