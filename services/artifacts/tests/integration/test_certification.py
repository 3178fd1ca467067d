"""Certification by the course teacher, or whoever acts for them (R-ART-3, R-ART-5)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from artifacts_world import World, today
from sqlalchemy import select

from portfolio_shared.events.identity import (
    AbsenceMarked,
    DelegationOrderChanged,
    OnBehalfAuthorised,
    TeacherAccountExtended,
    UserDeactivated,
)
from portfolio_shared.permissions import Permission as P

pytestmark = pytest.mark.integration

DELEGATE = [P.OUTCOME_CERTIFY, P.OUTCOME_CERTIFY_ON_BEHALF]


async def _outbox(world: World, routing_key: str) -> list[dict[str, object]]:
    outbox = world.runtime.outbox
    async with world.runtime.uow() as uow:
        rows = (await uow.session.execute(select(outbox.c.body).where(outbox.c.routing_key == routing_key))).all()
    return [json.loads(r.body)["payload"] for r in rows]


async def _setup(world: World) -> dict[str, object]:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    await world.feed(
        DelegationOrderChanged(
            school_id=world.school,
            duty_code="outcome_certification",
            responsible_user_ids=["it1"],
            delegate_user_ids=["d1", "d2"],
        )
    )
    return await world.upload_outcome(world.student("s1"), "phys")


async def test_teacher_left_and_the_next_delegate_certifies_on_their_behalf(world: World) -> None:
    outcome = await _setup(world)
    url = f"/api/v1/outcomes/{outcome['id']}/certify"
    # While the teacher can act, the delegate does not even see the outcome.
    assert (await world.client.post(url, headers=world.teacher("d1", extra=DELEGATE))).status_code == 404
    await world.feed(UserDeactivated(user_id="t1", status="left", end_date=today(), reason="transferred"))
    # Only the NEXT delegate in the order acts, not the second.
    assert (await world.client.post(url, headers=world.teacher("d2", extra=DELEGATE))).status_code == 404
    visible = await world.client.get("/api/v1/outcomes", headers=world.teacher("d1", extra=DELEGATE))
    assert [o["id"] for o in visible.json()] == [outcome["id"]]
    r = await world.client.post(url, headers=world.teacher("d1", extra=DELEGATE))
    assert r.status_code == 200, r.text
    cert = r.json()["certification"]
    assert (cert["certified_by"], cert["on_behalf_of"], cert["basis"]) == ("d1", "t1", "delegate")
    assert r.json()["status"] == "certified"
    [event] = await _outbox(world, "artifacts.outcome.certified.v1")
    assert (event["certified_by"], event["on_behalf_of"], event["basis"]) == ("d1", "t1", "delegate")
    # The left teacher, without an extended account, can no longer certify.
    second = await world.upload_outcome(world.student("s1"), "phys")
    r = await world.client.post(f"/api/v1/outcomes/{second['id']}/certify", headers=world.teacher("t1"))
    assert r.status_code in (403, 404)


async def test_absent_teacher_passes_to_the_delegate_until_the_absence_ends(world: World) -> None:
    outcome = await _setup(world)
    await world.feed(
        AbsenceMarked(user_id="t1", school_id=world.school, starts_on=today(), ends_on=today() + timedelta(days=3))
    )
    await world.feed(UserDeactivated(user_id="d1", status="suspended", reason="on leave"))
    r = await world.client.post(
        f"/api/v1/outcomes/{outcome['id']}/certify", headers=world.teacher("d2", extra=DELEGATE)
    )
    assert r.status_code == 200, r.text
    assert r.json()["certification"]["on_behalf_of"] == "t1"


async def test_staff_authorised_on_behalf_and_extended_account(world: World) -> None:
    first = await _setup(world)
    await world.feed(
        OnBehalfAuthorised(
            authorisation_id="a1",
            teacher_user_id="t1",
            staff_user_id="st1",
            school_id=world.school,
            until=today() + timedelta(days=7),
        )
    )
    staff = world.staff("st1", perms=[P.OUTCOME_CERTIFY_ON_BEHALF])
    r = await world.client.post(f"/api/v1/outcomes/{first['id']}/certify", headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["certification"] | {"certified_at": None} == {
        "certified_by": "st1",
        "on_behalf_of": "t1",
        "basis": "on_behalf_authorisation",
        "certified_at": None,
    }
    second = await world.upload_outcome(world.student("s1"), "phys")
    await world.feed(UserDeactivated(user_id="t1", status="left", end_date=today(), reason="retired"))
    await world.feed(TeacherAccountExtended(user_id="t1", school_id=world.school, until=today() + timedelta(days=30)))
    r = await world.client.post(f"/api/v1/outcomes/{second['id']}/certify", headers=world.teacher("t1"))
    assert r.status_code == 200, r.text
    assert r.json()["certification"]["basis"] == "extended_account"
    assert r.json()["certification"]["on_behalf_of"] is None


async def test_reviewing_teacher_of_a_co_taught_course_certifies_and_returns(world: World) -> None:
    await world.open_windows()
    await world.course("inter", ["t1", "t2"], ["s1"], reviewer="t2")
    outcome = await world.upload_outcome(world.student("s1"), "inter")
    url = f"/api/v1/outcomes/{outcome['id']}"
    assert (await world.client.post(f"{url}/certify", headers=world.teacher("t1"))).status_code in (403, 404)
    r = await world.client.post(f"{url}/return", json={"reason": "請補上實驗數據"}, headers=world.teacher("t2"))
    assert r.status_code == 200 and r.json()["status"] == "returned" and r.json()["return_reason"] == "請補上實驗數據"
    assert (await world.client.post(f"{url}/certify", headers=world.teacher("t2"))).json()[
        "code"
    ] == "outcome-illegal-transition"
    # A new version is a new object beside the old one.
    from artifacts_world import declaration, pdf

    data = pdf(3000)
    started = await world.client.post(f"{url}/files", json={"files": [declaration(data)]}, headers=world.student("s1"))
    assert started.status_code == 201 and started.json()["version"] == 2
    assert (await world.put(started.json()["uploads"][0], data)).status_code == 200
    done = await world.client.post(f"{url}/complete", headers=world.student("s1"))
    assert done.status_code == 200 and done.json()["status"] == "submitted" and done.json()["version"] == 2
    assert sorted(f["status"] for f in done.json()["files"]) == ["accepted", "superseded"]
    r = await world.client.post(f"{url}/certify", headers=world.teacher("t2"))
    assert r.status_code == 200 and r.json()["certification"]["basis"] == "reviewing_teacher"
    await world.upload_outcome(world.student("s1"), "inter")
    page = (
        await world.client.get("/api/v1/outcomes", params={"limit": 1, "offset": 1}, headers=world.student("s1"))
    ).json()
    assert [o["id"] for o in page] == [outcome["id"]]  # the older one, with both versions' files
    assert [(f["version"], f["status"]) for f in page[0]["files"]] == [(1, "superseded"), (2, "accepted")]


async def test_certification_outside_its_window_states_the_dates(world: World) -> None:
    await world.open_windows(phases=["outcome_upload"])
    await world.course("phys", ["t1"], ["s1"])
    outcome = await world.upload_outcome(world.student("s1"), "phys")
    r = await world.client.post(f"/api/v1/outcomes/{outcome['id']}/certify", headers=world.teacher("t1"))
    assert r.status_code == 409 and r.json()["rule"] == "R-ART-3" and "no outcome certification" in r.json()["detail"]
