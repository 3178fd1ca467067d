"""Attributable history of outcomes and performances (R-RET-3): per item and per school, paginated."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from portfolio_artifacts.service_layer import history
from portfolio_shared.auth import CurrentPrincipal

from .deps import DepsDep
from .schemas import ONE_LINE, HistoryEntryPublic

router = APIRouter(prefix="/api/v1", tags=["history"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Not found or not visible (problem+json)"}}
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/outcomes/{outcome_id}/history", response_model=list[HistoryEntryPublic], responses=NOT_FOUND)
async def outcome_history(
    outcome_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal, limit: Limit = 100, offset: Offset = 0
) -> list[dict[str, Any]]:
    """Every upload, certification, return, selection, deselection, withdrawal and transfer of the
    outcome, oldest first, for whoever may read it."""
    return await history.item_history(deps, actor, "outcome", outcome_id, limit, offset)


@router.get("/performances/{performance_id}/history", response_model=list[HistoryEntryPublic], responses=NOT_FOUND)
async def performance_history(
    performance_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal, limit: Limit = 100, offset: Offset = 0
) -> list[dict[str, Any]]:
    return await history.item_history(deps, actor, "performance", performance_id, limit, offset)


@router.get("/history", response_model=list[HistoryEntryPublic])
async def list_history(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)] = None,
    student_user_id: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)] = None,
    kind: Literal["outcome", "performance"] | None = None,
    action: history.Action | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """The caller's own items' history, and for staff reading all outcomes / performances of a school,
    the entries recorded at that school (another school's entries are never listed)."""
    filters = {"school_id": school_id, "student_user_id": student_user_id, "kind": kind, "action": action}
    return await history.school_history(deps, actor, filters, limit, offset)
