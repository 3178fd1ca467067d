"""A toy service used by the plumbing tests: outbox, inbox and a non-idempotent effect counter."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from portfolio_shared.db import UnitOfWork
from portfolio_shared.events import Envelope, EventPayload, event
from portfolio_shared.messaging import Subscriptions, messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
effects = Table(
    "effects", metadata, Column("key", String(100), primary_key=True), Column("count", Integer, nullable=False)
)


@event("toy.thing.happened")
class ThingHappened(EventPayload):
    key: str


async def bump(uow: UnitOfWork, key: str) -> None:
    """Deliberately not idempotent: only the inbox makes a duplicate harmless."""
    dialect = uow.session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(effects)
    await uow.session.execute(ins.values(key=key, count=0).on_conflict_do_nothing())
    await uow.session.execute(update(effects).where(effects.c.key == key).values(count=effects.c.count + 1))


def counting_subscriptions(name: str = "toy.counter") -> Subscriptions:
    subs = Subscriptions(name)

    @subs.on(ThingHappened)
    async def count_it(evt: ThingHappened, envelope: Envelope, uow: UnitOfWork) -> None:
        await bump(uow, evt.key)

    return subs


async def effect_count(engine: AsyncEngine, key: str) -> int:
    async with engine.connect() as conn:
        value = (await conn.execute(select(effects.c.count).where(effects.c.key == key))).scalar()
    return int(value or 0)


async def create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
