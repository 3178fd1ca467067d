"""The job runner (portfolio_shared.jobs) on SQLite, the standalone shape's database: leases,
takeover, abandoned jobs, outages and failures behave as on PostgreSQL (integration tests there)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select, update

from portfolio_records.adapters.orm import jobs
from portfolio_records.bootstrap import bootstrap
from portfolio_records.config import Settings
from portfolio_records.domain.crypto import generate_key
from portfolio_shared.jobs import FAILED, QUEUED, RUNNING, SUCCEEDED, Job, JobRunner, Progress, enqueue
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.tokens import TokenMinter

KIND = "job_under_test"


@pytest_asyncio.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'records.db'}",
        broker_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        field_keys=f"k1:{base64.b64encode(generate_key()).decode()}",
        field_current_kid="k1",
        blind_index_key=base64.b64encode(generate_key()).decode(),
        log_json=False,
    )
    runtime = bootstrap(settings, verifier=TokenMinter().verifier())
    await runtime.migrate()
    try:
        yield runtime
    finally:
        await runtime.engine.dispose()


async def _queue(runtime: ServiceRuntime, payload: bytes = b"file") -> uuid.UUID:
    async with runtime.uow() as uow:
        row = await enqueue(uow.session, jobs, kind=KIND, school_id="sch-A", owner_id="u1", payload=payload)
        await uow.commit()
    job_id: uuid.UUID = row["id"]
    return job_id


async def _row(runtime: ServiceRuntime, job_id: uuid.UUID) -> Any:
    async with runtime.engine.connect() as conn:
        return (await conn.execute(select(jobs).where(jobs.c.id == job_id))).mappings().one()


async def _set(runtime: ServiceRuntime, job_id: uuid.UUID, **values: Any) -> None:
    async with runtime.engine.begin() as conn:
        await conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))


async def _counting(uow: Any, job: Job, progress: Progress) -> dict[str, Any]:
    await progress("counted", 3, 3)
    return {"bytes": len(job.payload or b""), "attempt": job.attempt}


async def test_a_job_runs_once_and_keeps_its_report_and_progress(runtime: ServiceRuntime) -> None:
    job_id = await _queue(runtime, b"12345")
    runner = JobRunner(runtime, jobs, {KIND: _counting}, owner="r1")
    assert await runner.run_pending() == 1
    assert await runner.run_pending() == 0  # nothing left: it ran once
    row = await _row(runtime, job_id)
    assert (row["status"], row["report"], row["payload"]) == (SUCCEEDED, {"bytes": 5, "attempt": 1}, None)
    assert (row["stage"], row["done"], row["total"]) == ("finished", 3, 3)
    # SQLite has one writer (the job's transaction): progress stays in the runner while it runs.
    assert runner.live == {}


async def test_takeover_after_a_dead_worker_and_a_late_finish_writes_nothing(runtime: ServiceRuntime) -> None:
    job_id = await _queue(runtime)
    dead, alive = (JobRunner(runtime, jobs, {KIND: _counting}, owner=o) for o in ("dead", "alive"))
    claimed = await dead.claim()
    assert claimed is not None and claimed.attempt == 1
    assert await alive.claim() is None  # the lease still runs
    await _set(runtime, job_id, lease_until=datetime.now(UTC) - timedelta(seconds=1))
    taken = await alive.claim()
    assert taken is not None and taken.attempt == 2
    assert await alive.run(taken) == SUCCEEDED
    assert await dead.run(claimed) is None  # its lease is gone: no second report
    row = await _row(runtime, job_id)
    assert (row["lease_owner"], row["report"]) == ("alive", {"bytes": 4, "attempt": 2})


async def test_abandoned_after_max_attempts(runtime: ServiceRuntime) -> None:
    job_id = await _queue(runtime)
    await _set(runtime, job_id, status=RUNNING, attempt=3, lease_owner="gone", lease_until=datetime.now(UTC))
    runner = JobRunner(runtime, jobs, {KIND: _counting}, owner="r1", max_attempts=3)
    assert await runner.claim() is None
    row = await _row(runtime, job_id)
    assert (row["status"], row["error"]["code"], row["payload"]) == (FAILED, "job-abandoned", None)


@pytest.mark.parametrize(
    ("raised", "status", "code"),
    [
        (ConnectionResetError(104, "Connection reset by peer"), QUEUED, None),  # an outage: back in the queue
        (KeyError("A123456789"), FAILED, "job-failed"),  # a bug: failed, the text never shown
    ],
)
async def test_what_an_exception_does_to_a_job(
    runtime: ServiceRuntime, raised: Exception, status: str, code: str | None
) -> None:
    async def broken(uow: Any, job: Job, progress: Progress) -> dict[str, Any]:
        raise raised

    job_id = await _queue(runtime)
    runner = JobRunner(runtime, jobs, {KIND: broken}, owner="r1")
    job = await runner.claim()
    assert job is not None
    await runner.run(job)
    row = await _row(runtime, job_id)
    assert row["status"] == status
    if code is None:
        assert (row["attempt"], row["lease_owner"], row["payload"]) == (0, None, b"file")
    else:
        assert row["error"]["code"] == code and "A123456789" not in str(row["error"]) and row["payload"] is None


async def test_a_runner_leaves_kinds_it_cannot_run(runtime: ServiceRuntime) -> None:
    job_id = await _queue(runtime)
    assert await JobRunner(runtime, jobs, {"another_kind": _counting}, owner="r1").run_pending() == 0
    assert (await _row(runtime, job_id))["status"] == QUEUED
