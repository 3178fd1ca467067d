"""The nightly SIS sync's plumbing (R-DUTY-3): where exports are dropped, a once-per-night lease,
and the scheduler that fires it.

- ``DropFolder``: the place a school's SIS drops its nightly exports, a folder (``file://``) or an
  S3 prefix (``s3://``), one per school from a template such as ``sis/{school_code}/``.
- ``nightly_runs_table``: one row per (job, school, night), the lease and the kept report.
  ``claim_night`` inserts the row (the primary key makes a second replica's insert fail) or takes
  over a run whose lease ran out (a replica died mid-run): a conditional UPDATE, atomic on
  PostgreSQL and SQLite alike, so two replicas or a CronJob beside them run a night only once.
- ``NightlyScheduler``: an in-process loop (standalone shape, or every replica) that starts the
  night's job once the school-local time passes ``run_at``; a Kubernetes CronJob calls the same
  job through the service's CLI instead.
- ``NightlyPull`` + ``pull_night`` / ``pull_school_night`` / ``start_nightly_scheduler``: the whole
  pull (lease → newest export → import and report in one transaction → a failure kept and
  published) written once; a service supplies only its import, its failure reasons and its event.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import os
import posixpath
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Date, DateTime, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .storage import ObjectStorage, make_storage
from .timefmt import UtcTimestamp

if TYPE_CHECKING:
    from .db import UnitOfWork
    from .events import EventPayload
    from .service import ServiceRuntime

log = logging.getLogger(__name__)

RUNNING, SUCCEEDED, PARTIAL, FAILED = "running", "succeeded", "completed_with_rejections", "failed"


def nightly_runs_table(metadata: MetaData) -> Table:
    """The lease and the report of each night's sync of each school (kept, shown by the API)."""
    return Table(
        "nightly_runs",
        metadata,
        Column("job", String(40), primary_key=True),
        Column("school_id", String(64), primary_key=True),
        Column("night", Date, primary_key=True),
        Column("status", String(30), nullable=False),
        Column("owner", String(200), nullable=False),
        Column("attempt", Integer, nullable=False),
        Column("lease_until", DateTime(timezone=True), nullable=False),
        Column("started_at", DateTime(timezone=True), nullable=False),
        Column("finished_at", DateTime(timezone=True), nullable=True),
        Column("source", String(500), nullable=True),
        Column("report", JSON, nullable=True),
        Column("error", JSON, nullable=True),
    )


class NightlyRunPublic(BaseModel):
    """One school's night of a nightly pull, as the reports API shows it (R-DUTY-3)."""

    job: str
    school_id: str
    night: date
    status: str  # running | succeeded | completed_with_rejections | failed
    owner: str  # the replica (host:pid) that held the lease
    attempt: int  # > 1 when a replica took over a night whose holder died
    lease_until: UtcTimestamp
    started_at: UtcTimestamp
    finished_at: UtcTimestamp | None
    source: str | None  # the export read, without credentials
    report: dict[str, Any] | None  # the service's import report (lines rejected by number)
    error: dict[str, Any] | None  # {"reason", "detail"} of a failed night


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def claim_night(
    sessionmaker: async_sessionmaker[AsyncSession],
    table: Table,
    *,
    job: str,
    school_id: str,
    night: date,
    owner: str,
    lease: timedelta,
    now: datetime | None = None,
) -> bool:
    """Take the night's run of ``job`` for a school; False when another replica has or had it.

    A run still ``running`` after its lease ran out was abandoned (its process died): the next
    claimant takes it over and counts the attempt.
    """
    at = now or datetime.now(UTC)
    async with sessionmaker() as session:
        try:
            await session.execute(
                insert(table).values(
                    job=job,
                    school_id=school_id,
                    night=night,
                    status=RUNNING,
                    owner=owner,
                    attempt=1,
                    lease_until=at + lease,
                    started_at=at,
                )
            )
            await session.commit()
            return True
        except IntegrityError:
            await session.rollback()
        key = (table.c.job == job, table.c.school_id == school_id, table.c.night == night)
        result = await session.execute(
            update(table)
            .where(*key, table.c.status == RUNNING, table.c.lease_until < at)
            .values(owner=owner, attempt=table.c.attempt + 1, lease_until=at + lease, started_at=at)
        )
        await session.commit()
        return getattr(result, "rowcount", 0) == 1


async def finish_night(
    session: AsyncSession,
    table: Table,
    *,
    job: str,
    school_id: str,
    night: date,
    owner: str,
    status: str,
    source: str | None,
    report: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> bool:
    """Record the outcome in the caller's transaction (with the import itself); False if the lease was lost."""
    result = await session.execute(
        update(table)
        .where(
            table.c.job == job,
            table.c.school_id == school_id,
            table.c.night == night,
            table.c.owner == owner,
            table.c.status == RUNNING,
        )
        .values(status=status, finished_at=datetime.now(UTC), source=source, report=report, error=error)
    )
    return getattr(result, "rowcount", 0) == 1


async def night_runs(
    session: AsyncSession, table: Table, *, job: str, school_id: str, limit: int = 30
) -> list[dict[str, Any]]:
    """The school's latest nights of ``job``, newest first."""
    rows = await session.execute(
        select(table)
        .where(table.c.job == job, table.c.school_id == school_id)
        .order_by(table.c.night.desc())
        .limit(limit)
    )
    out = []
    for row in rows.mappings():
        item = dict(row)
        for k in ("lease_until", "started_at", "finished_at"):
            if item[k] is not None:
                item[k] = _aware(item[k])
        out.append(item)
    return out


@dataclass(frozen=True, slots=True)
class DroppedFile:
    key: str
    data: bytes


class DropFolderError(Exception):
    """The drop folder cannot be read, or the export is missing or too large."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class DropFolder:
    """Where one school's SIS drops its exports: ``url`` names the store, ``prefix`` the school's folder."""

    storage: ObjectStorage
    prefix: str
    shown_as: str  # the location without credentials, for reports and events

    @classmethod
    def of(cls, url: str, prefix_template: str, *, school_code: str, school_id: str) -> DropFolder:
        prefix = prefix_template.format(school_code=school_code, school_id=school_id)
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        storage = make_storage(url, secret="sis-drop", base_url="http://unused")  # noqa: S106 - never signs
        scheme, _, rest = url.partition("://")
        where = rest.rsplit("@", 1)[-1].split("?", 1)[0]  # credentials and options never shown
        return cls(storage, prefix, f"{scheme}://{where.rstrip('/')}/{prefix}")

    async def latest(self, pattern: str, *, max_bytes: int) -> DroppedFile:
        """The newest export whose file name matches ``pattern`` (names sort by date, e.g.
        ``grades-20261129.csv``); refuses a missing export or one larger than ``max_bytes``."""
        try:
            found = [
                info
                async for info in self.storage.list(self.prefix)
                if "/" not in info.key[len(self.prefix) :] and fnmatch.fnmatch(posixpath.basename(info.key), pattern)
            ]
        except Exception as exc:
            raise DropFolderError("drop_unreadable", f"the drop folder cannot be listed: {type(exc).__name__}") from exc
        if not found:
            raise DropFolderError("no_export", f"no export matching {pattern!r} in {self.shown_as}")
        newest = max(found, key=lambda info: info.key)
        if newest.size > max_bytes:
            raise DropFolderError("too_large", f"{newest.key} is larger than {max_bytes} bytes")
        data = await self.storage.read_head(newest.key, max_bytes + 1)
        return DroppedFile(newest.key, data)


def parse_run_at(value: str) -> time:
    """``HH:MM`` school-local time of the nightly run."""
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))


class NightlyScheduler:
    """Fires ``job(night)`` once a night per process after ``run_at`` (school-local); the job's own
    lease (``claim_night``) makes it once per night across replicas and a CronJob."""

    def __init__(
        self,
        job: Callable[[date], Awaitable[Any]],
        *,
        run_at: time,
        zone: tzinfo,
        poll_seconds: float = 60.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.job = job
        self.run_at = run_at
        self.zone = zone
        self.poll_seconds = poll_seconds
        self.clock = clock or (lambda: datetime.now(UTC))
        self.last_night: date | None = None

    def due(self) -> date | None:
        """The night to run now, if its time has come and this process has not run it yet."""
        local = self.clock().astimezone(self.zone)
        if local.time() < self.run_at:
            return None
        night = local.date()
        return None if night == self.last_night else night

    async def tick(self) -> bool:
        night = self.due()
        if night is None:
            return False
        self.last_night = night
        try:
            await self.job(night)
        except Exception:
            # The job records its own failures per school; this keeps the loop alive for tomorrow.
            log.exception("nightly job for %s failed", night)
        return True

    async def run_forever(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self.poll_seconds)


def replica_name() -> str:
    """Who holds a lease: host and process, so an operator can tell replicas apart in a report."""
    return f"{socket.gethostname()}:{os.getpid()}"


class NightlySettings(Protocol):
    """The settings a service's nightly SIS pull reads (identity's and records' Settings have them)."""

    sis_drop_url: str
    sis_drop_prefix: str
    sis_drop_pattern: str
    nightly_sync_at: str
    nightly_time_zone: str
    nightly_scheduler: bool
    nightly_lease_seconds: int


@dataclass(frozen=True)
class NightlyPull:
    """One service's nightly SIS pull (R-DUTY-3): what it imports and how it reports a failed night.

    ``work`` imports one dropped export in the caller's unit of work and returns the report kept in
    the night's row (a report with ``rejected`` lines makes the night ``completed_with_rejections``);
    ``reason`` turns a failure into (reason, detail) for the kept error and the event, never quoting
    the file; ``failed_event`` builds the ``…night_failed`` event from (school, night, reason,
    detail, source); ``schools`` lists (school_id, school_code) to pull for.
    """

    job: str
    table: Table
    actor: str
    max_bytes: int
    work: Callable[[UnitOfWork, str, DroppedFile], Awaitable[dict[str, Any]]]
    reason: Callable[[Exception], tuple[str, str]]
    failed_event: Callable[[str, date, str, str, str | None], EventPayload]
    schools: Callable[[UnitOfWork], Awaitable[list[tuple[str, str]]]]


async def pull_school_night(
    runtime: ServiceRuntime,
    settings: NightlySettings,
    pull: NightlyPull,
    school_id: str,
    school_code: str,
    night: date,
    owner: str,
) -> str | None:
    """One school's night: lease, read the newest export, import it and keep the report in ONE
    transaction; a failure is kept and published. Returns the final status, or None when another
    replica has (or took over) the night."""
    claimed = await claim_night(
        runtime.sessionmaker,
        pull.table,
        job=pull.job,
        school_id=school_id,
        night=night,
        owner=owner,
        lease=timedelta(seconds=settings.nightly_lease_seconds),
    )
    if not claimed:
        return None
    folder = DropFolder.of(
        settings.sis_drop_url, settings.sis_drop_prefix, school_code=school_code, school_id=school_id
    )
    source: str | None = folder.shown_as
    try:
        dropped = await folder.latest(settings.sis_drop_pattern, max_bytes=pull.max_bytes)
        source = folder.shown_as + posixpath.basename(dropped.key)
        async with runtime.uow() as uow:
            report = await pull.work(uow, school_id, dropped)
            status = PARTIAL if report.get("rejected") else SUCCEEDED
            kept = await finish_night(
                uow.session, pull.table, job=pull.job, school_id=school_id, night=night, owner=owner,
                status=status, source=source, report=report,
            )  # fmt: skip
            if not kept:  # the lease ran out and another replica took the night over: let it finish
                await uow.rollback()
                return None
            await uow.commit()
            return status
    except Exception as exc:
        reason, detail = pull.reason(exc)
        if reason == "error":
            log.exception("nightly %s of school %s failed", pull.job, school_id)
        detail = detail[:500]
        async with runtime.uow() as uow:
            kept = await finish_night(
                uow.session, pull.table, job=pull.job, school_id=school_id, night=night, owner=owner,
                status=FAILED, source=source, error={"reason": reason, "detail": detail},
            )  # fmt: skip
            if kept:
                uow.publish(
                    pull.failed_event(school_id, night, reason, detail, source), school_id=school_id, actor=pull.actor
                )
            await uow.commit()
        return FAILED


async def pull_night(
    runtime: ServiceRuntime, settings: NightlySettings, pull: NightlyPull, night: date, owner: str | None = None
) -> dict[str, str | None]:
    """The night's pull for every school (R-DUTY-3); the status per school (None: another replica's)."""
    if not settings.sis_drop_url:
        return {}
    me = owner or replica_name()
    async with runtime.uow() as uow:
        schools = await pull.schools(uow)
    results: dict[str, str | None] = {}
    for school_id, school_code in sorted(schools):
        results[school_id] = await pull_school_night(runtime, settings, pull, school_id, school_code, night, me)
    return results


def start_nightly_scheduler(
    runtime: ServiceRuntime, settings: NightlySettings, pull: NightlyPull, zone: tzinfo | None = None
) -> None:
    """The in-process scheduler of a nightly pull (standalone shape, R-DUTY-3), when switched on and
    a drop folder is set; each school's night is leased, so replicas that all run it still pull once."""
    if not (settings.nightly_scheduler and settings.sis_drop_url):
        return
    scheduler = NightlyScheduler(
        lambda night: pull_night(runtime, settings, pull, night),
        run_at=parse_run_at(settings.nightly_sync_at),
        zone=zone or ZoneInfo(settings.nightly_time_zone),
    )
    runtime.run_in_background(scheduler.run_forever())
