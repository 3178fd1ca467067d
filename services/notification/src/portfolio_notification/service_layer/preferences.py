"""What people change here: read marks, e-mail preferences, school wording, a failed delivery's retry."""

from __future__ import annotations

import uuid

from portfolio_shared.db import UnitOfWork

from ..adapters import sql, templates
from ..adapters.orm import school_settings, template_overrides
from ..domain import commands as c
from ..domain.errors import NotFound, NotRetryable, ReceiptOptOutRefused, ValidationError
from .context import Deps


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"no such {what}") from None


async def mark_read(cmd: c.MarkRead, uow: UnitOfWork, deps: Deps) -> bool:
    found = await sql.mark_read(
        uow.session, cmd.user_id, sorted(cmd.school_ids), _uuid(cmd.message_id, "message"), deps.now()
    )
    if not found:  # another person's or another school's message answers the same (existence does not leak)
        raise NotFound("no such message in your inbox")
    return True


async def set_preferences(cmd: c.SetPreferences, uow: UnitOfWork, deps: Deps) -> bool:
    if not cmd.email_receipts:
        raise ReceiptOptOutRefused(
            "receipt confirmation messages are always e-mailed: a student must be able to check the "
            "receipt before the window closes (R-SUB-7)",
            field="email_receipts",
        )
    await sql.set_email_reminders(uow.session, cmd.user_id, cmd.email_reminders)
    return True


async def set_school_settings(cmd: c.SetSchoolSettings, uow: UnitOfWork, deps: Deps) -> bool:
    if not cmd.school_name.strip():
        raise ValidationError("the school's name is shown in every message", field="school_name")
    values = {
        "school_id": cmd.school_id,
        "reminder_days": cmd.reminder_days,
        "school_name": cmd.school_name.strip(),
        "return_address": cmd.return_address.strip(),
    }
    await sql.upsert(uow.session, school_settings, values, ["school_id"])
    return True


async def set_template_override(cmd: c.SetTemplateOverride, uow: UnitOfWork, deps: Deps) -> bool:
    if cmd.channel not in ("message", "postal"):
        raise ValidationError("channel is 'message' (inbox and e-mail) or 'postal'", field="channel")
    templates.check(cmd.subject, cmd.body)
    values = {
        "school_id": cmd.school_id,
        "trigger": cmd.trigger.value,
        "channel": cmd.channel,
        "subject": cmd.subject,
        "body": cmd.body,
    }
    await sql.upsert(uow.session, template_overrides, values, ["school_id", "trigger", "channel"])
    return True


async def retry_delivery(cmd: c.RetryDelivery, uow: UnitOfWork, deps: Deps) -> bool:
    delivery_id = _uuid(cmd.delivery_id, "delivery")
    row = await sql.delivery(uow.session, delivery_id)
    if row is None or row["school_id"] not in cmd.school_ids:
        raise NotFound("no such delivery")
    if row["status"] != "failed" or row["channel"] != "email":
        raise NotRetryable(f"delivery is {row['status']} on {row['channel']}; only failed e-mails are sent again")
    await sql.requeue(uow.session, delivery_id, deps.now())
    deps.email_ready.set()
    return True
