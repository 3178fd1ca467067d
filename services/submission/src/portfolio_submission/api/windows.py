"""Central-database windows (提交期程) and what each office has due (R-SUB-1..4)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.engine import RowMapping

from portfolio_shared.auth import CurrentPrincipal
from portfolio_submission.service_layer import calendar
from portfolio_submission.service_layer.calendar import NewWindow

from .deps import DepsDep, SchoolQ
from .schemas import DueDeadline, DueItem, DueList, DueOffice, Kind, WindowCreate, WindowList, WindowPublic

windows_router = APIRouter(prefix="/api/v1/windows", tags=["windows"])
due_router = APIRouter(prefix="/api/v1/due", tags=["due"])


def window_public(row: RowMapping) -> WindowPublic:
    return WindowPublic.model_validate(dict(row))


@windows_router.post("", status_code=201, response_model=WindowPublic)
async def create(deps: DepsDep, actor: CurrentPrincipal, body: WindowCreate) -> WindowPublic:
    """Enter a window the central database announced (per kind and term; several per term are allowed,
    e.g. grade 3's 第一梯次 / 第二梯次). Times without an offset are the school's local time."""
    row = await calendar.add_window(deps, actor, NewWindow(**body.model_dump()))
    return window_public(row)


@windows_router.get("", response_model=WindowList)
async def list_(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: SchoolQ,
    kind: Kind | None = None,
    academic_year: Annotated[int | None, Query(ge=100, le=200)] = None,
) -> WindowList:
    rows = await calendar.list_windows(deps, actor, school_id, kind=kind, academic_year=academic_year)
    return WindowList(items=[window_public(r) for r in rows])


@windows_router.delete("/{window_id}", status_code=204, response_class=Response)
async def delete(deps: DepsDep, actor: CurrentPrincipal, window_id: str, school_id: SchoolQ) -> Response:
    await calendar.delete_window(deps, actor, school_id, window_id)
    return Response(status_code=204)


_RULES = {"basic_data": "R-SUB-1", "grades": "R-SUB-1", "cadre_records": "R-SUB-1"}


def _item(item: calendar.DueItem) -> DueItem:
    w = item.deadline.window
    same = item.due_term == item.data_term
    rule = "R-SUB-3" if same else _RULES.get(item.kind, "R-SUB-2")
    data: dict[str, Any] = {
        "kind": item.kind,
        "office": item.office,
        "duty_code": item.duty_code,
        "data_year": item.data_term.academic_year,
        "data_semester": item.data_term.semester,
        "due_year": item.due_term.academic_year,
        "due_semester": item.due_term.semester,
        "grades": list(item.grades),
        "student_count": item.student_count,
        "deadline": None
        if w is None
        else DueDeadline(
            window_id=w.id, label=w.label, opens_at=w.opens_at, closes_at=w.closes_at, missed=item.deadline.missed
        ),
        "rule": rule,
    }
    return DueItem(**data)


@due_router.get("", response_model=DueList, name="list")
async def list_due(
    deps: DepsDep, actor: CurrentPrincipal, school_id: SchoolQ, on: Annotated[date | None, Query()] = None
) -> DueList:
    """Per office: what is due, in which central window, by when, for how many students (R-SUB-1..4).
    ``on`` is a school-local date (default: today)."""
    items = await calendar.due(deps, actor, school_id, on)
    offices: dict[str, DueOffice] = {}
    for item in items:
        office = offices.setdefault(item.office, DueOffice(office=item.office, duty_code=item.duty_code, items=[]))  # type: ignore[arg-type]
        office.items.append(_item(item))
    return DueList(school_id=school_id, on=on or deps.today(), offices=list(offices.values()))
