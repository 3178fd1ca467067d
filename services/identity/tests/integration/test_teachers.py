"""R-ART-5: a leaving teacher's extended certification-only account, on-behalf authorisations,
their events (through the outbox) and the audit trail that records them (R-RET-3)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from identity_support import PASSWORD, bearer, build_world, login
from sqlalchemy import select

from portfolio_identity.adapters.orm import outbox
from portfolio_shared.events import Envelope
from portfolio_shared.service import ServiceRuntime

pytestmark = pytest.mark.integration


async def _events(runtime: ServiceRuntime, event_type: str) -> list[dict]:  # type: ignore[type-arg]
    async with runtime.uow() as uow:
        bodies = (await uow.session.execute(select(outbox.c.body).order_by(outbox.c.id))).scalars().all()
    envelopes = [Envelope.model_validate_json(b) for b in bodies]
    return [e.payload for e in envelopes if e.type == event_type]


async def test_leaving_teacher_keeps_certification_only(client: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    world = await build_world(client)
    a, teacher = world.school("A"), world.users["a-teacher"]
    it = world.headers["a-it"]
    yesterday, until = date.today() - timedelta(days=1), date.today() + timedelta(days=60)
    r = await client.post(f"/api/v1/schools/{a}/users/{teacher}/extension", json={"until": str(until)}, headers=it)
    assert r.status_code == 422 and r.json()["rule"] == "R-ART-5"  # not leaving yet
    r = await client.patch(
        f"/api/v1/schools/{a}/users/{teacher}", json={"status": "left", "end_date": str(yesterday)}, headers=it
    )
    assert r.status_code == 200, r.text
    r = await client.post("/api/v1/auth/login", json={"login_name": "a-teacher", "password": PASSWORD})
    assert r.status_code == 403  # left, not extended

    r = await client.post(f"/api/v1/schools/{a}/users/{teacher}/extension", json={"until": str(until)}, headers=it)
    assert r.status_code == 200, r.text
    assert r.json() == {"user_id": teacher, "school_id": a, "until": str(until), "certification_only": True}
    me = await client.get("/api/v1/auth/me", headers=bearer((await login(client, "a-teacher"))["access_token"]))
    assert me.json()["schools"] == {a: {"roles": ["course_teacher"], "perms": ["outcome:certify"]}}
    extended = await _events(runtime, "identity.teacher.account_extended")
    assert extended == [{"user_id": teacher, "school_id": a, "certification_only": True, "until": str(until)}]
    deactivated = await _events(runtime, "identity.user.deactivated")
    assert [e["user_id"] for e in deactivated] == [teacher]

    # The extended teacher still acts for certification, for nothing else (R-ART-5, R-DUTY-2).
    # Certification is resolved per course teacher (R-ART-5): the teacher's own courses.
    url = f"/api/v1/schools/{a}/duties/outcome_certification/acting"
    acting = (await client.get(url, params={"teacher_user_id": teacher}, headers=it)).json()
    assert acting["acting"]["user_id"] == teacher
    after = {"teacher_user_id": teacher, "on": str(until + timedelta(days=1))}
    acting = (await client.get(url, params=after, headers=it)).json()
    # After the extension only a delegate could step in, and this school named none (no library
    # services office either): nobody, rather than another teacher or the IT office.
    assert acting["acting"] is None, acting


async def test_teacher_authorises_staff_to_certify_on_their_behalf(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    world = await build_world(client)
    a = world.school("A")
    teacher, clerk = world.users["a-teacher"], world.users["a-clerk"]
    until = str(date.today() + timedelta(days=14))
    r = await client.post(
        f"/api/v1/schools/{a}/on-behalf",
        json={"staff_user_id": clerk, "until": until},
        headers=world.headers["a-teacher"],
    )
    assert r.status_code == 201, r.text
    authorisation = r.json()
    r = await client.post(
        f"/api/v1/schools/{a}/on-behalf",
        json={"staff_user_id": clerk, "until": until},
        headers=world.headers["a-clerk"],
    )
    assert r.status_code == 403  # only a course teacher authorises
    r = await client.post(
        f"/api/v1/schools/{a}/on-behalf",
        json={"staff_user_id": world.users["a-student"], "until": until},
        headers=world.headers["a-teacher"],
    )
    assert r.status_code == 422 and r.json()["field"] == "staff_user_id"

    me = await client.get("/api/v1/auth/me", headers=bearer((await login(client, "a-clerk"))["access_token"]))
    assert "outcome:certify_on_behalf" in me.json()["schools"][a]["perms"]
    mine = (await client.get(f"/api/v1/schools/{a}/on-behalf", headers=world.headers["a-clerk"])).json()
    assert [x["id"] for x in mine] == [authorisation["id"]]
    assert (await client.get(f"/api/v1/schools/{a}/on-behalf", headers=world.headers["a-student"])).json() == []

    r = await client.delete(f"/api/v1/schools/{a}/on-behalf/{authorisation['id']}", headers=world.headers["a-teacher"])
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    me = await client.get("/api/v1/auth/me", headers=bearer((await login(client, "a-clerk"))["access_token"]))
    assert "outcome:certify_on_behalf" not in me.json()["schools"][a]["perms"]

    authorised = await _events(runtime, "identity.teacher.on_behalf_authorised")
    revoked = await _events(runtime, "identity.teacher.on_behalf_revoked")
    assert authorised == [
        {
            "authorisation_id": authorisation["id"],
            "teacher_user_id": teacher,
            "staff_user_id": clerk,
            "school_id": a,
            "until": until,
        }
    ]
    assert [e["authorisation_id"] for e in revoked] == [authorisation["id"]]

    # Every mutation is in the school's audit trail, with who did it (R-RET-3).
    trail = await client.get(
        f"/api/v1/schools/{a}/audit", params={"object_id": authorisation["id"]}, headers=world.headers["a-it"]
    )
    assert trail.status_code == 200
    actions = [(e["action"], e["actor_id"]) for e in trail.json()["items"]]
    assert actions == [("teacher.on_behalf_revoked", teacher), ("teacher.on_behalf_authorised", teacher)]
    assert (await client.get(f"/api/v1/schools/{a}/audit", headers=world.headers["a-teacher"])).status_code == 403


async def test_audit_records_before_and_after_of_a_change(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    a, student = world.school("A"), world.users["a-student"]
    r = await client.patch(
        f"/api/v1/schools/{a}/users/{student}", json={"display_name": "新名字"}, headers=world.headers["a-it"]
    )
    assert r.status_code == 200
    trail = (
        await client.get(
            f"/api/v1/schools/{a}/audit",
            params={"action": "user.updated", "object_id": student},
            headers=world.headers["a-it"],
        )
    ).json()
    entry = trail["items"][0]
    assert entry["actor_id"] == world.users["a-it"]
    assert entry["before"] == {"display_name": "A student"} and entry["after"] == {"display_name": "新名字"}
