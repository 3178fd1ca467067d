"""Test world for the notification service: feeds other services' events exactly as the consumer
runtime does (inbox included), sets contacts, and waits for the SMTP server to receive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx
from smtp_server import Recorder

from portfolio_notification.bootstrap import deps_of
from portfolio_notification.domain.commands import KeepContact
from portfolio_notification.service_layer.context import Deps
from portfolio_notification.service_layer.handlers import handle
from portfolio_shared.events.base import Envelope, EventPayload, envelope_for
from portfolio_shared.messaging import EventConsumer, IncomingMessage
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.tokens import TokenMinter

CONSUMERS = ("notification.identity", "notification.records", "notification.artifacts", "notification.submission")


@dataclass
class World:
    runtime: ServiceRuntime
    client: httpx.AsyncClient
    minter: TokenMinter
    smtp: Recorder
    school: str = "sch-A"

    @property
    def deps(self) -> Deps:
        return deps_of(self.runtime)

    def envelope(self, payload: EventPayload, occurred_at: datetime | None = None) -> Envelope:
        return envelope_for(payload, school_id=self.school, actor="test", occurred_at=occurred_at)

    async def feed(self, payload: EventPayload | Envelope) -> None:
        env = payload if isinstance(payload, Envelope) else self.envelope(payload)
        for subs in self.runtime.subscriptions:
            if env.routing_key in subs.handlers:
                consumer = EventConsumer(subs, self.runtime.uow, self.runtime.inbox)
                msg = IncomingMessage(env.routing_key, env.to_bytes(), str(env.event_id), {}, 1)
                await consumer.handle(msg)
                return
        raise AssertionError(f"no consumer for {env.routing_key}")

    async def contact(self, user_id: str, **kw: object) -> None:
        """The contact read copy as identity's / records' contact events will fill it."""
        async with self.runtime.uow() as uow:
            await handle(KeepContact(user_id, **kw), uow, self.deps)  # type: ignore[arg-type]
            await uow.commit()
