"""The scheduled closing of receipt confirmation windows (R-SUB-7).

Every replica runs :class:`WindowCloser` in-process (started by the app's lifespan; a Kubernetes
CronJob may call :func:`close_due_windows` instead). Each poll closes every window whose end has
passed — including those that ended while the service was down, so a restart loses nothing.
Closing one window is one transaction guarded by a conditional UPDATE of its receipt row
(``confirmation.close_window``): whichever replica wins closes it; the others change nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from portfolio_shared.opsmetrics import job_failed, job_succeeded
from portfolio_shared.service import ServiceRuntime

from ..adapters import receipts_sql as sql
from .confirmation import close_window

log = logging.getLogger(__name__)

JOB = "deemed-confirmation"  # the job label deploy/k8s/components/monitoring/alerts.yaml watches


async def close_due_windows(runtime: ServiceRuntime, *, now: datetime | None = None) -> dict[str, int]:
    """Close every due window; receipt id → students deemed, for the windows THIS call closed."""
    at = now or datetime.now(UTC)
    async with runtime.uow() as uow:
        due = await sql.due_windows(uow.session, at)
    closed: dict[str, int] = {}
    for receipt_id in due:
        async with runtime.uow() as uow:
            deemed = await close_window(uow, receipt_id, now=at)
        if deemed is not None:
            closed[receipt_id] = deemed
            log.info("receipt %s: confirmation window closed, %d deemed confirmed", receipt_id, deemed)
    return closed


class WindowCloser:
    def __init__(
        self, runtime: ServiceRuntime, *, poll_seconds: float = 60.0, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.clock = clock or (lambda: datetime.now(UTC))

    async def tick(self) -> dict[str, int]:
        """One poll; its outcome goes to the ops signals (``deemed-confirmation`` job, issue 17: an
        alert fires when it has not succeeded for 3 hours)."""
        now = self.clock()
        try:
            closed = await close_due_windows(self.runtime, now=now)
        except Exception:
            # The next poll tries again; an unfinished close left no trace (one transaction each).
            log.exception("closing due confirmation windows failed")
            job_failed("submission", JOB)
            return {}
        job_succeeded("submission", JOB, now)
        return closed

    async def run_forever(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self.poll_seconds)
