"""Retry-safe certification and return: ``Idempotency-Key`` stored with the effect (R-ART-3, R-ART-5;
shared/ARCHITECTURE.md "Mutations that a client may retry … accept an Idempotency-Key")."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from artifacts_world import World
from sqlalchemy import select

from portfolio_artifacts.service_layer import outcomes as outcome_handlers

pytestmark = pytest.mark.integration


async def _events(world: World, routing_key: str) -> list[dict[str, Any]]:
    outbox = world.runtime.outbox
    async with world.runtime.uow() as uow:
        rows = (await uow.session.execute(select(outbox.c.body).where(outbox.c.routing_key == routing_key))).all()
    return [json.loads(r.body)["payload"] for r in rows]


async def _setup(world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    s1 = world.student("s1")
    return await world.upload_outcome(s1, "phys"), await world.upload_outcome(s1, "phys")


async def test_a_retried_certify_replays_the_stored_answer_instead_of_a_409(world: World) -> None:
    first, second = await _setup(world)
    url = f"/api/v1/outcomes/{first['id']}/certify"
    teacher = {**world.teacher("t1"), "Idempotency-Key": "cert-1"}
    r = await world.client.post(url, headers=teacher)
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers
    again = await world.client.post(url, headers=teacher)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == r.json()
    # Without the key the same retry is a conflict: the outcome is certified already.
    plain = await world.client.post(url, headers=world.teacher("t1"))
    assert plain.status_code == 409 and plain.json()["code"] == "outcome-illegal-transition"
    # Same key, another request (another outcome): refused, nothing certified.
    other = await world.client.post(f"/api/v1/outcomes/{second['id']}/certify", headers=teacher)
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    assert other.json()["field"] == "Idempotency-Key"
    assert (await world.client.get(f"/api/v1/outcomes/{second['id']}", headers=world.teacher("t1"))).json()[
        "status"
    ] == "submitted"
    assert len(await _events(world, "artifacts.outcome.certified.v1")) == 1
    # Keys belong to the caller: another teacher's identical key is another request.
    assert (await world.client.post(url, headers={**world.teacher("t9"), "Idempotency-Key": "cert-1"})).status_code in (
        403,
        404,
    )


async def test_a_crash_before_commit_leaves_nothing_and_the_retry_certifies_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = await _setup(world)
    url = f"/api/v1/outcomes/{first['id']}/certify"
    teacher = {**world.teacher("t1"), "Idempotency-Key": "crash-1"}
    real_remember = outcome_handlers.remember

    async def remember_then_crash(*args: Any, **kwargs: Any) -> Any:
        await real_remember(*args, **kwargs)
        raise RuntimeError("process killed before commit")

    monkeypatch.setattr(outcome_handlers, "remember", remember_then_crash)
    crashed = await world.client.post(url, headers=teacher)  # the app answers 500 for the unhandled error
    assert crashed.status_code == 500
    monkeypatch.setattr(outcome_handlers, "remember", real_remember)
    assert await _events(world, "artifacts.outcome.certified.v1") == []  # the effect rolled back with its key
    r = await world.client.post(url, headers=teacher)
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers
    assert r.json()["status"] == "certified"
    assert len(await _events(world, "artifacts.outcome.certified.v1")) == 1


async def test_twin_certifications_at_once_have_one_effect(world: World) -> None:
    first, _ = await _setup(world)
    url = f"/api/v1/outcomes/{first['id']}/certify"
    teacher = {**world.teacher("t1"), "Idempotency-Key": "twin"}
    a, b = await asyncio.gather(world.client.post(url, headers=teacher), world.client.post(url, headers=teacher))
    assert (a.status_code, b.status_code) == (200, 200), (a.text, b.text)
    assert a.json() == b.json()
    assert len(await _events(world, "artifacts.outcome.certified.v1")) == 1


async def test_return_takes_a_key_and_refuses_it_for_another_reason(world: World) -> None:
    first, _ = await _setup(world)
    url = f"/api/v1/outcomes/{first['id']}/return"
    teacher = {**world.teacher("t1"), "Idempotency-Key": "ret-1"}
    r = await world.client.post(url, json={"reason": "請補上實驗數據"}, headers=teacher)
    assert r.status_code == 200 and r.json()["status"] == "returned"
    again = await world.client.post(url, json={"reason": "請補上實驗數據"}, headers=teacher)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    other = await world.client.post(url, json={"reason": "另一個理由"}, headers=teacher)
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    assert len(await _events(world, "artifacts.outcome.returned.v1")) == 1
    bad = await world.client.post(url, json={"reason": "x"}, headers={**world.teacher("t1"), "Idempotency-Key": " "})
    assert bad.status_code == 422  # a key must be printable ASCII without spaces
