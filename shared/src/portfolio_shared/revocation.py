"""Token revocation that every service enforces without a call to identity per request (ASVS V7).

Identity publishes ``identity.user.tokens_revoked`` through its outbox when an account is
suspended or leaves, loses a role, or signs out (everywhere, or one sign-in). Every service —
identity included — consumes it on its own queue ``<service>.revocations``, keeps it in its own
``token_revocations`` table (so a restart forgets nothing) and in a :class:`RevocationStore` in
memory that the token verifier consults on every request (a dictionary lookup).

Several replicas of a service share one queue, so only one of them receives a given event; each
replica therefore also re-reads the table every ``poll_seconds`` (rows recorded lately) and in full
every ``full_reload_seconds``. A revocation reaches every replica within seconds.

An entry refuses tokens *issued before* its time. Since verifiers refuse any token that lives
longer than the issuer's maximum, an entry older than that maximum can refuse nothing more and is
dropped from memory and from the table.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, case, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .clock import as_utc
from .db import UnitOfWork
from .dialect import insert_for
from .events.base import Envelope
from .events.identity import TokensRevoked
from .messaging.consumer import Subscriptions

log = logging.getLogger(__name__)

TABLE_NAME = "token_revocations"


def revocation_table(metadata: MetaData) -> Table:
    return Table(
        TABLE_NAME,
        metadata,
        # "user:<id>" refuses every token of the user, "family:<id>" the tokens of one sign-in.
        Column("subject", String(200), primary_key=True),
        Column("not_before", DateTime(timezone=True), nullable=False),
        Column("reason", String(50), nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Index(f"ix_{TABLE_NAME}_recorded_at", "recorded_at"),
    )


def subject_of(event: TokensRevoked) -> str:
    return f"family:{event.family_id}" if event.family_id else f"user:{event.user_id}"


class RevocationStore:
    """Subject → epoch seconds before which its tokens are refused. Only ever tightens."""

    def __init__(self) -> None:
        self._not_before: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._not_before)

    def revoke(self, subject: str, not_before: float) -> None:
        if not_before > self._not_before.get(subject, float("-inf")):
            self._not_before[subject] = not_before

    def is_revoked(self, user_id: str, session_id: str, issued_at: float) -> bool:
        """True when the token (its user, its sign-in) was revoked after it was issued."""
        if issued_at < self._not_before.get(f"user:{user_id}", float("-inf")):
            return True
        return bool(session_id) and issued_at < self._not_before.get(f"family:{session_id}", float("-inf"))

    def forget_before(self, horizon: float) -> None:
        """Drop entries that can no longer refuse an unexpired token."""
        self._not_before = {s: t for s, t in self._not_before.items() if t >= horizon}


async def record_revocation(session: AsyncSession, table: Table, event: TokensRevoked, now: datetime) -> None:
    """Upsert the row, keeping the later time when two revocations of one subject cross."""
    values: dict[str, Any] = {
        "subject": subject_of(event),
        "not_before": event.not_before,
        "reason": event.reason,
        "recorded_at": now,
    }
    stmt = insert_for(session, table).values(**values)
    later = stmt.excluded.not_before > table.c.not_before
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["subject"],
            set_={
                "not_before": case((later, stmt.excluded.not_before), else_=table.c.not_before),
                "reason": case((later, stmt.excluded.reason), else_=table.c.reason),
                "recorded_at": stmt.excluded.recorded_at,
            },
        )
    )


def revocation_subscriptions(service_name: str, table: Table, store: RevocationStore) -> Subscriptions:
    """The subscription every service runs (the chassis adds it; see ``service.build_runtime``)."""
    subscriptions = Subscriptions(f"{service_name}.revocations")

    @subscriptions.on(TokensRevoked)
    async def keep_revocation(event: TokensRevoked, envelope: Envelope, uow: UnitOfWork) -> None:
        await record_revocation(uow.session, table, event, datetime.now(UTC))
        # Tightening memory before the commit is safe: a failed commit is redelivered and re-applied.
        store.revoke(subject_of(event), event.not_before.timestamp())

    return subscriptions


class RevocationSync:
    """Keeps one replica's store in step with the service's table, and prunes both."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        table: Table,
        store: RevocationStore,
        *,
        max_token_seconds: float,
        poll_seconds: float = 2.0,
        full_reload_seconds: float = 60.0,
    ) -> None:
        self.sessionmaker, self.table, self.store = sessionmaker, table, store
        self.max_token_seconds = max_token_seconds
        self.poll_seconds, self.full_reload_seconds = poll_seconds, full_reload_seconds
        self._last_full = 0.0
        self._watermark: datetime | None = None

    def _horizon(self, now: datetime) -> datetime:
        # A minute of slack over the token cap covers clock leeway between identity and verifiers.
        return now - timedelta(seconds=self.max_token_seconds + 60)

    async def load(self, *, full: bool) -> int:
        """Read the table into the store; returns how many rows were read."""
        now = datetime.now(UTC)
        stmt = select(self.table.c.subject, self.table.c.not_before, self.table.c.recorded_at)
        if full or self._watermark is None:
            stmt = stmt.where(self.table.c.not_before >= self._horizon(now))
        else:
            # Overlap: a row stamped just before the last poll may have committed just after it.
            stmt = stmt.where(self.table.c.recorded_at >= self._watermark - timedelta(seconds=30))
        async with self.sessionmaker() as session:
            rows = (await session.execute(stmt)).all()
            if full:
                await session.execute(delete(self.table).where(self.table.c.not_before < self._horizon(now)))
                await session.commit()
        for subject, not_before, recorded_at in rows:
            self.store.revoke(subject, as_utc(not_before).timestamp())
            recorded = as_utc(recorded_at)
            if self._watermark is None or recorded > self._watermark:
                self._watermark = recorded
        if self._watermark is None:
            self._watermark = now
        if full:
            self.store.forget_before(self._horizon(now).timestamp())
            self._last_full = time.monotonic()
        return len(rows)

    async def run(self) -> None:
        while True:
            try:
                await self.load(full=time.monotonic() - self._last_full >= self.full_reload_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be restarting: keep what we know, try again
                log.warning("cannot read token revocations (%s); keeping %d in memory", exc, len(self.store))
            await asyncio.sleep(self.poll_seconds)


def with_revocations(
    service_name: str,
    metadata: MetaData,
    sessionmaker: async_sessionmaker[AsyncSession],
    store: RevocationStore,
    subscriptions: list[Subscriptions],
    *,
    max_token_seconds: float,
    poll_seconds: float,
) -> RevocationSync | None:
    """Wire a service for revocations: append its subscription to `subscriptions` and return the
    sync that keeps `store` (the verifier's) in step with its table; None without the table."""
    table = metadata.tables.get(TABLE_NAME)
    if table is None:
        return None
    subscriptions.append(revocation_subscriptions(service_name, table, store))
    return RevocationSync(sessionmaker, table, store, max_token_seconds=max_token_seconds, poll_seconds=poll_seconds)
