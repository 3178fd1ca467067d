"""The nightly SIS grade import (R-DUTY-3): every night, for every school, the newest grade export
the school's SIS dropped is imported (the same import as an upload, under the school's standing
SIS window or its semesters' data-entry windows, R-REC-1).

Once per night across replicas: each school's night is claimed through ``nightly_runs`` (a lease
row) before anything is read. The report is kept in that row, in the same transaction as the
grades; a failed night is recorded and publishes ``GradeSyncFailed`` so notification alerts the
school's IT section.
"""

from __future__ import annotations

import logging
import os
import posixpath
import socket
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from portfolio_records.adapters.orm import known_schools, nightly_runs
from portfolio_records.config import Settings
from portfolio_records.domain.errors import DomainError, GradesFileError, WindowClosed
from portfolio_shared.events.records import GradeSyncFailed
from portfolio_shared.nightly import (
    FAILED,
    PARTIAL,
    SUCCEEDED,
    DropFolder,
    DropFolderError,
    claim_night,
    finish_night,
)
from portfolio_shared.service import ServiceRuntime

from .grades import import_grades

log = logging.getLogger(__name__)

JOB = "sis_grades"
ACTOR = "system:nightly-sis-sync"


def replica_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


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
        dropped = await folder.latest(settings.sis_drop_pattern, max_bytes=settings.grade_file_max_bytes)
        source = folder.shown_as + posixpath.basename(dropped.key)
        async with runtime.uow() as uow:
            report = await import_grades(uow, school_id, ACTOR, dropped.data, nightly=True)
            body: dict[str, Any] = {**asdict(report), "id": str(report.id)}
            status = PARTIAL if report.rejected else SUCCEEDED
            kept = await finish_night(
                uow.session, nightly_runs, job=JOB, school_id=school_id, night=night, owner=owner,
                status=status, source=source, report=body,
            )  # fmt: skip
            if not kept:  # the lease ran out and another replica took the night over: let it finish
                await uow.rollback()
                return None
            await uow.commit()
            return status
    except Exception as exc:
        reason, detail = _reason(exc)
        if reason == "error":
            log.exception("nightly grade import of school %s failed", school_id)
        await _record_failure(runtime, school_id, night, owner, reason, detail[:500], source)
        return FAILED


async def _record_failure(
    runtime: ServiceRuntime, school_id: str, night: date, owner: str, reason: str, detail: str, source: str | None
) -> None:
    async with runtime.uow() as uow:
        kept = await finish_night(
            uow.session, nightly_runs, job=JOB, school_id=school_id, night=night, owner=owner,
            status=FAILED, source=source, error={"reason": reason, "detail": detail},
        )  # fmt: skip
        if kept:
            uow.publish(
                GradeSyncFailed(
                    school_id=school_id,
                    night=night,
                    reason=reason,  # type: ignore[arg-type]  # one of the contract's reasons, see _reason
                    detail=detail,
                    source=source,
                ),
                school_id=school_id,
                actor=ACTOR,
            )
        await uow.commit()


async def run_night(
    runtime: ServiceRuntime, settings: Settings, night: date, owner: str | None = None
) -> dict[str, Any]:
    """The night's import for every school records knows (R-DUTY-3); returns status per school."""
    if not settings.sis_drop_url:
        return {}
    me = owner or replica_name()
    async with runtime.uow() as uow:
        schools = (await uow.session.execute(select(known_schools.c.school_id, known_schools.c.school_code))).all()
    results: dict[str, Any] = {}
    for school_id, school_code in sorted(schools):
        results[school_id] = await sync_school(runtime, settings, school_id, school_code, night, me)
    return results
