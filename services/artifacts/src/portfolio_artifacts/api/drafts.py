"""Cancelling a draft: an upload started and never completed stops counting towards the cap at once
(R-ART-2, R-PERF-1) instead of when its upload links lapse."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response

from portfolio_artifacts.service_layer import commands as c
from portfolio_artifacts.service_layer.handlers import handle
from portfolio_shared.auth import CurrentPrincipal

from .deps import DepsDep

router = APIRouter(tags=["drafts"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not found, or another student's (problem+json)"},
    409: {"description": "Not a draft: completed items are withdrawn instead (problem+json, not-a-draft)"},
}


@router.delete("/api/v1/outcomes/{outcome_id}", status_code=204, responses=PROBLEMS, summary="Cancel a draft outcome")
async def cancel_outcome_draft(outcome_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal) -> Response:
    """The student cancels an outcome upload they never completed; it no longer counts towards the
    semester's cap (R-ART-2). Anything already sent for it is deleted."""
    await handle(c.CancelDraft(actor, "outcome", outcome_id), deps)
    return Response(status_code=204)


@router.delete(
    "/api/v1/performances/{performance_id}", status_code=204, responses=PROBLEMS, summary="Cancel a draft performance"
)
async def cancel_performance_draft(performance_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal) -> Response:
    """The student cancels a performance upload they never completed; it no longer counts towards the
    year's cap (R-PERF-1). Anything already sent for it is deleted."""
    await handle(c.CancelDraft(actor, "performance", performance_id), deps)
    return Response(status_code=204)
