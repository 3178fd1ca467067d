"""The whole path on the real broker: an event committed to an outbox → relay → RabbitMQ → the
notification consumer → the dispatcher → the SMTP server; the same event delivered twice sends once."""

from __future__ import annotations

import asyncio

import pytest
from notification_world import World

from portfolio_shared.events.base import envelope_for
from portfolio_shared.events.submission import ObjectionResolved
from portfolio_shared.messaging import OutgoingMessage
from portfolio_shared.testing.fixtures import eventually

pytestmark = pytest.mark.integration


async def test_event_over_rabbitmq_to_one_email(world: World) -> None:
    await world.contact("s-1", school_id="sch-A", display_name="陳同學", kind="student", email="s1@school.example")
    env = envelope_for(
        ObjectionResolved(objection_id="obj-9", school_id="sch-A", student_user_id="s-1", resolved_by="r-1"),
        school_id="sch-A",
        actor="submission",
    )
    message = OutgoingMessage(env.routing_key, env.to_bytes(), str(env.event_id))
    for subs in world.runtime.subscriptions:  # the queues exist before anything is published
        await world.runtime.bus.declare(subs.consumer, subs.routing_keys)  # type: ignore[attr-defined]
    await world.runtime.bus.publish(message)
    await world.runtime.bus.publish(message)  # redelivered / published twice: the inbox drops it
    await eventually(lambda: _count(world, 1), timeout=20)
    await asyncio.sleep(0.5)
    assert world.smtp.recipients()["s1@school.example"] == 1


async def _count(world: World, n: int) -> bool:
    return world.smtp.recipients()["s1@school.example"] == n
