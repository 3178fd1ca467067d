"""Bookkeeping rows that only matter for a while, deleted after their horizon.

The outbox relay runs these on its purge schedule (every ten minutes, next to the published-outbox
purge), so a service needs no second timer: the inbox (duplicate deliveries only arrive within the
broker's redelivery window, hours at most — the default horizon is 30 days) and, where a service
has them, idempotency keys (a client retries within minutes; default 7 days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter
from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncEngine

PURGED = Counter("portfolio_housekeeping_purged_total", "Rows deleted after their horizon", ["service", "table"])


@dataclass(frozen=True)
class Purge:
    """Delete rows of ``table`` whose ``column`` (a UTC timestamp) is older than ``keep``."""

    table: Table
    column: str
    keep: timedelta

    async def run(self, engine: AsyncEngine, *, service: str = "", now: datetime | None = None) -> int:
        if self.keep <= timedelta(0):
            raise ValueError(f"{self.table.name}: a purge horizon must be positive, got {self.keep}")
        cutoff = (now or datetime.now(UTC)) - self.keep
        async with engine.begin() as conn:
            res = await conn.execute(delete(self.table).where(self.table.c[self.column] < cutoff))
        count = int(res.rowcount or 0)
        PURGED.labels(service, self.table.name).inc(count)
        return count
