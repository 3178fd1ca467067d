"""The outbox relay: publishes committed events with confirms, retrying with backoff until they go out.

It takes every unpublished row in id order each round, never "rows after the last id seen":
a transaction holding a lower id that commits after a higher one is still picked up (the classic
outbox loss). On PostgreSQL rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several relays
(one per pod) share the work without publishing a row twice at the same time. A relay killed
between publishing and marking leaves the row unpublished: it goes out again, and the consumers'
inbox makes the second delivery a no-op (at-least-once + idempotent = effectively once).

It wakes on commit rather than polling: a commit in this process calls :meth:`OutboxRelay.wake`;
on PostgreSQL the relay also LISTENs on ``listen_channel``, on which a unit of work of another
process (a CLI command, a job, a worker without a relay) issues NOTIFY inside its committing
transaction. The poll stays as a slow fallback (a lost notification, a listener reconnecting).
Each round claims up to ``batch_size`` rows, publishes them concurrently with confirms and marks
them in one statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter, Gauge
from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ..clock import as_utc
from ..events.subscribers import subscribed_keys
from ..opsmetrics import job_succeeded
from ..outage import classify
from ..waiting import wait_event
from .bus import MessageBus, OutgoingMessage, Unroutable
from .housekeeping import Purge
from .metrics import OUTBOX_OLDEST_AGE

log = logging.getLogger(__name__)

PUBLISHED = Counter("portfolio_outbox_published_total", "Events published from the outbox", ["service"])
FAILED = Counter("portfolio_outbox_publish_failures_total", "Failed publish attempts", ["service"])
UNROUTABLE = Counter(
    "portfolio_outbox_unroutable_total", "Publish attempts the broker could not route to any queue", ["service"]
)
PENDING = Gauge("portfolio_outbox_pending", "Unpublished outbox rows seen by the last round", ["service"])


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        bus: MessageBus,
        *,
        service: str = "",
        batch_size: int = 200,
        poll_interval: float = 0.2,
        base_backoff: float = 0.5,
        max_backoff: float = 60.0,
        keep_published: timedelta = timedelta(days=7),
        on_published: Callable[[Sequence[int]], Awaitable[None]] | None = None,
        must_route: frozenset[str] | None = None,
        purges: Sequence[Purge] = (),
        listen_channel: str | None = None,
    ) -> None:
        self.engine = engine
        self.listen_channel = listen_channel if engine.dialect.name == "postgresql" else None
        # Other rows with a horizon (inbox, idempotency keys), purged on the same schedule.
        self.purges = list(purges)
        self.outbox = outbox
        self.bus = bus
        self.service = service
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.keep_published = keep_published
        # Called after the broker confirmed and before the rows are marked (metrics, fault tests).
        self.on_published = on_published
        # Routing keys some consumer of the platform is bound to (events/subscribers.py): these go
        # out with the mandatory flag, and one the broker cannot route stays in the outbox (its
        # consumer's queue does not exist yet). A key nobody consumes is published without it.
        self.must_route = subscribed_keys() if must_route is None else must_route
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()  # set while the LISTEN connection is up (tests, metrics)
        self._last_purge = datetime.min.replace(tzinfo=UTC)
        self._last_backlog = datetime.min.replace(tzinfo=UTC)

    def wake(self) -> None:
        """Called after a commit in this process so the event goes out without waiting for a poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """One round: publish what is due; return how many were published."""
        now = datetime.now(UTC)
        o = self.outbox.c
        query = (
            select(o.id, o.event_id, o.routing_key, o.body, o.headers, o.attempts)
            .where(and_(o.published_at.is_(None), or_(o.next_attempt_at.is_(None), o.next_attempt_at <= now)))
            .order_by(o.id)
            .limit(self.batch_size)
        )
        if self.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        async with self.engine.begin() as conn:
            rows = (await conn.execute(query)).all()
            if not rows:
                return 0
            results = await asyncio.gather(*(self._publish(r) for r in rows), return_exceptions=True)
            done = [r.id for r, res in zip(rows, results, strict=True) if not isinstance(res, BaseException)]
            failed = [(r, res) for r, res in zip(rows, results, strict=True) if isinstance(res, BaseException)]
            if done and self.on_published is not None:
                await self.on_published(done)
            if done:
                await conn.execute(update(self.outbox).where(o.id.in_(done)).values(published_at=func.now()))
            for row, exc in failed:
                delay = min(self.max_backoff, self.base_backoff * (2**row.attempts))
                await conn.execute(
                    update(self.outbox)
                    .where(o.id == row.id)
                    .values(
                        attempts=row.attempts + 1,
                        next_attempt_at=now + timedelta(seconds=delay),
                        last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    )
                )
        PUBLISHED.labels(self.service).inc(len(done))
        if failed:
            FAILED.labels(self.service).inc(len(failed))
            unroutable = [r.routing_key for r, exc in failed if isinstance(exc, Unroutable)]
            if unroutable:
                UNROUTABLE.labels(self.service).inc(len(unroutable))
                log.warning(
                    "outbox: %d event(s) unroutable, kept for a later attempt (no queue bound to %s)",
                    len(unroutable),
                    ", ".join(sorted(set(unroutable))),
                )
            log.warning(
                "outbox: %d of %d events not published yet (%s); will retry",
                len(failed),
                len(rows),
                type(failed[0][1]).__name__,
            )
        return len(done)

    async def _publish(self, row: Any) -> None:
        headers = {str(k): str(v) for k, v in (row.headers or {}).items()}
        await self.bus.publish(
            OutgoingMessage(
                routing_key=row.routing_key,
                body=row.body.encode(),
                message_id=str(row.event_id),
                headers=headers,
                mandatory=row.routing_key in self.must_route,
            )
        )

    async def pending_count(self) -> int:
        async with self.engine.connect() as conn:
            return int(
                (
                    await conn.execute(
                        select(func.count()).select_from(self.outbox).where(self.outbox.c.published_at.is_(None))
                    )
                ).scalar_one()
            )

    async def observe_backlog(self) -> tuple[int, float]:
        """Set the backlog gauges (unpublished rows, age of the oldest in seconds) and return them."""
        o = self.outbox.c
        async with self.engine.connect() as conn:
            count, oldest = (
                await conn.execute(select(func.count(), func.min(o.created_at)).where(o.published_at.is_(None)))
            ).one()
        age = 0.0
        if oldest is not None:
            age = max(0.0, (datetime.now(UTC) - as_utc(oldest)).total_seconds())
        PENDING.labels(self.service).set(int(count))
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)
        return int(count), age

    async def purge_published(self) -> int:
        cutoff = datetime.now(UTC) - self.keep_published
        async with self.engine.begin() as conn:
            res = await conn.execute(
                delete(self.outbox).where(
                    and_(self.outbox.c.published_at.is_not(None), self.outbox.c.published_at < cutoff)
                )
            )
        return int(res.rowcount or 0)

    async def run_forever(self) -> None:
        outage_rounds = 0
        while not self._stopping.is_set():
            published = 0
            wait = self.poll_interval
            # Clear before the round: a commit that lands during the round must wake the next one.
            self._wake.clear()
            try:
                published = await self.run_once()
                if datetime.now(UTC) - self._last_backlog > timedelta(seconds=15):
                    self._last_backlog = datetime.now(UTC)
                    await self.observe_backlog()
                if datetime.now(UTC) - self._last_purge > timedelta(minutes=10):
                    self._last_purge = datetime.now(UTC)
                    await self.purge_published()
                    for purge in self.purges:
                        await purge.run(self.engine, service=self.service)
                    job_succeeded(self.service, "purge")
                outage_rounds = 0
            except Exception as exc:
                found = classify(exc)
                if found is None:
                    log.exception("outbox relay round failed; retrying")
                else:
                    # The database is away: one line per attempt, no traceback, and back off.
                    outage_rounds += 1
                    wait = min(self.max_backoff, self.poll_interval * 2**outage_rounds, 5.0)
                    log.warning(
                        "outbox relay: %s unavailable (%s); retrying in %.1fs", found.dependency, found.reason, wait
                    )
            if published >= self.batch_size:
                continue  # more is waiting
            await wait_event(self._wake, wait)

    async def listen_forever(self) -> None:
        """Hold one connection LISTENing on ``listen_channel``; every notification wakes the relay.
        A lost connection is opened again (the poll covers the gap)."""
        assert self.listen_channel is not None
        channel, delay = self.listen_channel, 0.5
        while not self._stopping.is_set():
            try:
                raw = await self._listen_connection()
                try:

                    def on_notify(*_args: object) -> None:
                        self._wake.set()

                    await raw.add_listener(channel, on_notify)
                    self.listening.set()
                    delay = 0.5
                    self._wake.set()  # anything committed while nobody listened
                    while not self._stopping.is_set() and not raw.is_closed():
                        await wait_event(self._stopping, 5)
                finally:
                    self.listening.clear()
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(raw.close(), timeout=2)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox relay: cannot LISTEN on %s (%s); polling until it can", channel, exc)
            if not self._stopping.is_set():
                await wait_event(self._stopping, delay)
                delay = min(delay * 2, 30.0)

    async def _listen_connection(self) -> Any:
        """A connection of its own, outside the engine's pool (a request must never wait for the
        connection the listener holds)."""
        import asyncpg

        url = self.engine.url.set(drivername="postgresql")
        return await asyncpg.connect(url.render_as_string(hide_password=False), timeout=5)

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run_forever(), name=f"outbox-relay:{self.service}")
            if self.listen_channel is not None:
                self._listener = asyncio.create_task(self.listen_forever(), name=f"outbox-listen:{self.service}")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        tasks = [t for t in (self._task, self._listener) if t is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._task = self._listener = None

    async def drain(self, timeout: float = 10.0) -> None:
        """Publish everything pending now (tests, graceful shutdown)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await self.pending_count() and loop.time() < deadline:
            if not await self.run_once():
                await asyncio.sleep(0.05)
