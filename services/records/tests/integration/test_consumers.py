"""Identity events records consumes (real RabbitMQ): a new school gets the default caps published."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from portfolio_shared.events import envelope_for
from portfolio_shared.events.identity import SchoolCreated
from portfolio_shared.messaging import OutgoingMessage
from portfolio_shared.messaging.rabbit import RabbitBus
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.testing.fixtures import eventually

pytestmark = pytest.mark.integration


async def _caps_events(records: Any) -> list[dict[str, Any]]:
    async with records.runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT body FROM outbox WHERE routing_key = 'records.policy.artifact_caps_set.v1' ORDER BY id")
        )
        return [json.loads(b)["payload"] for b in rows.scalars()]


async def test_school_created_publishes_default_caps_once(records: Any, rabbitmq_url: str, topology: Topology) -> None:
    envelope = envelope_for(
        SchoolCreated(school_id="sch-new", school_code="123456", name="新校", district_id="d1"),
        school_id="sch-new",
        actor="admin",
    )
    message = OutgoingMessage(
        routing_key=envelope.routing_key, body=envelope.to_bytes(), message_id=str(envelope.event_id)
    )
    bus = RabbitBus(rabbitmq_url, topology)
    try:
        # The consumer subscribes in the background at start-up; until its queue exists the
        # broker drops the event, so keep re-sending the same event: duplicates are no-ops.
        async def published() -> bool:
            await bus.publish(message)
            return len(await _caps_events(records)) >= 1

        await eventually(published, timeout=15, interval=0.2)
        await bus.publish(message)

        async def inbox_rows() -> int:
            async with records.runtime.engine.connect() as conn:
                return int((await conn.execute(text("SELECT count(*) FROM inbox"))).scalar_one())

        async def handled_once() -> bool:
            return await inbox_rows() == 1

        await eventually(handled_once)
        inbox = await inbox_rows()
    finally:
        await bus.close()
    assert inbox == 1
    assert await _caps_events(records) == [
        {"school_id": "sch-new", "outcomes_per_semester": 6, "performances_per_year": 30}
    ]
    caps = await records.client.get("/api/v1/schools/sch-new/artifact-caps", headers=records.staff("sch-new"))
    assert caps.json()["outcomes_per_semester"] == 6
