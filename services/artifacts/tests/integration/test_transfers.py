"""Transfers inside the district (R-ENR-1): what was certified at the old school follows the student.

Records publishes a transfer as the old school's ``EnrolmentChanged`` (transfer_out) and the new
school's ``EnrolmentChanged`` (transfer_in) and ``StudentEnrolled``; these tests feed exactly that.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from artifacts_world import YEAR, World, today
from sqlalchemy import select

from portfolio_shared.events.records import EnrolmentChanged, StudentEnrolled

pytestmark = pytest.mark.integration

X, Y = "sch-A", "sch-B"


async def _transfer(world: World, user: str, *, at: datetime, arrival_first: bool = False) -> None:
    out = EnrolmentChanged(
        student_id=f"stu-{user}",
        user_id=user,
        school_id=X,
        change="transfer_out",
        effective_on=today(),
        status="transferred_out",
        grade=1,
        to_school_id=Y,
    )
    arrival = [
        EnrolmentChanged(
            student_id=f"stu-{user}",
            user_id=user,
            school_id=Y,
            change="transfer_in",
            effective_on=today(),
            status="enrolled",
            grade=1,
            from_school_id=X,
        ),
        StudentEnrolled(
            student_id=f"stu-{user}", user_id=user, school_id=Y, grade=1, class_name="102", admitted_on=today()
        ),
    ]
    steps: list[tuple[Any, str, datetime]] = [(out, X, at)] + [
        (e, Y, at + timedelta(seconds=i + 1)) for i, e in enumerate(arrival)
    ]
    if arrival_first:  # the bus does not promise order between two schools' events
        steps = steps[1:] + steps[:1]
    for payload, school, when in steps:
        await world.feed(payload, school_id=school, occurred_at=when)


async def _outbox(world: World, routing_key: str) -> list[dict[str, Any]]:
    outbox = world.runtime.outbox
    async with world.runtime.uow() as uow:
        rows = (await uow.session.execute(select(outbox.c.body).where(outbox.c.routing_key == routing_key))).all()
    return [json.loads(r.body) for r in rows]


def _perf_body(school: str) -> dict[str, Any]:
    return {
        "school_id": school,
        "academic_year": YEAR,
        "category": "other",
        "description": "校內科展",
        "fields": {"name": "科展", "organiser": "本校", "start_date": "2025-10-01"},
    }


async def test_certified_outcome_follows_the_student_to_the_new_school(world: World) -> None:
    await world.open_windows(X)
    await world.open_windows(Y)
    await world.course("phys", ["t1"], ["m1"], school=X)
    student = world.student("m1", X)
    certified = await world.upload_outcome(student, "phys")
    pending = await world.upload_outcome(student, "phys")
    r = await world.client.post(f"/api/v1/outcomes/{certified['id']}/certify", headers=world.teacher("t1", X))
    assert r.status_code == 200, r.text
    perf = await world.client.post("/api/v1/performances/uploads", json=_perf_body(X), headers=student)
    assert perf.status_code == 201, perf.text
    perf_id = perf.json()["performance_id"]

    await _transfer(world, "m1", at=datetime.now(UTC))

    at_y = world.student("m1", Y)  # the student's token now names the new school
    moved = (await world.client.get(f"/api/v1/outcomes/{certified['id']}", headers=at_y)).json()
    assert (moved["school_id"], moved["origin_school_id"]) == (Y, X)
    assert moved["certification"]["certified_by"] == "t1"  # what X certified is kept
    # The new school's staff see it; the old school's staff no longer do.
    staff_y, staff_x = world.staff("gd-y", Y), world.staff("gd-x", X)
    assert [o["id"] for o in (await world.client.get("/api/v1/outcomes", headers=staff_y)).json()] == [certified["id"]]
    assert certified["id"] not in [
        o["id"] for o in (await world.client.get("/api/v1/outcomes", headers=staff_x)).json()
    ]
    assert (await world.client.get(f"/api/v1/performances/{perf_id}", headers=staff_y)).json()["origin_school_id"] == X
    assert (await world.client.get(f"/api/v1/performances/{perf_id}", headers=staff_x)).status_code == 404
    # X can no longer change it: its teacher cannot return it, its staff cannot read it.
    r = await world.client.post(
        f"/api/v1/outcomes/{certified['id']}/return", json={"reason": "改判"}, headers=world.teacher("t1", X)
    )
    assert r.status_code in (403, 404), r.text
    # The student selects it at the new school, inside the new school's window, and the event says so.
    r = await world.client.put(f"/api/v1/outcomes/{certified['id']}/selection", headers=at_y)
    assert r.status_code == 200 and r.json()["selected"] is True, r.text
    selected = await _outbox(world, "artifacts.outcome.selected.v1")
    assert [e["school_id"] for e in selected] == [Y]  # submitted by the school the student belongs to
    r = await world.client.put(f"/api/v1/performances/{perf_id}/selection", headers=at_y)
    assert r.status_code == 200, r.text
    # Permissions at the old school no longer reach it: it belongs to the new school now.
    r = await world.client.delete(f"/api/v1/outcomes/{certified['id']}/selection", headers=student)
    assert r.status_code == 403 and r.json()["rule"] == "R-ART-4"

    # The outcome awaiting certification stays with the old school's teacher (R-ART-5) and follows
    # the student once certified.
    still = (await world.client.get(f"/api/v1/outcomes/{pending['id']}", headers=at_y)).json()
    assert still["school_id"] == X and still["status"] == "submitted"
    r = await world.client.post(f"/api/v1/outcomes/{pending['id']}/certify", headers=world.teacher("t1", X))
    assert r.status_code == 200, r.text
    assert (await world.client.get(f"/api/v1/outcomes/{pending['id']}", headers=at_y)).json()["school_id"] == Y

    # Attributable: the history shows the certification at X and the transfer, readable at Y.
    history = (await world.client.get(f"/api/v1/outcomes/{certified['id']}/history", headers=staff_y)).json()
    assert [(e["action"], e["school_id"]) for e in history] == [
        ("uploaded", X),
        ("certified", X),
        ("transferred", Y),
        ("selected", Y),
    ]
    assert history[2]["detail"] == {"from_school_id": X, "to_school_id": Y}
    events = await _outbox(world, "artifacts.student.items_transferred.v1")
    first = events[0]["payload"]
    assert (first["from_school_id"], first["to_school_id"]) == (X, Y)
    assert first["outcome_ids"] == [certified["id"]] and first["performance_ids"] == [perf_id]
    assert [e["payload"]["outcome_ids"] for e in events[1:]] == [[pending["id"]]]


async def test_order_of_the_two_schools_events_does_not_matter_and_redelivery_changes_nothing(world: World) -> None:
    await world.open_windows(X)
    await world.course("phys", ["t1"], ["m2"], school=X)
    outcome = await world.upload_outcome(world.student("m2", X), "phys")
    assert (
        await world.client.post(f"/api/v1/outcomes/{outcome['id']}/certify", headers=world.teacher("t1", X))
    ).status_code == 200
    now = datetime.now(UTC)
    await _transfer(world, "m2", at=now, arrival_first=True)
    await _transfer(world, "m2", at=now)  # new event ids, same facts: nothing more moves
    row = (await world.client.get(f"/api/v1/outcomes/{outcome['id']}", headers=world.student("m2", Y))).json()
    assert (row["school_id"], row["origin_school_id"]) == (Y, X)
    assert len(await _outbox(world, "artifacts.student.items_transferred.v1")) == 1


async def test_a_visiting_student_keeps_everything_at_the_home_school(world: World) -> None:
    await world.open_windows(X)
    await world.course("phys", ["t1"], ["v1"], school=X)
    outcome = await world.upload_outcome(world.student("v1", X), "phys")
    assert (
        await world.client.post(f"/api/v1/outcomes/{outcome['id']}/certify", headers=world.teacher("t1", X))
    ).status_code == 200
    await world.feed(
        EnrolmentChanged(
            student_id="stu-v1",
            user_id="v1",
            school_id=Y,
            change="visiting_study",
            effective_on=date.today(),
            status="visiting",
            grade=1,
        ),
        school_id=Y,
    )
    row = (await world.client.get(f"/api/v1/outcomes/{outcome['id']}", headers=world.student("v1", X))).json()
    assert row["school_id"] == X
    assert await _outbox(world, "artifacts.student.items_transferred.v1") == []
