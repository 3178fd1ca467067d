"""The one visible table from command to handler. Consumers, the API and the scheduler call :func:`handle`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from portfolio_shared.db import UnitOfWork

from ..domain import commands as c
from . import copies, preferences
from .context import Deps
from .notify import notify
from .offices import notify_office
from .reminders import run_reminders

Handler = Callable[[Any, UnitOfWork, Deps], Awaitable[Any]]

HANDLERS: dict[type, Handler] = {
    c.Notify: notify,  # once per (trigger, recipient, channel)
    c.NotifyOffice: notify_office,  # acting person of the office (R-DUTY-2, R-SUB-8)
    c.RunReminders: run_reminders,  # R-ART-1, R-ART-3, R-ART-4, R-PERF-1, R-PERF-2
    c.KeepContact: copies.keep_contact,
    c.KeepWindow: copies.keep_window,  # R-SCHED-1
    c.KeepCertifiers: copies.keep_certifiers,  # R-REC-2
    c.KeepArtifact: copies.keep_artifact,
    c.KeepReceipt: copies.keep_receipt,  # R-SUB-5..R-SUB-7, R-SUB-9
    c.KeepDuty: copies.keep_duty,  # R-DUTY-1, R-DUTY-2
    c.MarkRead: preferences.mark_read,
    c.SetPreferences: preferences.set_preferences,
    c.SetSchoolSettings: preferences.set_school_settings,
    c.SetTemplateOverride: preferences.set_template_override,
    c.RetryDelivery: preferences.retry_delivery,
}


async def handle(cmd: object, uow: UnitOfWork, deps: Deps) -> Any:
    return await HANDLERS[type(cmd)](cmd, uow, deps)
