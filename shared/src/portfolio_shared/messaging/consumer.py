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

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from .. import context
from ..db import UnitOfWork
from ..events.base import Envelope, EventPayload
from .bus import IncomingMessage, MessageBus, PermanentFailure

log = logging.getLogger(__name__)
tracer = trace.get_tracer("portfolio_shared.messaging")

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
    dialect = session.get_bind().dialect.name
    values = {"consumer": consumer, "event_id": event_id, "routing_key": routing_key}
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(inbox).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(inbox).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two dialects above are supported
        raise RuntimeError(f"unsupported dialect {dialect}")
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0) == 1)


class EventConsumer:
    def __init__(self, subscriptions: Subscriptions, uow_factory: Callable[[], UnitOfWork], inbox: Table) -> None:
        self.subscriptions = subscriptions
        self.uow_factory = uow_factory
        self.inbox = inbox

    async def handle(self, message: IncomingMessage) -> None:
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
