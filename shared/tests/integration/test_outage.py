"""Outages on the real servers: a consumer whose PostgreSQL is cut pauses and dead-letters nothing;
RabbitMQ refuses a mandatory event nobody is bound to, and the relay keeps it until the topology
step declares its queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aio_pika
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from toy import ThingHappened, counting_subscriptions, effect_count, inbox, outbox

from portfolio_shared.db import UnitOfWork, make_engine, make_sessionmaker
from portfolio_shared.events import envelope_for
from portfolio_shared.messaging import EventConsumer, OutboxRelay, OutgoingMessage
from portfolio_shared.messaging.bus import Unroutable
from portfolio_shared.messaging.declare import declare_all
from portfolio_shared.messaging.rabbit import RabbitBus
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.testing.fixtures import TcpProxy, delete_topology, eventually

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def proxy(pg_url: str) -> AsyncIterator[TcpProxy]:
    url = make_url(pg_url)
    p = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await p.start()
    yield p
    await p.cut()


def _via(pg_url: str, proxy: TcpProxy) -> str:
    return make_url(pg_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


async def test_consumer_sits_out_a_database_cut_and_dead_letters_nothing(
    pg_url: str, pg_engine: AsyncEngine, proxy: TcpProxy, rabbit_bus: RabbitBus, rabbitmq_url: str, topology: Topology
) -> None:
    """delivery_limit=3 with 0.05 s retries: before issue 19 every event of the cut was dead-lettered
    within a second."""
    engine = make_engine(_via(pg_url, proxy), connect_timeout=1, statement_timeout=2)
    consumer = EventConsumer(
        counting_subscriptions(),
        lambda: UnitOfWork(make_sessionmaker(engine), outbox),
        inbox,
        pause_base_seconds=0.05,
        pause_max_seconds=0.3,
    )
    try:
        await consumer.start(rabbit_bus)
        before = envelope_for(ThingHappened(key="before"), school_id="s", actor="u")
        await rabbit_bus.publish(OutgoingMessage(before.routing_key, before.to_bytes(), str(before.event_id)))
        await eventually(lambda: _equals(effect_count(pg_engine, "before"), 1))

        await proxy.cut()
        keys = [f"k{i}" for i in range(40)]
        for key in keys:
            env = envelope_for(ThingHappened(key=key), school_id="s", actor="u")
            await rabbit_bus.publish(OutgoingMessage(env.routing_key, env.to_bytes(), str(env.event_id)))
        await eventually(lambda: _true(consumer.paused), timeout=10)
        paused = REGISTRY.get_sample_value("portfolio_consumer_paused", {"consumer": "toy.counter"})
        assert paused == 1
        await asyncio.sleep(3)  # many times the retry budget of the delivery limit
        assert consumer.paused
        assert await rabbit_bus.dead_letters("toy.counter") == []

        await proxy.restore()
        for key in keys:
            await eventually(lambda k=key: _equals(effect_count(pg_engine, k), 1), timeout=30)  # type: ignore[misc]
        assert not consumer.paused
        assert await rabbit_bus.dead_letters("toy.counter") == []
        async with pg_engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM inbox"))).scalar_one() == 41
    finally:
        await engine.dispose()
        await delete_topology(rabbitmq_url, topology, ("toy.counter",))


async def test_rabbitmq_refuses_a_mandatory_event_nobody_is_bound_to(rabbit_bus: RabbitBus) -> None:
    key = ThingHappened.routing_key()
    with pytest.raises(Unroutable):
        await rabbit_bus.publish(OutgoingMessage(key, b"{}", "m1", mandatory=True))
    await rabbit_bus.publish(OutgoingMessage(key, b"{}", "m2"))  # not mandatory: dropped, as before
    assert await rabbit_bus.ping()  # the publisher channel survived the return


async def test_relay_keeps_an_unroutable_event_until_the_topology_step_declares_its_queue(
    pg_engine: AsyncEngine, rabbit_bus: RabbitBus, rabbitmq_url: str, topology: Topology
) -> None:
    key = ThingHappened.routing_key()
    relay = OutboxRelay(pg_engine, outbox, rabbit_bus, must_route=frozenset({key}), base_backoff=0.01)
    try:
        async with UnitOfWork(make_sessionmaker(pg_engine), outbox) as uow:
            uow.publish(ThingHappened(key="early"), school_id="s")
            await uow.commit()
        assert await relay.run_once() == 0
        async with pg_engine.connect() as conn:
            row = (await conn.execute(select(outbox.c.published_at, outbox.c.last_error))).one()
        assert row.published_at is None and row.last_error.startswith("Unroutable")

        assert await declare_all(rabbit_bus, {"toy.counter": (key,)}) == ["toy.counter"]
        await asyncio.sleep(0.05)
        assert await relay.run_once() == 1
        conn_ = await aio_pika.connect(rabbitmq_url)
        async with conn_, conn_.channel() as channel:
            queue = await channel.declare_queue(topology.queue("toy.counter"), passive=True)
            assert queue.declaration_result.message_count == 1
    finally:
        await delete_topology(rabbitmq_url, topology, ("toy.counter",))


async def test_declaring_a_queue_that_exists_with_another_delivery_limit_is_not_fatal(
    rabbitmq_url: str, topology: Topology
) -> None:
    """Another service may run with another delivery limit: the queue exists, which is what counts."""
    first = RabbitBus(rabbitmq_url, topology)
    other = RabbitBus(rabbitmq_url, Topology(prefix=topology.prefix, delivery_limit=topology.delivery_limit + 4))
    bindings = {"toy.counter": (ThingHappened.routing_key(),)}
    try:
        assert await declare_all(first, bindings) == ["toy.counter"]
        assert await declare_all(other, bindings) == ["toy.counter"]
    finally:
        await first.close()
        await other.close()
        await delete_topology(rabbitmq_url, topology, ("toy.counter",))


async def _equals(value, expected: int) -> bool:  # type: ignore[no-untyped-def]
    return await value == expected


async def _true(value: bool) -> bool:
    return value
