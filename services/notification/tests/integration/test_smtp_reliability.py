"""Must show: an SMTP server that refuses the first two attempts → delivered on the third; one that always
refuses → NotificationFailed and a dead letter (a failed delivery), nothing lost; a retry delivers it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from notification_world import World

from portfolio_notification.adapters.orm import deliveries, outbox
from portfolio_shared.events.base import Envelope
from portfolio_shared.events.submission import ObjectionResolved
from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.fixtures import eventually

pytestmark = pytest.mark.integration


async def _email_row(world: World, user: str, key: str | None = None) -> dict[str, object] | None:
    where = [deliveries.c.recipient_user_id == user, deliveries.c.channel == "email"]
    if key is not None:
        where.append(deliveries.c.trigger_key == key)
    async with world.runtime.uow() as uow:
        result = await uow.session.execute(sa.select(deliveries).where(*where).order_by(deliveries.c.created_at))
        row = result.mappings().first()
        return dict(row) if row else None


async def _events(world: World, key: str = "notification.message.failed.v1") -> list[dict[str, object]]:
    async with world.runtime.uow() as uow:
        rows = (
            await uow.session.execute(sa.select(outbox.c.body).where(outbox.c.routing_key == key).order_by(outbox.c.id))
        ).scalars()
        return [Envelope.from_bytes(body.encode()).payload for body in rows]


async def test_refused_twice_then_delivered_on_the_third_attempt(world: World) -> None:
    world.smtp.refuse_first = 2
    await world.contact("s-1", school_id="sch-A", display_name="陳同學", kind="student", email="s1@school.example")
    await world.feed(
        ObjectionResolved(objection_id="obj-1", school_id="sch-A", student_user_id="s-1", resolved_by="r-1")
    )
    await eventually(lambda: _received(world, "s1@school.example"), timeout=20)
    # the server has it; the service records it right after the server's answer
    await eventually(lambda: _status(world, "s-1", "sent"), timeout=20)
    row = await _email_row(world, "s-1")
    assert row is not None and row["status"] == "sent" and row["attempts"] == 3
    assert list(world.smtp.attempts.values()) == [3]  # the same Message-ID all three times
    failures = await _events(world)
    assert len(failures) == 2 and all(f["will_retry"] for f in failures)
    sent = await _events(world, "notification.message.sent.v1")
    assert [(e["recipient_user_id"], e["channel"], e["template"]) for e in sent] == [
        ("s-1", "email", "objection_resolved")
    ]

    # with the per-e-mail event switched off, the e-mail still goes and only failures are published
    world.deps.settings.publish_sent_events = False
    world.smtp.refuse_first = 0
    await world.feed(
        ObjectionResolved(objection_id="obj-3", school_id="sch-A", student_user_id="s-1", resolved_by="r-1")
    )
    await eventually(lambda: _received(world, "s1@school.example", 2), timeout=20)
    await eventually(lambda: _status(world, "s-1", "sent", "objection_resolved:obj-3"))
    assert len(await _events(world, "notification.message.sent.v1")) == 1


async def test_always_refused_ends_in_notification_failed_and_a_dead_letter_then_retry(world: World) -> None:
    world.smtp.always_refuse = True
    await world.contact("s-2", school_id="sch-A", display_name="李同學", kind="student", email="s2@school.example")
    await world.feed(
        ObjectionResolved(objection_id="obj-2", school_id="sch-A", student_user_id="s-2", resolved_by="r-1")
    )

    async def given_up() -> bool:
        row = await _email_row(world, "s-2")
        return row is not None and row["status"] == "failed"

    await eventually(given_up, timeout=20)
    row = await _email_row(world, "s-2")
    assert row is not None and row["attempts"] == 3 and "451" in str(row["last_error"])  # the limit, not one more
    assert sum(world.smtp.attempts.values()) == 3
    failures = await _events(world)
    assert [f["will_retry"] for f in failures] == [True, True, False]
    assert failures[-1]["channel"] == "email" and failures[-1]["recipient_user_id"] == "s-2"

    # nothing lost: the office lists the dead letter and sends it again once the server is fixed
    office = world.minter.headers("g-1", schools={"sch-A": [P.RECEIPT_COMPLETE]})
    r = await world.client.get("/api/v1/deliveries", params={"school_id": "sch-A", "status": "failed"}, headers=office)
    assert [d["id"] for d in r.json()["items"]] == [str(row["id"])]
    world.smtp.always_refuse = False
    r = await world.client.post(f"/api/v1/deliveries/{row['id']}/retry", params={"school_id": "sch-A"}, headers=office)
    assert r.status_code == 200, r.text
    await eventually(lambda: _received(world, "s2@school.example"), timeout=20)
    # a sent delivery cannot be retried (409), another school's is not found (404)
    await eventually(lambda: _status(world, "s-2", "sent"))
    r = await world.client.post(f"/api/v1/deliveries/{row['id']}/retry", params={"school_id": "sch-A"}, headers=office)
    assert r.status_code == 409 and r.json()["title_zh"]
    other = world.minter.headers("g-2", schools={"sch-B": [P.RECEIPT_COMPLETE]})
    r = await world.client.post(f"/api/v1/deliveries/{row['id']}/retry", params={"school_id": "sch-B"}, headers=other)
    assert r.status_code == 404


async def _received(world: World, address: str, count: int = 1) -> bool:
    return world.smtp.recipients()[address] == count


async def _status(world: World, user: str, status: str, key: str | None = None) -> bool:
    row = await _email_row(world, user, key)
    return row is not None and row["status"] == status
