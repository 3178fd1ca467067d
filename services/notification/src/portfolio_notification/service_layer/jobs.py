"""Background jobs in the service process: the e-mail dispatcher and the reminder scheduler.

Dispatcher: claims due e-mails (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so replicas share the work),
sends them, then records the outcome in one transaction. A claim moves ``next_attempt_at`` forward
by ``email_claim_seconds`` and counts the attempt, so a process that dies mid-batch leaves its
e-mails to be claimed again after the claim expires. What was recorded as sent is never sent again.
The one window for a duplicate: the server accepted a message and the process died before the
record committed; that message goes out once more, with the same Message-ID (documented in README).

Scheduler: each replica ticks every ``reminder_interval_seconds``; a lease row lets one run at a time,
and the deliveries' unique key would make a second run harmless anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

from portfolio_shared.events.notification import NotificationFailed, NotificationSent
from portfolio_shared.opsmetrics import job_succeeded
from portfolio_shared.waiting import wait_event

from ..adapters import sql
from ..adapters.mailer import Outgoing, compose
from ..domain.commands import RunReminders
from ..domain.model import backoff_seconds, message_id
from .context import Deps
from .handlers import handle
from .metrics import DELIVERIES

log = logging.getLogger(__name__)


def build_email(deps: Deps, row: dict[str, Any], address: str) -> Outgoing:
    return compose(
        mail_from=deps.settings.mail_from,
        to=address,
        subject=row["subject"],
        body=row["body"],
        message_id=message_id(str(row["id"]), deps.settings.message_id_domain),
        date=format_datetime(deps.now()),
    )


class EmailDispatcher:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._tasks: list[asyncio.Task[None]] = []

    def lanes(self) -> int:
        """Several claim → send → record loops overlap one batch's database work with another's sending.
        Only where claims lock rows (PostgreSQL's SKIP LOCKED); SQLite has one lane."""
        url = self.deps.settings.database_url
        return 1 if url.startswith("sqlite") else self.deps.settings.dispatch_lanes

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._run(), name=f"notification-email-dispatcher-{n}") for n in range(self.lanes())
            ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.deps.mailer.close()

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("e-mail dispatch failed; retrying")
                busy = 0
            if busy:
                continue
            self.deps.email_ready.clear()
            await wait_event(self.deps.email_ready, self.deps.settings.dispatch_poll_seconds)

    async def run_once(self) -> int:
        """Claim, send and record one batch; returns how many were claimed."""
        settings = self.deps.settings
        now = self.deps.now()
        async with self.deps.uow() as uow:
            batch = await sql.claim_due_emails(
                uow.session, now, now + timedelta(seconds=settings.email_claim_seconds), settings.email_batch_size
            )
            await uow.commit()
        if not batch:
            return 0
        outgoing: list[tuple[str, Outgoing]] = []
        results: dict[str, str | None] = {}
        for row in batch:
            if row["email_enc"] is None:  # the address was removed after the message was recorded
                results[str(row["id"])] = "no e-mail address on record"
                continue
            address = self.deps.cipher.decrypt(row["email_enc"])
            outgoing.append((str(row["id"]), build_email(self.deps, row, address)))
        results |= await self.deps.mailer.send_many(outgoing)
        await self._record(batch, results)
        return len(batch)

    async def _record(self, batch: list[dict[str, Any]], results: dict[str, str | None]) -> None:
        settings = self.deps.settings
        now = self.deps.now()
        sent: list[uuid.UUID] = []
        async with self.deps.uow() as uow:
            for row in batch:
                error = results.get(str(row["id"]), "not sent")
                base = {
                    "notification_id": str(row["id"]),
                    "recipient_user_id": row["recipient_user_id"],
                    "school_id": row["school_id"],
                    "channel": "email",
                }
                if error is None:
                    sent.append(row["id"])
                    if not settings.publish_sent_events:
                        continue
                    uow.publish(
                        NotificationSent(**base, template=row["trigger"]),
                        school_id=row["school_id"],
                        actor="system:notification",
                    )
                    continue
                final = row["attempts"] >= settings.email_max_attempts
                retry_at = (
                    None
                    if final
                    else now + timedelta(seconds=backoff_seconds(row["attempts"], settings.email_backoff_seconds))
                )
                await sql.mark_failed(uow.session, row["id"], error, retry_at)
                DELIVERIES.labels("email", "failed" if final else "retried").inc()
                uow.publish(
                    NotificationFailed(**base, reason=error[:300], will_retry=not final),
                    school_id=row["school_id"],
                    actor="system:notification",
                )
                # The delivery id only: the address and the text stay out of the log.
                log.warning(
                    "e-mail %s attempt %d failed (%s)%s",
                    row["id"],
                    row["attempts"],
                    error.split(":", 1)[0],
                    "; given up" if final else "",
                )
            await sql.mark_sent(uow.session, sent, now)
            await uow.commit()
            DELIVERIES.labels("email", "sent").inc(len(sent))


class ReminderScheduler:
    LEASE = "reminders"

    def __init__(self, deps: Deps, holder: str | None = None) -> None:
        self.deps = deps
        self.holder = holder or uuid.uuid4().hex
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="notification-reminders")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reminder run failed; next try at the next tick")
            await asyncio.sleep(self.deps.settings.reminder_interval_seconds)

    async def tick(self) -> int | None:
        """Run the reminders if this replica holds the lease; None if another one does."""
        now = self.deps.now()
        lease_until = now + timedelta(seconds=self.deps.settings.reminder_interval_seconds * 2)
        async with self.deps.uow() as uow:
            if not await sql.take_lease(uow.session, self.LEASE, self.holder, now, lease_until):
                return None
            count = int(await handle(RunReminders(now), uow, self.deps))
            await uow.commit()
        job_succeeded("notification", "reminders", now)
        return count
