"""The transactional outbox on the real PostgreSQL and RabbitMQ (issue 2, "must show")."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from toy import ThingHappened, counting_subscriptions, effect_count, inbox, outbox

from portfolio_shared.db import UnitOfWork, make_sessionmaker
from portfolio_shared.messaging import EventConsumer, OutboxRelay
from portfolio_shared.messaging.rabbit import RabbitBus
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.testing.fixtures import TcpProxy, delete_topology, eventually

pytestmark = pytest.mark.integration


def _uow(engine: AsyncEngine, relay: OutboxRelay | None = None) -> UnitOfWork:
    return UnitOfWork(make_sessionmaker(engine), outbox, after_commit=relay.wake if relay else None)


async def _start_counter(engine: AsyncEngine, url: str, topology: Topology, name: str = "toy.counter") -> RabbitBus:
    bus = RabbitBus(url, topology)
    consumer = EventConsumer(counting_subscriptions(name), lambda: _uow(engine), inbox)
    await consumer.start(bus)
    return bus


async def _unpublished(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar_one())


async def test_event_committed_while_broker_unreachable_is_published_when_it_returns(
    pg_engine: AsyncEngine, rabbitmq_url: str, topology: Topology
) -> None:
    consumer_bus = await _start_counter(pg_engine, rabbitmq_url, topology)
    proxy = TcpProxy("127.0.0.1", int(rabbitmq_url.rsplit(":", 1)[1].split("/")[0]))
    await proxy.start()
    relay_bus = RabbitBus(f"amqp://guest:guest@127.0.0.1:{proxy.port}/", topology, publish_timeout=1, connect_timeout=1)
    relay = OutboxRelay(pg_engine, outbox, relay_bus, base_backoff=0.05, max_backoff=0.2)
    try:
        await proxy.cut()
        async with _uow(pg_engine) as uow:
            uow.publish(ThingHappened(key="committed"), school_id="s1")
            await uow.commit()
        async with _uow(pg_engine) as uow:
            uow.publish(ThingHappened(key="rolled-back"), school_id="s1")
            await uow.flush_events()
            await uow.rollback()

        assert await relay.run_once() == 0  # broker unreachable: nothing goes out, nothing is lost
        assert await _unpublished(pg_engine) == 1
        async with pg_engine.connect() as conn:
            attempts = (await conn.execute(select(outbox.c.attempts))).scalar_one()
        assert attempts == 1

        await proxy.restore()

        async def published() -> bool:
            await relay.run_once()
            return await _unpublished(pg_engine) == 0

        await eventually(published, timeout=20, interval=0.1)
        await eventually(lambda: _eq(effect_count(pg_engine, "committed"), 1))
        await asyncio.sleep(0.3)
        assert await effect_count(pg_engine, "committed") == 1
        assert await effect_count(pg_engine, "rolled-back") == 0
    finally:
        await relay_bus.close()
        await consumer_bus.close()
        await proxy.cut()
        await delete_topology(rabbitmq_url, topology, ("toy.counter",))


async def _eq(value: object, expected: int) -> bool:
    return await value == expected  # type: ignore[misc]


async def test_lower_id_committing_last_is_still_published(
    pg_engine: AsyncEngine, rabbitmq_url: str, topology: Topology
) -> None:
    consumer_bus = await _start_counter(pg_engine, rabbitmq_url, topology)
    relay_bus = RabbitBus(rabbitmq_url, topology)
    relay = OutboxRelay(pg_engine, outbox, relay_bus)
    try:
        slow = _uow(pg_engine)
        async with slow:
            slow.publish(ThingHappened(key="low-id"), school_id="s1")
            await slow.flush_events()  # holds the lower id, not committed yet
            async with _uow(pg_engine) as fast:
                fast.publish(ThingHappened(key="high-id"), school_id="s1")
                await fast.commit()
            async with pg_engine.connect() as conn:
                ids = (await conn.execute(select(outbox.c.id))).scalars().all()
            assert len(ids) == 1  # only the committed higher id is visible
            assert await relay.run_once() == 1
            await slow.commit()
        assert await relay.run_once() == 1
        async with pg_engine.connect() as conn:
            rows = (await conn.execute(select(outbox.c.id, outbox.c.published_at).order_by(outbox.c.id))).all()
        assert rows[0].id < rows[1].id and all(r.published_at is not None for r in rows)
        await eventually(lambda: _eq(effect_count(pg_engine, "low-id"), 1))
        await eventually(lambda: _eq(effect_count(pg_engine, "high-id"), 1))
    finally:
        await relay_bus.close()
        await consumer_bus.close()
        await delete_topology(rabbitmq_url, topology, ("toy.counter",))


VICTIM = Path(__file__).with_name("relay_victim.py")


async def test_relay_killed_between_publish_and_mark_delivers_effect_exactly_once(
    pg_engine: AsyncEngine, pg_url: str, rabbitmq_url: str, topology: Topology, tmp_path: Path
) -> None:
    consumer_bus = await _start_counter(pg_engine, rabbitmq_url, topology)
    try:
        async with _uow(pg_engine) as uow:
            uow.publish(ThingHappened(key="survivor"), school_id="s1")
            await uow.commit()
        marker = tmp_path / "published"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
        proc = subprocess.Popen(
            [sys.executable, str(VICTIM), pg_url, rabbitmq_url, topology.prefix, str(marker)], env=env
        )
        try:
            await eventually(lambda: _exists(marker), timeout=30)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        # The broker has the event (the consumer gets it) but the row was never marked.
        await eventually(lambda: _eq(effect_count(pg_engine, "survivor"), 1))
        assert await _unpublished(pg_engine) == 1

        relay_bus = RabbitBus(rabbitmq_url, topology)
        try:
            relay = OutboxRelay(pg_engine, outbox, relay_bus)
            assert await relay.run_once() == 1  # a new relay sends it again
        finally:
            await relay_bus.close()
        await eventually(lambda: _inbox_rows_seen(pg_engine))
        await asyncio.sleep(0.5)
        assert await effect_count(pg_engine, "survivor") == 1
        assert await _unpublished(pg_engine) == 0
    finally:
        await consumer_bus.close()
        await delete_topology(rabbitmq_url, topology, ("toy.counter",))


async def _exists(path: Path) -> bool:
    return path.exists()


async def _inbox_rows_seen(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM inbox"))).scalar_one()) == 1


async def test_relay_wakes_on_a_notify_from_another_process_commit(
    pg_engine: AsyncEngine, rabbitmq_url: str, topology: Topology
) -> None:
    """Issue 15: the relay wakes on commit, not on its poll. A unit of work without an in-process
    relay (CLI, job) NOTIFYs inside its transaction; with a 30 s poll the event still goes out at once,
    while a commit that notifies nobody waits for the poll."""
    channel = "portfolio_outbox_toy_notify"
    bus = RabbitBus(rabbitmq_url, topology)
    relay = OutboxRelay(pg_engine, outbox, bus, poll_interval=30, listen_channel=channel)
    relay.start()
    try:
        await asyncio.wait_for(relay.listening.wait(), timeout=20)
        await asyncio.sleep(0.3)  # the relay's first round (woken by the listener) is over
        async with UnitOfWork(make_sessionmaker(pg_engine), outbox) as uow:  # notifies nobody
            uow.publish(ThingHappened(key="silent"), school_id="s1")
            await uow.commit()
        await asyncio.sleep(1.5)
        assert await _unpublished(pg_engine) == 1  # only the 30 s poll would take it
        async with UnitOfWork(make_sessionmaker(pg_engine), outbox, notify=channel) as uow:
            uow.publish(ThingHappened(key="notified"), school_id="s1")
            await uow.flush_events()
            await uow.rollback()  # a rolled-back NOTIFY is never delivered
        await asyncio.sleep(1.5)
        assert await _unpublished(pg_engine) == 1
        async with UnitOfWork(make_sessionmaker(pg_engine), outbox, notify=channel) as uow:
            uow.publish(ThingHappened(key="notified"), school_id="s1")
            await uow.commit()
        await eventually(lambda: _eq(_unpublished(pg_engine), 0), timeout=5, interval=0.05)  # both, in order
    finally:
        await relay.stop()
        await bus.close()
    assert relay._listener is None and not relay.listening.is_set()
