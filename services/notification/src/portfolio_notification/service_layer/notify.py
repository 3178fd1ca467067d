"""Fan one trigger occurrence out to its recipients, once per (trigger, recipient, channel)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.notification import NotificationFailed

from ..adapters import sql
from ..adapters.templates import Rendered, render
from ..domain.commands import Notify
from ..domain.model import Contact, channels_for
from .context import Deps
from .metrics import DELIVERIES

log = logging.getLogger(__name__)

FIRST_STATUS = {"inbox": "sent", "email": "pending", "postal": "ready"}


async def school_profile(uow: UnitOfWork, deps: Deps, school_id: str) -> dict[str, Any]:
    row = await sql.school(uow.session, school_id)
    if row is None:
        return {
            "school_name": deps.settings.default_school_name,
            "return_address": "",
            "reminder_days": deps.settings.reminder_days,
        }
    return row


async def notify(cmd: Notify, uow: UnitOfWork, deps: Deps) -> int:
    """Record every message of the occurrence; what was recorded before is skipped, not resent."""
    session = uow.session
    contacts = await sql.load_contacts(session, (r.user_id for r in cmd.recipients))
    profile = await school_profile(uow, deps, cmd.school_id)
    overrides = await sql.overrides(session, cmd.school_id, cmd.trigger)
    now = deps.now()
    rows: list[dict[str, Any]] = []
    for recipient in cmd.recipients:
        # Someone this service has no copy of yet still gets the inbox message.
        contact = contacts.get(recipient.user_id) or Contact(recipient.user_id, cmd.school_id)
        context = {"school_name": profile["school_name"], **cmd.context, **recipient.context}
        context["name"] = contact.display_name
        texts: dict[str, Rendered] = {}  # inbox and e-mail share one text: render it once
        for channel in channels_for(cmd.trigger, contact):
            wording = "postal" if channel == "postal" else "message"
            if wording not in texts:
                texts[wording] = render(cmd.trigger, channel, context, overrides.get(wording))
            text = texts[wording]
            status = FIRST_STATUS[channel]
            error = None
            if channel == "postal" and not contact.has_postal_address:
                status, error = "failed", "no postal address on record"
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "trigger_key": cmd.key,
                    "recipient_user_id": recipient.user_id,
                    "channel": channel,
                    "trigger": cmd.trigger.value,
                    "school_id": cmd.school_id,
                    "subject": text.subject[:300],
                    "body": text.body,
                    "status": status,
                    "attempts": 0,
                    "next_attempt_at": now if channel == "email" else None,
                    "last_error": error,
                    "created_at": now,
                    "sent_at": now if status == "sent" else None,
                }
            )
    new = await sql.insert_new_deliveries(session, rows)
    for row in new:
        if row["channel"] != "email":  # e-mails are counted when the dispatcher sends them
            DELIVERIES.labels(row["channel"], row["status"]).inc()
        if row["status"] == "failed":  # nothing lost: the guidance section sees it in the failed list
            uow.publish(
                NotificationFailed(
                    notification_id=str(row["id"]),
                    recipient_user_id=row["recipient_user_id"],
                    school_id=row["school_id"],
                    channel=row["channel"],
                    reason=row["last_error"],
                    will_retry=False,
                ),
                school_id=row["school_id"],
                actor="system:notification",
            )
    if any(r["channel"] == "email" for r in new):
        deps.email_ready.set()
    log.info("%s: %d new message(s) of %d for %s", cmd.trigger.value, len(new), len(rows), cmd.key)
    return len(new)
