"""What an operations team watches (issue 17), beside the HTTP, consumer and relay signals.

- ``portfolio_deadletter_messages{queue}``: messages waiting in a consumer's dead-letter queue, read
  from the broker by each service for its own consumers (:func:`observe_dead_letters`, every
  ``ops_observe_seconds``). Anything above 0 needs a person (deploy/README.md, "Dead letters").
- ``portfolio_dependency_ready{service,dependency}``: the last readiness check (probes and the observer).
- ``portfolio_job_last_success_timestamp_seconds{service,job}`` and ``portfolio_job_runs_total{service,
  job,result}``: every scheduled job reports here through :func:`job_succeeded` / :func:`job_failed`
  (the integrity check, reminders, the housekeeping purges, submission's deemed confirmation, …).
  Jobs that run in another process (the nightly SIS sync CronJobs) leave their outcome in the
  service's ``nightly_runs`` table; the service's pods read it back (:func:`observe_nightly_runs`), so
  a night that did not succeed is seen whichever process ran it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime

from prometheus_client import Counter, Gauge
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from .clock import as_utc
from .nightly import PARTIAL, SUCCEEDED

log = logging.getLogger(__name__)

DEAD_LETTERS = Gauge("portfolio_deadletter_messages", "Messages waiting in a consumer's dead-letter queue", ["queue"])
DEPENDENCY_READY = Gauge(
    "portfolio_dependency_ready",
    "1 when the service's last readiness check reached the dependency (database, broker, storage), else 0",
    ["service", "dependency"],
)
JOB_LAST_SUCCESS = Gauge(
    "portfolio_job_last_success_timestamp_seconds",
    "When a scheduled job last finished successfully (Unix time)",
    ["service", "job"],
)
JOB_RUNS = Counter("portfolio_job_runs_total", "Runs of a scheduled job by result", ["service", "job", "result"])


def job_succeeded(service: str, job: str, at: datetime | None = None) -> None:
    JOB_RUNS.labels(service, job, "success").inc()
    JOB_LAST_SUCCESS.labels(service, job).set(as_utc(at).timestamp() if at else time.time())


def job_failed(service: str, job: str) -> None:
    JOB_RUNS.labels(service, job, "failure").inc()


async def observe_dead_letters(bus: object, queues: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Set the dead-letter gauge for (consumer, queue name) pairs from the bus; return the depths."""
    depth_of = getattr(bus, "dead_letter_count", None)
    if depth_of is None:
        return {}
    depths: dict[str, int] = {}
    for consumer, queue in queues:
        depths[queue] = int(await depth_of(consumer))
        DEAD_LETTERS.labels(queue).set(depths[queue])
    return depths


async def observe_nightly_runs(engine: AsyncEngine, table: Table, service: str) -> dict[str, float]:
    """Per job of the service's ``nightly_runs`` (portfolio_shared.nightly): the time by which every school
    had its newest completed night (the oldest of the schools' newest), so one school left behind shows."""
    c = table.c
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(c.job, c.school_id, func.max(c.finished_at))
                .where(c.status.in_([SUCCEEDED, PARTIAL]), c.finished_at.is_not(None))
                .group_by(c.job, c.school_id)
            )
        ).all()
    oldest: dict[str, float] = {}
    for job, _school, finished in rows:
        at = as_utc(finished).timestamp()
        oldest[str(job)] = min(at, oldest.get(str(job), at))
    for job, at in oldest.items():
        JOB_LAST_SUCCESS.labels(service, job).set(at)
    return oldest
