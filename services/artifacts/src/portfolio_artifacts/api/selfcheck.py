"""Self-check reports for staff (R-SCHED-2): uncertified outcomes per teacher, selection status per student."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from portfolio_artifacts.service_layer import queries
from portfolio_shared.auth import CurrentPrincipal
from portfolio_shared.spreadsheet import CSV_MEDIA_TYPE, csv_response

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


# Spreadsheet downloads of the same reports: ids are text (neutralised against formulas, a user id
# may start with "-" or "@"), counts stay numbers (portfolio_shared.spreadsheet).
_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV_MEDIA_TYPE: {}}, "description": "CSV (UTF-8 with BOM), formula-safe"}
}


@router.get("/uncertified-teachers.csv", response_class=Response, responses=_CSV)
async def uncertified_teachers_csv(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: SchoolQ,
    academic_year: Annotated[int | None, Query(ge=0, le=10_000)] = None,
    semester: Annotated[int | None, Query(ge=1, le=2)] = None,
) -> Response:
    """The uncertified-outcomes report as a spreadsheet: one row per teacher and course."""
    report = await queries.uncertified_by_teacher(deps, actor, school_id, academic_year, semester)
    rows = [
        {**course, "teacher_user_id": t["teacher_user_id"], "unavailable": t["unavailable"]}
        for t in report["teachers"]
        for course in t["courses"]
    ]
    columns = ("teacher_user_id", "unavailable", "course_id", "uncertified")
    response: Response = csv_response(f"uncertified-{school_id}.csv", columns, rows)
    return response


@router.get("/selections.csv", response_class=Response, responses=_CSV)
async def selections_csv(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: SchoolQ,
    academic_year: Annotated[int, Query(ge=0, le=10_000)],
) -> Response:
    """The selection-status report as a spreadsheet: one row per student."""
    report = await queries.selection_status(deps, actor, school_id, academic_year)
    columns = (
        "student_user_id", "outcomes_certified", "outcomes_selected", "performances_uploaded", "performances_selected"
    )  # fmt: skip
    response: Response = csv_response(f"selections-{school_id}-{academic_year}.csv", columns, report["students"])
    return response
