"""Inbox, delivery limit, dead letters and trace propagation on the real RabbitMQ."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from toy import ThingHappened, bump, counting_subscriptions, effect_count, inbox, outbox

from portfolio_shared.db import UnitOfWork, make_sessionmaker
from portfolio_shared.events import Envelope, envelope_for
from portfolio_shared.messaging import EventConsumer, OutboxRelay, OutgoingMessage, Subscriptions
from portfolio_shared.messaging.deadletters import main as deadletters_cli
from portfolio_shared.messaging.rabbit import RabbitBus
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.telemetry import setup_tracing
from portfolio_shared.testing.fixtures import delete_topology, eventually

pytestmark = pytest.mark.integration


def _uow(engine: AsyncEngine) -> UnitOfWork:
    return UnitOfWork(make_sessionmaker(engine), outbox)


def _message(envelope: Envelope) -> OutgoingMessage:
    return OutgoingMessage(
        routing_key=envelope.routing_key, body=envelope.to_bytes(), message_id=str(envelope.event_id)
    )


async def test_message_delivered_three_times_has_one_effect(
    pg_engine: AsyncEngine, rabbit_bus: RabbitBus, rabbitmq_url: str, topology: Topology
) -> None:
    consumer = EventConsumer(counting_subscriptions(), lambda: _uow(pg_engine), inbox)
    await consumer.start(rabbit_bus)
    envelope = envelope_for(ThingHappened(key="thrice"), school_id="s1", actor="u1")
    for _ in range(3):
        await rabbit_bus.publish(_message(envelope))

    async def three_seen() -> bool:
        async with pg_engine.connect() as conn:
            return (await conn.execute(text("SELECT count(*) FROM inbox"))).scalar_one() == 1

    await eventually(three_seen)
    await asyncio.sleep(0.5)  # give the two duplicates time to (not) act
    assert await effect_count(pg_engine, "thrice") == 1
    await delete_topology(rabbitmq_url, topology, ("toy.counter",))


async def test_failing_handler_dead_letters_after_limit_and_replay_brings_it_back(
    pg_engine: AsyncEngine, rabbit_bus: RabbitBus, rabbitmq_url: str, topology: Topology
) -> None:
    attempts: list[int] = []
    broken = True
    subs = Subscriptions("toy.fragile")

    @subs.on(ThingHappened)
    async def fragile(evt: ThingHappened, envelope: Envelope, uow: UnitOfWork) -> None:
        attempts.append(1)
        await bump(uow, evt.key)  # rolled back when we raise below
        if broken:
            raise RuntimeError("downstream is broken")

    await EventConsumer(subs, lambda: _uow(pg_engine), inbox).start(rabbit_bus)
    envelope = envelope_for(ThingHappened(key="poison"), school_id="s1", actor="u1")
    await rabbit_bus.publish(_message(envelope))

    async def dead() -> bool:
        return len(await rabbit_bus.dead_letters("toy.fragile")) == 1

    await eventually(dead, timeout=20)
    # delivery limit 3: the first delivery plus three returns, then the broker dead-letters it
    assert len(attempts) == topology.delivery_limit + 1
    assert await effect_count(pg_engine, "poison") == 0
    letters = await rabbit_bus.dead_letters("toy.fragile")
    assert letters[0].message_id == str(envelope.event_id)
    assert Envelope.from_bytes(letters[0].body).event_id == envelope.event_id
    assert len(await rabbit_bus.dead_letters("toy.fragile")) == 1  # listing does not consume

    broken = False
    code = await asyncio.to_thread(
        deadletters_cli, ["--broker", rabbitmq_url, "--prefix", topology.prefix, "replay", "toy.fragile"]
    )
    assert code == 0
    await eventually(lambda: _count_is(pg_engine, "poison", 1), timeout=10)
    assert await rabbit_bus.dead_letters("toy.fragile") == []
    await delete_topology(rabbitmq_url, topology, ("toy.fragile",))


async def _count_is(engine: AsyncEngine, key: str, n: int) -> bool:
    return await effect_count(engine, key) == n


async def test_consumer_span_carries_producer_trace_id(
    pg_engine: AsyncEngine, rabbit_bus: RabbitBus, rabbitmq_url: str, topology: Topology
) -> None:
    exporter = InMemorySpanExporter()
    setup_tracing("test", extra_processors=[SimpleSpanProcessor(exporter)])
    tracer = trace.get_tracer("test")
    await EventConsumer(counting_subscriptions(), lambda: _uow(pg_engine), inbox).start(rabbit_bus)
    relay = OutboxRelay(pg_engine, outbox, rabbit_bus)

    with tracer.start_as_current_span("student uploads") as producer_span:
        async with _uow(pg_engine) as uow:
            uow.publish(ThingHappened(key="traced"), school_id="s1")
            await uow.commit()
        producer_trace = producer_span.get_span_context().trace_id
    await relay.run_once()  # outside the producer's span: the context must come from the outbox row

    async def consumer_span() -> bool:
        return any(s.kind == trace.SpanKind.CONSUMER for s in exporter.get_finished_spans())

    await eventually(consumer_span)
    spans = [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.CONSUMER]
    assert spans[0].context.trace_id == producer_trace
    assert spans[0].name == "toy.thing.happened.v1 process"
    await delete_topology(rabbitmq_url, topology, ("toy.counter",))


async def test_a_backlog_is_handled_in_batches_and_one_poison_message_spoils_nothing(
    pg_engine: AsyncEngine, rabbit_bus: RabbitBus, rabbitmq_url: str, topology: Topology
) -> None:
    """Waiting deliveries share one transaction; a failing one sends the batch back to one-by-one."""
    subs = Subscriptions("toy.batched")
    batch_sizes: list[int] = []

    @subs.on(ThingHappened)
    async def maybe_fail(evt: ThingHappened, envelope: Envelope, uow: UnitOfWork) -> None:
        await bump(uow, evt.key)
        if evt.key == "poison":
            raise RuntimeError("this one never works")

    class Observed(EventConsumer):
        async def _handle_batch(self, batch):  # type: ignore[no-untyped-def]
            batch_sizes.append(len(batch))
            await super()._handle_batch(batch)

    # Queue the backlog before the consumer starts, so deliveries arrive together.
    await rabbit_bus.declare("toy.batched", subs.routing_keys)
    envelopes = [envelope_for(ThingHappened(key=f"k{i}"), school_id="s1", actor="u") for i in range(40)]
    envelopes.insert(17, envelope_for(ThingHappened(key="poison"), school_id="s1", actor="u"))
    for env in envelopes:
        await rabbit_bus.publish(_message(env))
    await rabbit_bus.publish(_message(envelopes[3]))  # a duplicate inside the backlog
    await Observed(subs, lambda: _uow(pg_engine), inbox).start(rabbit_bus)

    async def settled() -> bool:
        return len(await rabbit_bus.dead_letters("toy.batched")) == 1

    await eventually(settled, timeout=20)
    assert max(batch_sizes) > 1  # batching really happened
    for i in range(40):
        assert await effect_count(pg_engine, f"k{i}") == 1, i
    assert await effect_count(pg_engine, "poison") == 0
    async with pg_engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM inbox"))).scalar_one() == 40
    await delete_topology(rabbitmq_url, topology, ("toy.batched",))
