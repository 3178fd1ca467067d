"""The nightly SIS grade import's reports (R-DUTY-3): what each night did, kept per school."""

from __future__ import annotations

from fastapi import APIRouter, Query

from portfolio_records.adapters.orm import nightly_runs
from portfolio_records.service_layer.access import require_any
from portfolio_records.service_layer.nightly_sync import JOB
from portfolio_shared.nightly import NightlyRunPublic, night_runs
from portfolio_shared.permissions import Permission

from .deps import CurrentPrincipal, SchoolId, UowDep

router = APIRouter(prefix="/api/v1/schools/{school_id}/nightly-sync", tags=["grades"])


@router.get(
    "/runs",
    response_model=list[NightlyRunPublic],
    summary="The latest nights of the SIS grade import, newest first, with their reports",
)
async def list_runs(
    school_id: SchoolId,
    principal: CurrentPrincipal,
    uow: UowDep,
    limit: int = Query(default=30, ge=1, le=366),
) -> list[NightlyRunPublic]:
    require_any(principal, school_id, Permission.GRADES_WRITE, Permission.SCHEDULE_WRITE, rule="R-DUTY-3")
    rows = await night_runs(uow.session, nightly_runs, job=JOB, school_id=school_id, limit=limit)
    return [NightlyRunPublic.model_validate(r) for r in rows]
