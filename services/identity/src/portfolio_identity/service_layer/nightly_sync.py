"""The nightly SIS account pull (R-DUTY-3): every night, for every school, the newest account
export the school's SIS dropped is synced (the same sync as an upload, `sync.run_sync`).

The pull itself (once per night across replicas through a lease row in ``nightly_runs``, the
report kept in that row in the same transaction as the accounts, a failed night recorded and
published as ``SisAccountSyncFailed`` so notification alerts the school's IT section) is
``portfolio_shared.nightly``; this module says what identity imports and how it names a failure.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import DomainError
from portfolio_shared.events.identity import SisAccountSyncFailed
from portfolio_shared.nightly import (
    DropFolderError,
    DroppedFile,
    NightlyPull,
    night_runs,
    pull_night,
    replica_name,
    start_nightly_scheduler,
)
from portfolio_shared.permissions import Permission
from portfolio_shared.service import ServiceRuntime

from ..adapters import queries
from ..adapters.orm import nightly_runs
from ..config import Settings
from .common import Caller
from .sync import run_sync

__all__ = ["JOB", "night_reports", "replica_name", "run_night", "start_nightly_sync"]

JOB = "sis_accounts"
CALLER = Caller.system("nightly-sis-sync")


def _reason(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, DropFolderError):
        return exc.reason, exc.detail
    if isinstance(exc, DomainError):
        return ("unreadable" if exc.status == 422 else "refused"), exc.detail or exc.title_en
    # Never the message of an unexpected error: it could quote a line of the file.
    return "error", f"the sync failed with {type(exc).__name__}"


def _failed(school_id: str, night: date, reason: str, detail: str, source: str | None) -> SisAccountSyncFailed:
    return SisAccountSyncFailed(
        school_id=school_id,
        night=night,
        reason=reason,  # type: ignore[arg-type]  # one of the contract's reasons, see _reason
        detail=detail,
        source=source,
    )


def _pull(settings: Settings) -> NightlyPull:
    async def work(uow: UnitOfWork, school_id: str, dropped: DroppedFile) -> dict[str, Any]:
        return await run_sync(
            uow, CALLER, school_id, dropped.data, max_deactivation_share=settings.sync_max_deactivation_share
        )

    return NightlyPull(
        job=JOB,
        table=nightly_runs,
        actor=CALLER.actor_id,
        max_bytes=settings.sync_max_file_bytes,
        work=work,
        reason=_reason,
        failed_event=_failed,
        schools=lambda uow: queries.school_codes(uow.session),
    )


async def run_night(
    runtime: ServiceRuntime, settings: Settings, night: date, owner: str | None = None
) -> dict[str, str | None]:
    """The night's account pull for every school (R-DUTY-3); returns the status per school."""
    return await pull_night(runtime, settings, _pull(settings), night, owner)


async def night_reports(uow: UnitOfWork, caller: Caller, school_id: str, limit: int) -> list[dict[str, Any]]:
    """The school's latest nights, newest first, with their kept reports (R-DUTY-3)."""
    caller.authorise(Permission.SIS_SYNC_RUN, school_id)
    return await night_runs(uow.session, nightly_runs, job=JOB, school_id=school_id, limit=limit)


def start_nightly_sync(runtime: ServiceRuntime) -> None:
    """The in-process scheduler of the nightly pull (standalone shape, R-DUTY-3)."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    start_nightly_scheduler(runtime, settings, _pull(settings))
