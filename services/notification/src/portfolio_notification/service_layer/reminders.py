"""Reminders before windows close, computed from this service's own copies (never by calling others).

N days (per school, ``school_settings.reminder_days``) before the certification window closes, each
teacher with uncertified outcomes gets ONE message with the count (R-ART-3, R-SCHED-2); before the
upload and selection windows close, each student who has not uploaded / selected gets one
(R-ART-1, R-ART-4, R-PERF-1, R-PERF-2). The trigger key holds the window's closing time, so a rerun,
a restart or a second replica finds the same key and sends nothing twice; a window moved to a new
closing time is a new occurrence and reminds again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from portfolio_shared.db import UnitOfWork

from ..adapters import sql
from ..domain.commands import Notify, RunReminders
from ..domain.model import Recipient, Trigger, reminder_due, trigger_key
from .context import Deps
from .notify import notify, school_profile

# phase → (trigger, artifact kind, per semester?, what in Chinese, what in English)
REMINDER_PHASES: dict[str, tuple[Trigger, str, bool, str, str]] = {
    "outcome_certification": (Trigger.CERTIFICATION_REMINDER, "outcome", True, "課程學習成果", "course outcome"),
    "outcome_upload": (Trigger.UPLOAD_REMINDER, "outcome", True, "課程學習成果", "course outcome"),
    "outcome_selection": (Trigger.SELECTION_REMINDER, "outcome", False, "課程學習成果", "course outcome"),
    "performance_upload": (Trigger.UPLOAD_REMINDER, "performance", False, "多元表現", "multiple performance"),
    "performance_selection": (Trigger.SELECTION_REMINDER, "performance", False, "多元表現", "multiple performance"),
}
TAIPEI = ZoneInfo("Asia/Taipei")


def _local(moment: datetime) -> str:
    return moment.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M")


async def remind_window(uow: UnitOfWork, deps: Deps, window: dict[str, Any], now: datetime) -> int:
    """Send the reminders of one window if they are due (called by the scheduler and on a new window)."""
    spec = REMINDER_PHASES.get(window["phase"])
    if spec is None:
        return 0
    trigger, kind, per_semester, what_zh, what_en = spec
    school_id = window["school_id"]
    profile = await school_profile(uow, deps, school_id)
    if not reminder_due(now, window["ends_at"], profile["reminder_days"]):
        return 0
    year, semester = window["academic_year"], window["semester"]
    recipients: list[Recipient]
    if trigger is Trigger.CERTIFICATION_REMINDER:
        counts = await sql.uncertified_by_certifier(uow.session, school_id, year, semester)
        recipients = [Recipient(teacher, {"count": n}) for teacher, n in sorted(counts.items())]
    else:
        done = await sql.students_with_artifacts(
            uow.session,
            school_id,
            kind,
            year,
            semester if per_semester else None,
            selected=trigger is Trigger.SELECTION_REMINDER,
        )
        recipients = [Recipient(s) for s in sorted(await sql.students_of(uow.session, school_id)) if s not in done]
    if not recipients:
        return 0
    key = trigger_key(trigger, school_id, window["phase"], year, semester, window["ends_at"].isoformat())
    return await notify(
        Notify(
            trigger,
            key,
            school_id,
            tuple(recipients),
            {"closes_at": _local(window["ends_at"]), "what_zh": what_zh, "what_en": what_en},
        ),
        uow,
        deps,
    )


async def run_reminders(cmd: RunReminders, uow: UnitOfWork, deps: Deps) -> int:
    total = 0
    for window in await sql.open_windows(uow.session, cmd.now, REMINDER_PHASES):
        total += await remind_window(uow, deps, window, cmd.now)
    return total
