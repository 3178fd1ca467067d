"""Subscriptions declared in one place per service, and the runtime that feeds them.

A service writes, in its ``consumers.py``::

    subscriptions = Subscriptions("artifacts.records")

    @subscriptions.on(TeacherAssignmentChanged)
    async def keep_teacher_assignment(event: TeacherAssignmentChanged, envelope: Envelope, uow: UnitOfWork) -> None:
        ...

The runtime records the event id in the inbox inside the same transaction as the handler's
changes, so a redelivered or duplicated event is acked and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from prometheus_client import Gauge
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from .. import context
from ..db import UnitOfWork
from ..dialect import insert_for
from ..events.base import Envelope, EventPayload
from ..outage import UNAVAILABLE, Outage, classify
from . import metrics
from .bus import IncomingMessage, MessageBus, PermanentFailure

log = logging.getLogger(__name__)
tracer = trace.get_tracer("portfolio_shared.messaging")
PAUSED = Gauge("portfolio_consumer_paused", "1 while a consumer waits for its database or storage", ["consumer"])

EventHandler = Callable[[Any, Envelope, UnitOfWork], Awaitable[None]]


class Subscriptions:
    """The table of events one consumer (one queue) handles."""

    def __init__(self, consumer: str) -> None:
        self.consumer = consumer
        self.handlers: dict[str, EventHandler] = {}

    def on(self, *payload_types: type[EventPayload]) -> Callable[[EventHandler], EventHandler]:
        def register(handler: EventHandler) -> EventHandler:
            for ptype in payload_types:
                key = ptype.routing_key()
                if key in self.handlers:
                    raise ValueError(f"{self.consumer}: {key} already has a handler")
                self.handlers[key] = handler
            return handler

        return register

    @property
    def routing_keys(self) -> tuple[str, ...]:
        return tuple(sorted(self.handlers))


async def record_in_inbox(
    session: AsyncSession, inbox: Table, consumer: str, event_id: uuid.UUID, routing_key: str
) -> bool:
    """Insert the inbox row; False if this consumer already processed the event."""
    values = {"consumer": consumer, "event_id": event_id, "routing_key": routing_key}
    stmt = insert_for(session, inbox).values(**values).on_conflict_do_nothing()
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0) == 1)


async def record_many_in_inbox(
    session: AsyncSession, inbox: Table, consumer: str, events: list[tuple[uuid.UUID, str]]
) -> set[uuid.UUID]:
    """Insert many inbox rows in one statement; return the ids that were new for this consumer."""
    rows = [
        {"consumer": consumer, "event_id": eid, "routing_key": key}
        for eid, key in sorted(dict(events).items(), key=lambda item: str(item[0]))  # one order: no deadlocks
    ]
    stmt = insert_for(session, inbox).values(rows).on_conflict_do_nothing().returning(inbox.c.event_id)
    return set((await session.execute(stmt)).scalars().all())


@dataclass(slots=True)
class _Delivery:
    message: IncomingMessage
    envelope: Envelope
    payload: EventPayload
    handler: EventHandler
    done: asyncio.Future[None]


class EventConsumer:
    """Feeds a consumer's handlers, each event inside its own inbox-guarded transaction.

    Under load, deliveries waiting at the same time are handled together in ONE transaction
    (one inbox insert for all, one commit): that is what keeps a deadline-day backlog moving. If any
    handler of such a batch fails, the batch is rolled back and every delivery in it is handled on
    its own, so only the failing one is retried and dead-lettered. ``max_batch=1`` turns it off.

    An outage is not a poison message. A failure that :func:`portfolio_shared.outage.classify`
    calls a dependency outage (database or storage unreachable) never reaches the bus: the consumer
    PAUSES — the delivery that met the outage keeps retrying itself with backoff (it is the probe),
    every other delivery waits unacked for it — and resumes when the probe gets through. A message
    held unacked costs no delivery, so the quorum queue's limit and the DLQ only ever see failures
    of the message itself. The broker hands out no more than the prefetch while paused, so a
    consumer whose database is down stops taking messages, as readiness says.
    """

    def __init__(
        self,
        subscriptions: Subscriptions,
        uow_factory: Callable[[], UnitOfWork],
        inbox: Table,
        *,
        max_batch: int = 50,
        max_concurrent_batches: int = 4,
        pause_base_seconds: float = 0.5,
        pause_max_seconds: float = 5.0,
        service: str = "",
    ) -> None:
        self.subscriptions = subscriptions
        self.uow_factory = uow_factory
        self.inbox = inbox
        self.max_batch = max_batch
        self.max_concurrent_batches = max_concurrent_batches
        self._waiting: list[_Delivery] = []
        self._workers: set[asyncio.Task[None]] = set()
        self.pause_base_seconds = pause_base_seconds
        self.pause_max_seconds = pause_max_seconds
        self.service = service
        self._running = asyncio.Event()  # cleared while paused
        self._running.set()
        self.pauses = 0  # how many outages this consumer sat out (tests, logs)

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def _decode(self, message: IncomingMessage) -> tuple[Envelope, EventPayload, EventHandler]:
        try:
            envelope = Envelope.from_bytes(message.body)
        except ValidationError as exc:
            raise PermanentFailure(f"not an event envelope: {exc.error_count()} errors") from exc
        handler = self.subscriptions.handlers.get(envelope.routing_key)
        if handler is None:
            raise PermanentFailure(f"{self.subscriptions.consumer} has no handler for {envelope.routing_key}")
        try:
            payload = envelope.decode()
        except (LookupError, ValidationError) as exc:
            raise PermanentFailure(f"payload of {envelope.routing_key} does not match its contract") from exc
        return envelope, payload, handler

    @contextmanager
    def _processing(self, message: IncomingMessage, envelope: Envelope) -> Iterator[None]:
        """The consumer span (child of the producer's trace) and the causation context."""
        parent = propagate.extract(dict(message.headers))
        with (
            tracer.start_as_current_span(
                f"{envelope.routing_key} process",
                context=parent,
                kind=SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "rabbitmq",
                    "messaging.operation": "process",
                    "messaging.destination.name": self.subscriptions.consumer,
                    "messaging.message.id": str(envelope.event_id),
                    "messaging.rabbitmq.destination.routing_key": envelope.routing_key,
                    "messaging.delivery_count": message.delivery_count,
                },
            ),
            context.acting(
                context.ActionContext(
                    actor=f"system:{self.subscriptions.consumer}",
                    correlation_id=envelope.correlation_id,
                    causation_id=envelope.event_id,
                )
            ),
        ):
            yield

    async def handle(self, message: IncomingMessage) -> None:
        consumer = self.subscriptions.consumer
        if message.delivery_count > 1:
            metrics.REDELIVERED.labels(consumer).inc()
        try:
            occurred_at = await self._handle(message)
        except BaseException:
            metrics.FAILED.labels(consumer).inc()
            raise
        metrics.HANDLED.labels(consumer).inc()
        metrics.LAG.labels(consumer).observe(max(0.0, (datetime.now(UTC) - occurred_at).total_seconds()))

    async def _handle(self, message: IncomingMessage) -> datetime:
        envelope, payload, handler = self._decode(message)
        probing = False  # this delivery met the outage and retries itself until it gets through
        attempt = 0
        try:
            while True:
                if not probing:
                    await self._running.wait()
                try:
                    await self._dispatch(message, envelope, payload, handler)
                    return envelope.occurred_at
                except Exception as exc:
                    found = classify(exc)
                    if found is None or found.statement_cancelled:
                        raise  # the message itself failed: the bus retries and dead-letters it
                    if not probing and self._running.is_set():
                        probing = True
                        self._pause(found)
                    if probing:
                        attempt += 1
                        await asyncio.sleep(
                            min(self.pause_max_seconds, self.pause_base_seconds * 2 ** min(attempt - 1, 16))
                        )
        finally:
            if probing:  # through (or failed for its own reason, or cancelled): let the others go
                self._resume()

    def _pause(self, found: Outage) -> None:
        self._running.clear()
        self.pauses += 1
        PAUSED.labels(self.subscriptions.consumer).set(1)
        UNAVAILABLE.labels(self.service, found.dependency, "consumer").inc()
        log.warning(
            "%s: paused, %s unavailable (%s); messages stay unacked and are retried with backoff",
            self.subscriptions.consumer,
            found.dependency,
            found.reason,
        )

    def _resume(self) -> None:
        if not self._running.is_set():
            self._running.set()
            PAUSED.labels(self.subscriptions.consumer).set(0)
            log.info("%s: resumed", self.subscriptions.consumer)

    async def _dispatch(
        self, message: IncomingMessage, envelope: Envelope, payload: EventPayload, handler: EventHandler
    ) -> None:
        if self.max_batch <= 1:
            await self._handle_one(message, envelope, payload, handler)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Delivery(message, envelope, payload, handler, done))
        if len(self._workers) < self.max_concurrent_batches:
            worker = asyncio.create_task(self._drain())
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
        await done

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
            await self._handle_batch(batch)

    async def _handle_batch(self, batch: list[_Delivery]) -> None:
        if len(batch) > 1:
            try:
                async with self.uow_factory() as uow:
                    fresh = await record_many_in_inbox(
                        uow.session,
                        self.inbox,
                        self.subscriptions.consumer,
                        [(d.envelope.event_id, d.envelope.routing_key) for d in batch],
                    )
                    for d in batch:
                        if d.envelope.event_id not in fresh:
                            continue  # already processed (or twice in this batch): ack, change nothing
                        fresh.discard(d.envelope.event_id)
                        with self._processing(d.message, d.envelope):
                            await d.handler(d.payload, d.envelope, uow)
                    await uow.commit()
            except Exception as exc:
                found = classify(exc)
                if found is not None and not found.statement_cancelled:  # the database is away, not a message
                    for d in batch:
                        if not d.done.done():
                            d.done.set_exception(exc)
                    return
                log.warning(
                    "%s: a batch of %d failed; handling each on its own",
                    self.subscriptions.consumer,
                    len(batch),
                    exc_info=True,
                )
            else:
                for d in batch:
                    if not d.done.done():
                        d.done.set_result(None)
                return
        for d in batch:
            try:
                await self._handle_one(d.message, d.envelope, d.payload, d.handler)
            except BaseException as exc:
                if not d.done.done():
                    d.done.set_exception(exc)
            else:
                if not d.done.done():
                    d.done.set_result(None)

    async def _handle_one(
        self, message: IncomingMessage, envelope: Envelope, payload: EventPayload, handler: EventHandler
    ) -> None:
        with self._processing(message, envelope):
            async with self.uow_factory() as uow:
                fresh = await record_in_inbox(
                    uow.session, self.inbox, self.subscriptions.consumer, envelope.event_id, envelope.routing_key
                )
                if not fresh:
                    log.info(
                        "%s: duplicate %s %s ignored",
                        self.subscriptions.consumer,
                        envelope.routing_key,
                        envelope.event_id,
                    )
                    await uow.rollback()
                    return
                await handler(payload, envelope, uow)
                await uow.commit()

    async def start(self, bus: MessageBus) -> None:
        await bus.subscribe(self.subscriptions.consumer, self.subscriptions.routing_keys, self.handle)
