"""The nightly SIS grade import (R-DUTY-3): every night, for every school, the newest grade export
the school's SIS dropped is imported (the same import as an upload, under the school's standing
SIS window or its semesters' data-entry windows, R-REC-1).

The pull itself (once per night across replicas through a lease row in ``nightly_runs``, the
report kept in that row in the same transaction as the grades, a failed night recorded and
published as ``GradeSyncFailed`` so notification alerts the school's IT section) is
``portfolio_shared.nightly``; this module says what records imports and how it names a failure.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from portfolio_records.adapters import queries
from portfolio_records.adapters.orm import nightly_runs
from portfolio_records.config import Settings
from portfolio_records.domain.calendar import school_zone
from portfolio_records.domain.errors import DomainError, GradesFileError, WindowClosed
from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.records import GradeSyncFailed
from portfolio_shared.nightly import (
    DropFolderError,
    DroppedFile,
    NightlyPull,
    pull_night,
    replica_name,
    start_nightly_scheduler,
)
from portfolio_shared.service import ServiceRuntime

from .grades import import_grades, report_body

__all__ = ["JOB", "replica_name", "run_night", "start_nightly_sync"]

JOB = "sis_grades"
ACTOR = "system:nightly-sis-sync"


def _reason(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, DropFolderError):
        return exc.reason, exc.detail
    if isinstance(exc, WindowClosed):
        return "window_closed", exc.detail_en
    if isinstance(exc, GradesFileError):
        return "unreadable", exc.detail_en
    if isinstance(exc, DomainError):
        return "refused", exc.detail_en
    # Never the message of an unexpected error: it could quote a line of the file.
    return "error", f"the import failed with {type(exc).__name__}"


def _failed(school_id: str, night: date, reason: str, detail: str, source: str | None) -> GradeSyncFailed:
    return GradeSyncFailed(
        school_id=school_id,
        night=night,
        reason=reason,  # type: ignore[arg-type]  # one of the contract's reasons, see _reason
        detail=detail,
        source=source,
    )


async def _import(uow: UnitOfWork, school_id: str, dropped: DroppedFile) -> dict[str, Any]:
    return report_body(await import_grades(uow, school_id, ACTOR, dropped.data, nightly=True))


def _pull(settings: Settings) -> NightlyPull:
    return NightlyPull(
        job=JOB,
        table=nightly_runs,
        actor=ACTOR,
        max_bytes=settings.grade_file_max_bytes,
        work=_import,
        reason=_reason,
        failed_event=_failed,
        schools=lambda uow: queries.known_school_codes(uow.session),
    )


async def run_night(
    runtime: ServiceRuntime, settings: Settings, night: date, owner: str | None = None
) -> dict[str, str | None]:
    """The night's import for every school records knows (R-DUTY-3); returns status per school."""
    return await pull_night(runtime, settings, _pull(settings), night, owner)


def start_nightly_sync(runtime: ServiceRuntime) -> None:
    """The in-process scheduler of the nightly SIS grade import (standalone shape, R-DUTY-3)."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    start_nightly_scheduler(runtime, settings, _pull(settings), zone=school_zone(settings.nightly_time_zone))
