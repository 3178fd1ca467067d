"""Operations signals of the submission service (issue 17).

- ``portfolio_submission_batches{state}``: batches per state (every state, 0 included), refreshed every
  ``ops_observe_seconds``; the alert ``SubmissionBatchesFailed`` fires when a batch sits in ``failed``.
- the window closer reports ``deemed-confirmation`` through ``portfolio_shared.opsmetrics``.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import Gauge

from portfolio_shared.service import ServiceRuntime

from ..adapters.ops_sql import batches_by_status
from ..domain.batches import BatchStatus

log = logging.getLogger(__name__)

BATCHES = Gauge("portfolio_submission_batches", "Submission batches by state", ["state"])


async def observe_batches(runtime: ServiceRuntime) -> dict[str, int]:
    """Refresh ``portfolio_submission_batches``; returns the counts set (every state)."""
    async with runtime.uow() as uow:
        found = await batches_by_status(uow.session)
    counts = {state.value: found.get(state.value, 0) for state in BatchStatus}
    for state, n in counts.items():
        BATCHES.labels(state).set(n)
    return counts


async def observe_batches_forever(runtime: ServiceRuntime) -> None:
    while True:
        try:
            await observe_batches(runtime)
        except Exception as exc:  # the database is away: /readyz says so
            log.debug("batch gauges not refreshed (%s)", exc)
        await asyncio.sleep(runtime.settings.ops_observe_seconds)
