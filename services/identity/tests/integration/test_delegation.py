"""R-DUTY-1, R-DUTY-2: ordered delegates; the responsible person absent → the next delegate acts,
and ActingPersonChanged arrives on the real RabbitMQ."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest
from identity_support import bearer, build_world, login

from portfolio_shared.events import Envelope
from portfolio_shared.events.identity import ActingPersonChanged
from portfolio_shared.messaging import IncomingMessage
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.fixtures import eventually

pytestmark = pytest.mark.integration


async def _collect(runtime: ServiceRuntime) -> list[ActingPersonChanged]:
    seen: list[ActingPersonChanged] = []

    async def handler(message: IncomingMessage) -> None:
        payload = Envelope.from_bytes(message.body).decode()
        assert isinstance(payload, ActingPersonChanged)
        seen.append(payload)

    await runtime.bus.subscribe("identity.test", (ActingPersonChanged.routing_key(),), handler)
    return seen


async def test_absent_responsible_person_passes_the_duty_to_the_next_delegate(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    world = await build_world(client)
    a = world.school("A")
    registry, clerk, clerk2 = world.users["a-registry"], world.users["a-clerk"], world.users["a-clerk2"]
    manage = world.headers["a-director"]  # guidance director holds duties:manage
    r = await client.put(
        f"/api/v1/schools/{a}/duties/enrolment/order",
        json={"responsible_user_ids": [registry], "delegate_user_ids": [clerk, clerk2]},
        headers=manage,
    )
    assert r.status_code == 200, r.text
    assert r.json()["delegate_user_ids"] == [clerk, clerk2]
    r = await client.get(f"/api/v1/schools/{a}/duties/enrolment/acting", headers=world.headers["a-clerk"])
    assert r.json()["acting"]["user_id"] == registry

    events = await _collect(runtime)
    today = date.today()
    r = await client.post(
        f"/api/v1/schools/{a}/users/{registry}/absences",
        json={"starts_on": str(today), "ends_on": str(today + timedelta(days=3)), "reason": "leave"},
        headers=manage,
    )
    assert r.status_code == 201, r.text

    acting = (await client.get(f"/api/v1/schools/{a}/duties/enrolment/acting", headers=manage)).json()
    assert acting["acting"]["user_id"] == clerk
    assert acting["is_delegate"] is True and acting["delegate_rank"] == 1
    assert acting["on_behalf_of"]["user_id"] == registry
    assert acting["skipped"] == [{"person": acting["skipped"][0]["person"], "reason": "absent"}]
    after = (
        await client.get(
            f"/api/v1/schools/{a}/duties/enrolment/acting",
            params={"on": str(today + timedelta(days=4))},
            headers=manage,
        )
    ).json()
    assert after["acting"]["user_id"] == registry  # back after the absence

    async def clerk_acts() -> bool:
        return any(e.duty_code == "enrolment" and e.acting_user_id == clerk for e in events)

    await eventually(clerk_acts, timeout=15)
    event = next(e for e in events if e.duty_code == "enrolment")
    assert event.previous_acting_user_id == registry and event.is_delegate and event.school_id == a

    # The acting delegate holds the duty's permissions in a fresh token (R-DUTY-2).
    token = (await login(client, "a-clerk"))["access_token"]
    me = (await client.get("/api/v1/auth/me", headers=bearer(token))).json()
    assert "enrolment:write" in me["schools"][a]["perms"]

    # The first delegate is suspended too: the second delegate acts.
    r = await client.patch(
        f"/api/v1/schools/{a}/users/{clerk}", json={"status": "suspended"}, headers=world.headers["a-it"]
    )
    assert r.status_code == 200, r.text

    async def clerk2_acts() -> bool:
        return any(e.duty_code == "enrolment" and e.acting_user_id == clerk2 for e in events)

    await eventually(clerk2_acts, timeout=15)
    acting = (await client.get(f"/api/v1/schools/{a}/duties/enrolment/acting", headers=manage)).json()
    assert acting["delegate_rank"] == 2
    assert [s["reason"] for s in acting["skipped"]] == ["absent", "suspended"]

    # Colleagues see who acts, but not why others are unavailable, nor the absences (private).
    seen_by_student = (
        await client.get(f"/api/v1/schools/{a}/duties/enrolment/acting", headers=world.headers["a-student"])
    ).json()
    assert seen_by_student["acting"]["user_id"] == clerk2 and seen_by_student["skipped"] == []
    assert (await client.get(f"/api/v1/schools/{a}/absences", headers=world.headers["a-student"])).json() == []

    # Cancelling the absence gives the duty back to the responsible person.
    absence_id = (await client.get(f"/api/v1/schools/{a}/absences", headers=manage)).json()[0]["id"]
    r = await client.delete(f"/api/v1/schools/{a}/absences/{absence_id}", headers=manage)
    assert r.status_code == 204

    async def registry_back() -> bool:
        return any(e.duty_code == "enrolment" and e.acting_user_id == registry for e in events)

    await eventually(registry_back, timeout=15)
    await asyncio.sleep(0)


async def test_delegation_order_names_only_members_of_the_school(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    a = world.school("A")
    r = await client.put(
        f"/api/v1/schools/{a}/duties/grades/order",
        json={"responsible_user_ids": [world.users["b-registry"]], "delegate_user_ids": []},
        headers=world.headers["a-director"],
    )
    assert r.status_code == 422
    assert r.json()["field"] == "responsible_user_ids" and r.json()["rule"] == "R-DUTY-1"
    r = await client.get(
        f"/api/v1/schools/{a}/duties/grades/acting", params={"on": "9999-12-31"}, headers=world.headers["a-director"]
    )
    assert r.status_code == 422 and r.json()["field"] == "on"
    r = await client.post(
        f"/api/v1/schools/{a}/users/{world.users['a-registry']}/absences",
        json={"starts_on": "2025-10-02", "ends_on": "2025-10-01"},
        headers=world.headers["a-director"],
    )
    assert r.status_code == 422


async def test_every_new_school_gets_the_annex_1_duties(client: httpx.AsyncClient) -> None:
    from portfolio_identity.domain.duties import DUTY_CODES

    world = await build_world(client)
    r = await client.get(f"/api/v1/schools/{world.school('B')}/duties", headers=world.headers["b-student"])
    assert {d["code"] for d in r.json()} == DUTY_CODES
    r = await client.patch(
        f"/api/v1/schools/{world.school('B')}/duties/works",
        json={"note": "本校由圖書館負責"},
        headers=world.headers["b-it"],
    )
    assert r.status_code == 200 and r.json()["note"] == "本校由圖書館負責"
    r = await client.patch(
        f"/api/v1/schools/{world.school('B')}/duties/works", json={"note": "x"}, headers=world.headers["b-clerk"]
    )
    assert r.status_code == 403


async def test_absence_starting_later_takes_effect_when_its_day_comes(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    from portfolio_identity.service_layer.acting import refresh_acting
    from portfolio_identity.service_layer.common import Caller

    world = await build_world(client)
    a, registry, clerk = world.school("A"), world.users["a-registry"], world.users["a-clerk"]
    tomorrow = date.today() + timedelta(days=1)
    r = await client.post(
        f"/api/v1/schools/{a}/users/{registry}/absences",
        json={"starts_on": str(tomorrow), "ends_on": str(tomorrow + timedelta(days=1))},
        headers=world.headers["a-director"],
    )
    assert r.status_code == 201
    duty = (await client.get(f"/api/v1/schools/{a}/duties/grades", headers=world.headers["a-it"])).json()
    assert duty["acting_user_id"] == registry  # still today
    # What the hourly re-resolution (or `portfolio-identity refresh-acting`) does on that day:
    async with runtime.uow() as uow:
        changes = await refresh_acting(uow, Caller.system("test"), a, tomorrow, "day changed")
        await uow.commit()
    assert {c.duty_code for c in changes} >= {"grades", "enrolment"}
    assert all(c.acting_user_id == clerk and c.is_delegate for c in changes if c.duty_code == "grades")


async def test_catalogue_lists_roles_with_their_permissions(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    roles = (await client.get("/api/v1/catalogue/roles", headers=world.headers["a-student"])).json()
    by_role = {r["role"]: r for r in roles}
    assert by_role["registry"]["name_zh"] == "註冊組" and "enrolment:write" in by_role["registry"]["permissions"]
    assert by_role["system_admin"]["platform"] is True
    duties = (await client.get("/api/v1/catalogue/duties", headers=world.headers["a-student"])).json()
    assert {d["code"] for d in duties} >= {"accounts", "outcome_certification", "receipt_confirmation"}
    assert (await client.get("/api/v1/catalogue/roles")).status_code == 401
