"""The standalone shape's in-process broker keeps RabbitMQ's semantics (topic routing, retries,
delivery limit, dead letters, replay) and the same outbox/inbox code runs on it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from toy import ThingHappened, bump, counting_subscriptions, effect_count, inbox, outbox

from portfolio_shared.db import UnitOfWork, make_sessionmaker
from portfolio_shared.events import Envelope, envelope_for
from portfolio_shared.messaging import (
    EventConsumer,
    IncomingMessage,
    OutboxRelay,
    OutgoingMessage,
    Subscriptions,
)
from portfolio_shared.messaging.inprocess import InProcessBus, topic_matches
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.testing.fixtures import eventually


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("a.b.c", "a.b.c", True),
        ("a.*.c", "a.x.c", True),
        ("a.*", "a.b.c", False),
        ("a.#", "a.b.c", True),
        ("a.#", "a", True),
        ("#", "x.y", True),
        ("#.c", "a.b.c", True),
        ("a.#.c", "a.c", True),
        ("a.b", "a.b.c", False),
    ],
)
def test_topic_matching(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


@pytest.fixture
async def bus(tmp_path: Path):  # type: ignore[no-untyped-def]
    b = InProcessBus(
        f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        Topology(delivery_limit=2, retry_base_seconds=0.01, retry_max_seconds=0.02),
        poll_seconds=0.05,
    )
    await b.start()
    yield b
    await b.close()


def _uow(engine: AsyncEngine) -> UnitOfWork:
    return UnitOfWork(make_sessionmaker(engine), outbox)


async def test_outbox_to_inbox_on_the_in_process_bus(sqlite_engine: AsyncEngine, bus: InProcessBus) -> None:
    await EventConsumer(counting_subscriptions(), lambda: _uow(sqlite_engine), inbox).start(bus)
    relay = OutboxRelay(sqlite_engine, outbox, bus)
    async with _uow(sqlite_engine) as uow:
        uow.publish(ThingHappened(key="a"), school_id="s")
        await uow.commit()
    assert await relay.run_once() == 1
    await eventually(lambda: _is(effect_count(sqlite_engine, "a"), 1))
    # the same event again (a relay that died before marking) changes nothing
    async with sqlite_engine.begin() as conn:
        await conn.exec_driver_sql("UPDATE outbox SET published_at = NULL")
    assert await relay.run_once() == 1
    await asyncio.sleep(0.3)
    assert await effect_count(sqlite_engine, "a") == 1


async def _is(value, expected: int) -> bool:  # type: ignore[no-untyped-def]
    return await value == expected


async def test_routing_only_to_bound_queues(bus: InProcessBus) -> None:
    seen: dict[str, list[str]] = {"one": [], "all": []}

    async def make(name: str):  # type: ignore[no-untyped-def]
        async def handler(msg: IncomingMessage) -> None:
            seen[name].append(msg.routing_key)

        return handler

    await bus.subscribe("one", ("toy.thing.happened.v1",), await make("one"))
    await bus.subscribe("all", ("toy.#",), await make("all"))
    for key in ("toy.thing.happened.v1", "toy.other.done.v1", "records.x.y.v1"):
        await bus.publish(OutgoingMessage(routing_key=key, body=b"{}", message_id=key))
    await eventually(lambda: _true(len(seen["all"]) == 2))
    await asyncio.sleep(0.1)
    assert seen["one"] == ["toy.thing.happened.v1"]
    assert sorted(seen["all"]) == ["toy.other.done.v1", "toy.thing.happened.v1"]


async def _true(value: bool) -> bool:
    return value


async def test_delivery_limit_dead_letters_and_replay(sqlite_engine: AsyncEngine, bus: InProcessBus) -> None:
    attempts: list[int] = []
    broken = True
    subs = Subscriptions("toy.fragile")

    @subs.on(ThingHappened)
    async def fragile(evt: ThingHappened, envelope: Envelope, uow: UnitOfWork) -> None:
        attempts.append(1)
        await bump(uow, evt.key)
        if broken:
            raise RuntimeError("boom")

    await EventConsumer(subs, lambda: _uow(sqlite_engine), inbox).start(bus)
    env = envelope_for(ThingHappened(key="p"), school_id="s", actor="u")
    await bus.publish(OutgoingMessage(routing_key=env.routing_key, body=env.to_bytes(), message_id=str(env.event_id)))
    await eventually(lambda: _len_is(bus, 1))
    assert len(attempts) == 3  # first delivery + delivery_limit (2) returns, like RabbitMQ
    assert await effect_count(sqlite_engine, "p") == 0
    broken = False
    assert await bus.replay_dead_letters("toy.fragile") == 1
    await eventually(lambda: _is(effect_count(sqlite_engine, "p"), 1))
    assert await bus.dead_letters("toy.fragile") == []


async def _len_is(bus: InProcessBus, n: int) -> bool:
    return len(await bus.dead_letters("toy.fragile")) == n


async def test_undecodable_message_is_dead_lettered_at_once(sqlite_engine: AsyncEngine, bus: InProcessBus) -> None:
    await EventConsumer(counting_subscriptions(), lambda: _uow(sqlite_engine), inbox).start(bus)
    await bus.publish(OutgoingMessage(routing_key="toy.thing.happened.v1", body=b"not json", message_id="m1"))

    async def dead() -> bool:
        return len(await bus.dead_letters("toy.counter")) == 1

    await eventually(dead)
    letter = (await bus.dead_letters("toy.counter"))[0]
    assert letter.reason.startswith("rejected: not an event envelope")
    # Its depth is what the dead-letter gauge shows (issue 17), the same count on both buses.
    assert await bus.dead_letter_count("toy.counter") == 1
    assert await bus.dead_letter_count("toy.fragile") == 0
