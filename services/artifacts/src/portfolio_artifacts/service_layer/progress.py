"""The deadline-day picture per school for the operations dashboard (issue 17): how many outcomes and
performances are uploaded, waiting for certification (R-ART-3), certified and selected (R-ART-4)."""

from __future__ import annotations

import asyncio
import logging

from portfolio_artifacts.adapters.progress import items_by_school

from .context import Deps
from .metrics import ITEMS

log = logging.getLogger(__name__)


async def observe_progress(deps: Deps) -> int:
    """Refresh ``portfolio_artifacts_items``; returns the number of series set."""
    async with deps.uow() as uow:
        rows = await items_by_school(uow.session)
    ITEMS.clear()  # a status no school has any more must not linger at its old value
    for school, kind, status, selected, count in rows:
        ITEMS.labels(school, kind, status, "true" if selected else "false").set(count)
    return len(rows)


async def observe_progress_forever(deps: Deps) -> None:
    while True:
        try:
            await observe_progress(deps)
        except Exception as exc:  # the database is away: /readyz says so
            log.debug("progress gauges not refreshed (%s)", exc)
        await asyncio.sleep(deps.settings.ops_observe_seconds)
