"""The nightly SIS account pull (R-DUTY-3): every night, for every school, the newest account
export the school's SIS dropped is synced (the same sync as an upload, `sync.run_sync`).

Once per night across replicas: each school's night is claimed through ``nightly_runs`` (a lease
row) before anything is read. The report is kept in that row, in the same transaction as the
accounts; a failed night is recorded and publishes ``SisAccountSyncFailed`` so notification alerts
the school's IT section.
"""

from __future__ import annotations

import logging
import os
import posixpath
import socket
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import DomainError
from portfolio_shared.events.identity import SisAccountSyncFailed
from portfolio_shared.nightly import (
    FAILED,
    PARTIAL,
    SUCCEEDED,
    DropFolder,
    DropFolderError,
    NightlyScheduler,
    claim_night,
    finish_night,
    night_runs,
    parse_run_at,
)
from portfolio_shared.permissions import Permission
from portfolio_shared.service import ServiceRuntime

from ..adapters.orm import nightly_runs, schools
from ..config import Settings
from .common import Caller
from .sync import run_sync

log = logging.getLogger(__name__)

JOB = "sis_accounts"
CALLER = Caller.system("nightly-sis-sync")


def replica_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _reason(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, DropFolderError):
        return exc.reason, exc.detail
    if isinstance(exc, DomainError):
        return ("unreadable" if exc.status == 422 else "refused"), exc.detail or exc.title_en
    # Never the message of an unexpected error: it could quote a line of the file.
    return "error", f"the sync failed with {type(exc).__name__}"


async def sync_school(
    runtime: ServiceRuntime, settings: Settings, school_id: str, school_code: str, night: date, owner: str
) -> str | None:
    """One school's night; returns the final status, or None when another replica has the night."""
    claimed = await claim_night(
        runtime.sessionmaker,
        nightly_runs,
        job=JOB,
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
        dropped = await folder.latest(settings.sis_drop_pattern, max_bytes=settings.sync_max_file_bytes)
        source = folder.shown_as + posixpath.basename(dropped.key)
        async with runtime.uow() as uow:
            report = await run_sync(
                uow, CALLER, school_id, dropped.data, max_deactivation_share=settings.sync_max_deactivation_share
            )
            status = PARTIAL if report["rejected"] else SUCCEEDED
            kept = await finish_night(
                uow.session, nightly_runs, job=JOB, school_id=school_id, night=night, owner=owner,
                status=status, source=source, report=report,
            )  # fmt: skip
            if not kept:  # the lease ran out and another replica took the night over: let it finish
                await uow.rollback()
                return None
            await uow.commit()
            return status
    except Exception as exc:
        reason, detail = _reason(exc)
        if reason == "error":
            log.exception("nightly account sync of school %s failed", school_id)
        async with runtime.uow() as uow:
            kept = await finish_night(
                uow.session, nightly_runs, job=JOB, school_id=school_id, night=night, owner=owner,
                status=FAILED, source=source, error={"reason": reason, "detail": detail[:500]},
            )  # fmt: skip
            if kept:
                uow.publish(
                    SisAccountSyncFailed(
                        school_id=school_id,
                        night=night,
                        reason=reason,  # type: ignore[arg-type]  # one of the contract's reasons, see _reason
                        detail=detail[:500],
                        source=source,
                    ),
                    school_id=school_id,
                    actor=CALLER.actor_id,
                )
            await uow.commit()
        return FAILED


async def run_night(
    runtime: ServiceRuntime, settings: Settings, night: date, owner: str | None = None
) -> dict[str, Any]:
    """The night's account pull for every school (R-DUTY-3); returns the status per school."""
    if not settings.sis_drop_url:
        return {}
    me = owner or replica_name()
    async with runtime.uow() as uow:
        rows = (await uow.session.execute(select(schools.c.id, schools.c.code))).all()
    results: dict[str, Any] = {}
    for school_id, school_code in sorted(rows):
        results[school_id] = await sync_school(runtime, settings, school_id, school_code, night, me)
    return results


async def night_reports(uow: UnitOfWork, caller: Caller, school_id: str, limit: int) -> list[dict[str, Any]]:
    """The school's latest nights, newest first, with their kept reports (R-DUTY-3)."""
    caller.authorise(Permission.SIS_SYNC_RUN, school_id)
    return await night_runs(uow.session, nightly_runs, job=JOB, school_id=school_id, limit=limit)


def start_nightly_sync(runtime: ServiceRuntime) -> None:
    """The in-process scheduler of the nightly pull (standalone shape, R-DUTY-3); each school's
    night is leased, so replicas that all run it still pull once."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    if not (settings.nightly_scheduler and settings.sis_drop_url):
        return
    scheduler = NightlyScheduler(
        lambda night: run_night(runtime, settings, night),
        run_at=parse_run_at(settings.nightly_sync_at),
        zone=ZoneInfo(settings.nightly_time_zone),
    )
    runtime.run_in_background(scheduler.run_forever())
