"""Selections submitted to the central database are frozen (R-SUB-7, R-SUB-8): once submission
publishes ``submission.selections.frozen`` for an accepted batch, a deselect is refused with a
problem citing the rules; other items, other students and redeliveries are unaffected."""

from __future__ import annotations

import uuid

import pytest
from artifacts_world import YEAR, World

from portfolio_shared.events.submission import FrozenSelection, SelectionsFrozen

pytestmark = pytest.mark.integration


async def _selected_outcomes(world: World, n: int, student: str = "s1") -> list[str]:
    await world.caps(outcomes=30)
    await world.open_windows()
    await world.course("phys", ["t1"], [student])
    headers = world.student(student)
    ids = []
    for _ in range(n):
        o = await world.upload_outcome(headers, "phys")
        assert (
            await world.client.post(f"/api/v1/outcomes/{o['id']}/certify", headers=world.teacher("t1"))
        ).status_code == 200
        assert (await world.client.put(f"/api/v1/outcomes/{o['id']}/selection", headers=headers)).status_code == 200
        ids.append(o["id"])
    return ids


def _frozen(kind: str, student: str, ids: list[str], batch: str = "batch-1") -> SelectionsFrozen:
    return SelectionsFrozen(
        batch_id=batch,
        school_id="sch-A",
        kind=kind,  # type: ignore[arg-type]
        academic_year=YEAR,
        selections=[FrozenSelection(student_user_id=student, artifact_ids=ids)],
    )


async def test_a_frozen_outcome_cannot_be_deselected_nor_withdrawn(world: World) -> None:
    ids = await _selected_outcomes(world, 3)
    student = world.student("s1")
    await world.feed(_frozen("course_outcomes", "s1", ids[:2]))
    for oid in ids[:2]:
        r = await world.client.delete(f"/api/v1/outcomes/{oid}/selection", headers=student)
        assert r.status_code == 409, r.text
        problem = r.json()
        assert problem["code"] == "selection-frozen"
        assert "R-SUB-7" in problem["rule"] and "R-SUB-8" in problem["rule"]
        assert problem["title_zh"] and problem["title_en"]
        # A withdrawal needs a deselect first: still refused, and the selection stays.
        assert (await world.client.post(f"/api/v1/outcomes/{oid}/withdraw", headers=student)).status_code == 409
    listed = (await world.client.get("/api/v1/outcomes", params={"academic_year": YEAR}, headers=student)).json()
    assert {o["id"] for o in listed if o["selected"]} == set(ids)
    assert {o["id"]: o["frozen_by_batch"] for o in listed} == {ids[0]: "batch-1", ids[1]: "batch-1", ids[2]: None}
    # The item not in the batch is free; re-selecting a frozen one changes nothing and is allowed.
    assert (await world.client.delete(f"/api/v1/outcomes/{ids[2]}/selection", headers=student)).status_code == 200
    assert (await world.client.put(f"/api/v1/outcomes/{ids[0]}/selection", headers=student)).status_code == 200


async def test_the_freeze_is_idempotent_and_names_only_the_students_own_items(world: World) -> None:
    ids = await _selected_outcomes(world, 2)
    # Another student's id for the same item, a foreign id and a redelivery change nothing wrong.
    await world.feed(_frozen("course_outcomes", "s2", ids[:1], batch="other-batch"))
    await world.feed(_frozen("course_outcomes", "s1", [ids[1], "not-a-uuid", str(uuid.uuid4())]))
    await world.feed(_frozen("course_outcomes", "s1", [ids[1]], batch="later-batch"))
    student = world.student("s1")
    assert (await world.client.delete(f"/api/v1/outcomes/{ids[0]}/selection", headers=student)).status_code == 200
    r = await world.client.delete(f"/api/v1/outcomes/{ids[1]}/selection", headers=student)
    assert r.status_code == 409 and r.json()["batch_id"] == "batch-1"  # the first batch froze it


async def test_a_frozen_performance_cannot_be_deselected(world: World) -> None:
    await world.caps(outcomes=6, performances=5)
    await world.open_windows()
    await world.enrol("s1")
    student = world.student("s1")
    body = {
        "school_id": world.school,
        "academic_year": YEAR,
        "category": "other",
        "description": "校內科展參賽",
        "fields": {"name": "科展", "organiser": "本校", "start_date": "2025-10-01"},
    }
    made = []
    for _ in range(2):
        r = await world.client.post("/api/v1/performances/uploads", json=body, headers=student)
        assert r.status_code == 201, r.text
        pid = r.json()["performance_id"]
        assert (await world.client.put(f"/api/v1/performances/{pid}/selection", headers=student)).status_code == 200
        made.append(pid)
    await world.feed(_frozen("performances", "s1", [made[0]]))
    r = await world.client.delete(f"/api/v1/performances/{made[0]}/selection", headers=student)
    assert r.status_code == 409 and r.json()["code"] == "selection-frozen"
    assert (await world.client.delete(f"/api/v1/performances/{made[1]}/selection", headers=student)).status_code == 200
