"""Long jobs answer 202 with a job resource (issue 10): one module for every service that has them.

A route that starts a long job (records' grade import, identity's SIS account sync; submission's
package builds next) checks what it can at once (permission, size), stores the job — its input
file included, so nothing is lost if the process stops — and answers ``202 Accepted`` with the job
and a ``Location: /api/v1/jobs/{id}`` header. A runner in the service's process claims queued
jobs, runs them and keeps the final report (or the problem that failed the job) in the job row;
``GET /api/v1/jobs/{id}`` shows status, progress and report.

- ``jobs_table(metadata)``: the table, in the service's ORM; a migration per service creates it
  (spelled out there, as every migration is).
- ``enqueue(session, table, …)`` in the request's unit of work (the route commits, then wakes the
  runner).
- ``JobRunner(runtime, table, handlers)``: claims a job with a lease (a conditional UPDATE, atomic on
  PostgreSQL and SQLite alike), runs ``handlers[kind](uow, job, progress)`` and records success in
  the SAME transaction as the work, so a job never says "succeeded" for work that was rolled back.
  A handler raising a domain error fails the job with that problem (no retry: the input is wrong);
  a dependency outage puts the job back in the queue; any other exception fails it with
  ``job-failed`` (the log has the traceback, the job never shows the exception text, which could
  quote the file). A replica that dies mid-job leaves its lease to run out: the next claim takes
  the job over and counts the attempt; after ``max_attempts`` the job fails as ``job-abandoned``.
  The input file is dropped from the row once the job has ended.
- Progress: ``await progress(stage, done, total)`` from the handler. On PostgreSQL it is written
  at once in its own short transaction (and extends the lease); SQLite has one writer, which the
  job's own transaction holds, so there it is kept in the runner's memory and the route shows it
  (the standalone shape is one process).
- ``portfolio_shared.jobs_api``: ``jobs_router(table, readers)`` serves ``GET /api/v1/jobs/{job_id}``
  (``JobPublic``) and ``accepted`` answers the 202 with ``Location``. Object-level authorisation:
  the person who started the job, or staff of the job's school holding the kind's read
  permission; anyone else gets 404, so a job's existence does not leak.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from .db import UnitOfWork
from .errors import DomainError, InternalFailure
from .nightly import replica_name
from .outage import classify
from .problems import problem_body
from .timefmt import UtcTimestamp
from .waiting import wait_event

if TYPE_CHECKING:
    from .service import ServiceRuntime

log = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
JobStatus = Literal["queued", "running", "succeeded", "failed"]
JOBS_PATH = "/api/v1/jobs"


def jobs_table(metadata: MetaData, name: str = "jobs") -> Table:
    """The service's jobs: input, lease, progress and the final report or problem."""
    return Table(
        name,
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("kind", String(40), nullable=False),  # grade_import, sis_account_sync, …
        Column("school_id", String(64), nullable=False),
        Column("owner_id", String(64), nullable=False),  # who started it (may always read it)
        Column("status", String(16), nullable=False),
        Column("params", JSON, nullable=False),  # the route's options (dry_run, …)
        Column("payload", LargeBinary, nullable=True),  # the uploaded file, until the job has ended
        Column("attempt", Integer, nullable=False),
        Column("lease_owner", String(200), nullable=True),
        Column("lease_until", DateTime(timezone=True), nullable=True),
        Column("stage", String(40), nullable=False),
        Column("done", Integer, nullable=False),
        Column("total", Integer, nullable=True),
        Column("report", JSON, nullable=True),
        Column("error", JSON, nullable=True),  # the problem (problem+json members) of a failed job
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("started_at", DateTime(timezone=True), nullable=True),
        Column("finished_at", DateTime(timezone=True), nullable=True),
        Index(f"ix_{name}_claim", "status", "created_at"),
        Index(f"ix_{name}_school", "school_id", "created_at"),
    )


# -- the resource -------------------------------------------------------------------------------------
class JobProgress(BaseModel):
    stage: str  # queued, started, then the handler's own stages (parsed, storing, …), finished
    done: int  # lines (or items) handled so far
    total: int | None  # how many there are, once known


class JobPublic(BaseModel):
    """A long job (202 Accepted): poll ``href`` until ``status`` is succeeded or failed."""

    id: uuid.UUID
    kind: str
    school_id: str
    owner_id: str
    status: JobStatus
    attempt: int  # > 1 when a replica took over a job whose worker stopped
    progress: JobProgress
    created_at: UtcTimestamp
    started_at: UtcTimestamp | None
    finished_at: UtcTimestamp | None
    report: dict[str, Any] | None  # the kind's report (e.g. records' GradeImportPublic) once succeeded
    error: dict[str, Any] | None  # a failed job's problem: type, code, title, title_en, title_zh, detail …
    href: str


def job_public(
    row: Mapping[str, Any], *, live: tuple[str, int, int | None] | None = None, lang: str = "zh-TW"
) -> JobPublic:
    stage, done, total = (
        live if live is not None and row["status"] == RUNNING else (row["stage"], row["done"], row["total"])
    )
    error = row["error"]
    if error is not None:
        error = {**error, "title": error["title_en"] if lang == "en" else error["title_zh"]}
    return JobPublic(
        id=row["id"],
        kind=row["kind"],
        school_id=row["school_id"],
        owner_id=row["owner_id"],
        status=row["status"],
        attempt=row["attempt"],
        progress=JobProgress(stage=stage, done=done, total=total),
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        report=row["report"],
        error=error,
        href=f"{JOBS_PATH}/{row['id']}",
    )


# -- queries ------------------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


async def enqueue(
    session: AsyncSession,
    table: Table,
    *,
    kind: str,
    school_id: str,
    owner_id: str,
    params: Mapping[str, Any] | None = None,
    payload: bytes | None = None,
) -> dict[str, Any]:
    """Store a queued job in the caller's transaction; returns its row (for ``job_public``)."""
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "kind": kind,
        "school_id": school_id,
        "owner_id": owner_id,
        "status": QUEUED,
        "params": dict(params or {}),
        "payload": payload,
        "attempt": 0,
        "lease_owner": None,
        "lease_until": None,
        "stage": "queued",
        "done": 0,
        "total": None,
        "report": None,
        "error": None,
        "created_at": _now(),
        "started_at": None,
        "finished_at": None,
    }
    await session.execute(insert(table).values(**row))
    return row


async def get_job(session: AsyncSession, table: Table, job_id: uuid.UUID) -> dict[str, Any] | None:
    columns = [c for c in table.columns if c.name != "payload"]
    row = (await session.execute(select(*columns).where(table.c.id == job_id))).mappings().first()
    return None if row is None else dict(row)


async def purge_finished(session: AsyncSession, table: Table, older_than: datetime) -> int:
    """Drop ended jobs older than the horizon (their reports are kept by the work itself, e.g.
    records' grade_imports and identity's sis_sync_runs)."""
    result = await session.execute(
        delete(table).where(table.c.status.in_((SUCCEEDED, FAILED)), table.c.finished_at < older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# -- the runner ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Job:
    id: uuid.UUID
    kind: str
    school_id: str
    owner_id: str
    params: dict[str, Any]
    payload: bytes | None
    attempt: int


class Progress(Protocol):
    async def __call__(self, stage: str, done: int = 0, total: int | None = None) -> None: ...


JobHandler = Callable[[UnitOfWork, Job, Progress], Awaitable[dict[str, Any]]]


def error_of(exc: BaseException) -> dict[str, Any]:
    """The problem kept for a failed job: a domain error as it would have been answered; anything
    else as a generic failure that never quotes the exception (it could quote the file)."""
    if not isinstance(exc, DomainError):
        exc = InternalFailure(
            f"the job failed with {type(exc).__name__}; the service's log has the details",
            "工作執行失敗，詳情請見服務紀錄",
            code="job-failed",
            title_en="Job failed",
            title_zh="工作失敗",
        )
    body = problem_body(exc, lang="en")
    body.pop("title", None)  # chosen per reader by Accept-Language when the job is shown
    return body


class JobRunner:
    """Claims and runs the service's jobs; one per process (every replica may run one)."""

    def __init__(
        self,
        runtime: ServiceRuntime,
        table: Table,
        handlers: Mapping[str, JobHandler],
        *,
        lease: timedelta = timedelta(minutes=10),
        max_attempts: int = 3,
        poll_seconds: float = 5.0,
        keep_for: timedelta = timedelta(days=30),
        owner: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.table = table
        self.handlers = dict(handlers)
        self.lease = lease
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.keep_for = keep_for
        self.owner = owner or replica_name()
        self.live: dict[uuid.UUID, tuple[str, int, int | None]] = {}
        self._wake = asyncio.Event()
        self._last_purge: datetime | None = None

    def start(self, runtime: ServiceRuntime | None = None) -> None:
        """Run for as long as the service runs (a ``create_app(on_startup=[runner.start])`` hook)."""
        self.runtime.run_in_background(self.run_forever())

    def wake(self) -> None:
        """A job was queued (after its commit): look now rather than at the next poll."""
        self._wake.set()

    def _claimable(self, at: datetime) -> Any:
        # Only kinds this process can run: a replica of an older release leaves a newer kind alone.
        t = self.table
        return and_(
            t.c.kind.in_(sorted(self.handlers)),
            or_(t.c.status == QUEUED, and_(t.c.status == RUNNING, t.c.lease_until < at)),
        )

    async def claim(self) -> Job | None:
        """Take the oldest queued job, or one whose worker's lease ran out; None if there is none."""
        t = self.table
        while True:
            at = _now()
            async with self.runtime.sessionmaker() as session:
                ids = (
                    (await session.execute(select(t.c.id).where(self._claimable(at)).order_by(t.c.created_at).limit(5)))
                    .scalars()
                    .all()
                )
                if not ids:
                    return None
                for job_id in ids:
                    taken = await session.execute(
                        update(t)
                        .where(t.c.id == job_id, self._claimable(at))
                        .values(
                            status=RUNNING,
                            lease_owner=self.owner,
                            lease_until=at + self.lease,
                            attempt=t.c.attempt + 1,
                            started_at=at,
                            stage="started",
                        )
                    )
                    await session.commit()
                    if getattr(taken, "rowcount", 0) != 1:
                        continue  # another replica was quicker
                    row = (await session.execute(select(t).where(t.c.id == job_id))).mappings().one()
                    job = Job(
                        row["id"], row["kind"], row["school_id"], row["owner_id"], dict(row["params"] or {}),
                        row["payload"], row["attempt"],
                    )  # fmt: skip
                    if job.attempt > self.max_attempts:
                        await self._fail(job, _abandoned(job.attempt - 1))
                        break  # look again for the next one
                    return job

    async def _end(self, session: AsyncSession, job: Job, **values: Any) -> bool:
        t = self.table
        result = await session.execute(
            update(t)
            .where(t.c.id == job.id, t.c.lease_owner == self.owner, t.c.status == RUNNING)
            .values(payload=None, finished_at=_now(), lease_until=None, **values)
        )
        return getattr(result, "rowcount", 0) == 1

    async def _fail(self, job: Job, error: dict[str, Any]) -> None:
        async with self.runtime.sessionmaker() as session:
            await self._end(session, job, status=FAILED, stage="finished", error=error)
            await session.commit()

    async def _release(self, job: Job) -> None:
        """Back to the queue after an outage; the attempt does not count."""
        t = self.table
        with contextlib.suppress(Exception):  # the database may still be down: the lease runs out instead
            async with self.runtime.sessionmaker() as session:
                await session.execute(
                    update(t)
                    .where(t.c.id == job.id, t.c.lease_owner == self.owner, t.c.status == RUNNING)
                    .values(status=QUEUED, lease_owner=None, lease_until=None, attempt=t.c.attempt - 1, stage="queued")
                )
                await session.commit()

    def _progress(self, job: Job) -> Progress:
        t = self.table
        shared = self.runtime.engine.dialect.name != "sqlite"

        async def progress(stage: str, done: int = 0, total: int | None = None) -> None:
            self.live[job.id] = (stage, done, total)
            if not shared:
                return
            async with self.runtime.sessionmaker() as session:
                await session.execute(
                    update(t)
                    .where(t.c.id == job.id, t.c.lease_owner == self.owner, t.c.status == RUNNING)
                    .values(stage=stage, done=done, total=total, lease_until=_now() + self.lease)
                )
                await session.commit()

        return progress

    async def run(self, job: Job) -> str | None:
        """Run a claimed job; its final status, or None when it went back to the queue or its
        lease was lost to another replica."""
        handler = self.handlers.get(job.kind)
        if handler is None:
            await self._fail(job, error_of(InternalFailure(f"no handler for jobs of kind {job.kind!r}")))
            return FAILED
        progress = self._progress(job)
        try:
            async with self.runtime.uow() as uow:
                report = await handler(uow, job, progress)
                _stage, done, total = self.live.get(job.id, ("finished", 0, None))
                kept = await self._end(
                    uow.session, job, status=SUCCEEDED, stage="finished", done=done, total=total, report=report
                )
                if not kept:  # the lease ran out and another replica took the job over: let it finish
                    await uow.rollback()
                    return None
                await uow.commit()
                return SUCCEEDED
        except Exception as exc:
            outage = classify(exc)
            if outage is not None:
                log.warning("job %s (%s) waits for %s: %s", job.id, job.kind, outage.dependency, outage.reason)
                await self._release(job)
                return None
            if not isinstance(exc, DomainError):
                log.exception("job %s (%s) failed", job.id, job.kind)
            await self._fail(job, error_of(exc))
            return FAILED
        finally:
            self.live.pop(job.id, None)

    async def run_pending(self) -> int:
        """Run jobs until none is claimable (the CLI, and tests); how many were run."""
        count = 0
        while (job := await self.claim()) is not None:
            await self.run(job)
            count += 1
        return count

    async def _purge(self) -> None:
        at = _now()
        if self._last_purge is not None and at - self._last_purge < timedelta(hours=1):
            return
        self._last_purge = at
        async with self.runtime.sessionmaker() as session:
            await purge_finished(session, self.table, at - self.keep_for)
            await session.commit()

    async def run_forever(self) -> None:
        delay = self.poll_seconds
        while True:
            self._wake.clear()
            try:
                await self.run_pending()
                await self._purge()
                delay = self.poll_seconds
            except Exception as exc:
                # The database is away (or a bug): keep the loop for when it is back.
                outage = classify(exc)
                log.log(logging.WARNING if outage else logging.ERROR, "job runner: %s", exc, exc_info=outage is None)
                delay = min(delay * 2, 60.0)
            await wait_event(self._wake, delay)


def _abandoned(attempts: int) -> dict[str, Any]:
    return error_of(
        InternalFailure(
            f"the job was started {attempts} times and its worker stopped each time; start it again",
            f"工作已啟動 {attempts} 次且每次皆中斷，請重新送出",
            code="job-abandoned",
            title_en="Job abandoned",
            title_zh="工作已中止",
        )
    )
