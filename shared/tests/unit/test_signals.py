"""Housekeeping and signals (issue 10): inbox rows purged after their horizon, and the consumer and
relay metrics move when messages are handled, fail, come again, are dead-lettered or wait."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from toy import ThingHappened, bump, counting_subscriptions, inbox, outbox

from portfolio_shared.db import UnitOfWork, make_sessionmaker
from portfolio_shared.events import Envelope, envelope_for
from portfolio_shared.messaging import EventConsumer, OutboxRelay, OutgoingMessage, Subscriptions
from portfolio_shared.messaging.housekeeping import Purge
from portfolio_shared.messaging.inprocess import InProcessBus
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.testing.fixtures import eventually


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _uow(engine: AsyncEngine) -> UnitOfWork:
    return UnitOfWork(make_sessionmaker(engine), outbox)


@pytest.fixture
async def bus(tmp_path: Path):  # type: ignore[no-untyped-def]
    b = InProcessBus(
        f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        Topology(delivery_limit=1, retry_base_seconds=0.01, retry_max_seconds=0.02),
        poll_seconds=0.05,
    )
    await b.start()
    yield b
    await b.close()


async def _inbox_rows(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(inbox))).scalar_one())


async def test_inbox_rows_are_purged_after_their_horizon_and_not_before(sqlite_engine: AsyncEngine) -> None:
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    keep = timedelta(days=30)
    async with sqlite_engine.begin() as conn:
        await conn.execute(
            insert(inbox),
            [
                # one second past the horizon: purged; exactly at it, and inside it: kept
                {
                    "consumer": "c",
                    "event_id": uuid.uuid4(),
                    "routing_key": "k",
                    "processed_at": now - keep - timedelta(seconds=1),
                },
                {"consumer": "c", "event_id": uuid.uuid4(), "routing_key": "k", "processed_at": now - keep},
                {"consumer": "c", "event_id": uuid.uuid4(), "routing_key": "k", "processed_at": now},
            ],
        )
    before = _value("portfolio_housekeeping_purged_total", service="toy", table="inbox")
    assert await Purge(inbox, "processed_at", keep).run(sqlite_engine, service="toy", now=now) == 1
    assert await _inbox_rows(sqlite_engine) == 2
    assert _value("portfolio_housekeeping_purged_total", service="toy", table="inbox") == before + 1


async def test_a_purge_horizon_must_be_positive(sqlite_engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="positive"):
        await Purge(inbox, "processed_at", timedelta(0)).run(sqlite_engine)


async def test_the_relay_runs_the_purges_on_its_schedule(sqlite_engine: AsyncEngine, bus: InProcessBus) -> None:
    async with sqlite_engine.begin() as conn:
        old = datetime.now(UTC) - timedelta(days=40)
        await conn.execute(insert(inbox).values(consumer="c", event_id=uuid.uuid4(), routing_key="k", processed_at=old))
    relay = OutboxRelay(sqlite_engine, outbox, bus, purges=[Purge(inbox, "processed_at", timedelta(days=30))])
    relay.start()
    try:
        await eventually(lambda: _zero(_inbox_rows(sqlite_engine)))
    finally:
        await relay.stop()


async def _zero(value) -> bool:  # type: ignore[no-untyped-def]
    return await value == 0


async def test_consumer_counters_move(sqlite_engine: AsyncEngine, bus: InProcessBus) -> None:
    consumer = "toy.counter"
    handled = _value("portfolio_consumer_handled_total", consumer=consumer)
    await EventConsumer(counting_subscriptions(consumer), lambda: _uow(sqlite_engine), inbox, max_batch=1).start(bus)
    env = envelope_for(ThingHappened(key="m"), school_id="s", actor="u")
    lag_count = _value("portfolio_consumer_lag_seconds_count", consumer=consumer)
    await bus.publish(OutgoingMessage(routing_key=env.routing_key, body=env.to_bytes(), message_id=str(env.event_id)))
    await eventually(lambda: _true(_value("portfolio_consumer_handled_total", consumer=consumer) == handled + 1))
    assert _value("portfolio_consumer_lag_seconds_count", consumer=consumer) == lag_count + 1


async def test_failures_redeliveries_and_dead_letters_are_counted(
    sqlite_engine: AsyncEngine, bus: InProcessBus
) -> None:
    consumer = "toy.fragile-signals"
    subs = Subscriptions(consumer)

    @subs.on(ThingHappened)
    async def fragile(evt: ThingHappened, envelope: Envelope, uow: UnitOfWork) -> None:
        await bump(uow, evt.key)
        raise RuntimeError("boom")

    failed = _value("portfolio_consumer_failed_total", consumer=consumer)
    again = _value("portfolio_consumer_redelivered_total", consumer=consumer)
    queue = Topology().queue(consumer)
    dead = _value("portfolio_consumer_dead_lettered_total", queue=queue)
    await EventConsumer(subs, lambda: _uow(sqlite_engine), inbox, max_batch=1).start(bus)
    env = envelope_for(ThingHappened(key="f"), school_id="s", actor="u")
    await bus.publish(OutgoingMessage(routing_key=env.routing_key, body=env.to_bytes(), message_id=str(env.event_id)))
    # delivery_limit=1: the first delivery and one return, then the dead letters
    await eventually(lambda: _true(_value("portfolio_consumer_dead_lettered_total", queue=queue) == dead + 1))
    assert _value("portfolio_consumer_failed_total", consumer=consumer) == failed + 2
    assert _value("portfolio_consumer_redelivered_total", consumer=consumer) == again + 1


async def test_relay_backlog_and_age(sqlite_engine: AsyncEngine, bus: InProcessBus) -> None:
    relay = OutboxRelay(sqlite_engine, outbox, bus, service="toy-backlog")
    assert await relay.observe_backlog() == (0, 0.0)
    async with sqlite_engine.begin() as conn:
        await conn.execute(
            insert(outbox).values(
                event_id=uuid.uuid4(),
                routing_key="toy.thing.happened.v1",
                body="{}",
                headers={},
                created_at=datetime.now(UTC) - timedelta(minutes=5),
            )
        )
    count, age = await relay.observe_backlog()
    assert count == 1 and 290 < age < 400
    assert _value("portfolio_outbox_pending", service="toy-backlog") == 1
    assert _value("portfolio_outbox_oldest_pending_seconds", service="toy-backlog") == age
    published = _value("portfolio_outbox_published_total", service="toy-backlog")
    assert await relay.run_once() == 1
    assert _value("portfolio_outbox_published_total", service="toy-backlog") == published + 1
    assert await relay.observe_backlog() == (0, 0.0)
    await asyncio.sleep(0)


async def _true(value: bool) -> bool:
    return value
