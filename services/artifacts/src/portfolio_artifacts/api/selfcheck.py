"""Self-check reports for staff (R-SCHED-2): uncertified outcomes per teacher, selection status per student."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from portfolio_artifacts.service_layer import queries
from portfolio_shared.auth import CurrentPrincipal

from .deps import DepsDep
from .schemas import ONE_LINE, SelectionReport, UncertifiedReport

router = APIRouter(prefix="/api/v1/selfcheck", tags=["self-check"])

SchoolQ = Annotated[str, Query(min_length=1, max_length=64, pattern=ONE_LINE)]


@router.get("/uncertified-teachers", response_model=UncertifiedReport)
async def uncertified_teachers(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: SchoolQ,
    academic_year: Annotated[int | None, Query(ge=0, le=10_000)] = None,
    semester: Annotated[int | None, Query(ge=1, le=2)] = None,
) -> dict[str, Any]:
    """Teachers with outcomes awaiting certification, with counts per course (R-SCHED-2, R-ART-3)."""
    return await queries.uncertified_by_teacher(deps, actor, school_id, academic_year, semester)


@router.get("/selections", response_model=SelectionReport)
async def selections(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: SchoolQ,
    academic_year: Annotated[int, Query(ge=0, le=10_000)],
) -> dict[str, Any]:
    """Each student's selection status for outcomes and performances (R-SCHED-2, R-ART-4, R-PERF-2)."""
    return await queries.selection_status(deps, actor, school_id, academic_year)
