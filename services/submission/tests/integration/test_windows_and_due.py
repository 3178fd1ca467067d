"""Central windows entered by staff and what each office has due, by when, for how many students
(R-SUB-1..4), dates in the school's time zone (Asia/Taipei)."""

from __future__ import annotations

from typing import Any

import pytest
from submission_world import SCHOOL, World

from portfolio_shared.permissions import Permission as P

pytestmark = pytest.mark.integration


def _window(kind: str, year: int, semester: int, opens: str, closes: str, **kw: Any) -> dict[str, Any]:
    return {"school_id": SCHOOL, "kind": kind, "academic_year": year, "semester": semester, "opens_at": opens,
            "closes_at": closes, **kw}  # fmt: skip


async def test_windows_are_entered_in_school_time_listed_and_deleted(world: World) -> None:
    staff = world.staff("guidance-1", [P.SCHEDULE_WRITE, P.SUBMISSION_READ])
    r = await world.client.post(
        "/api/v1/windows",
        json=_window("basic_data", 114, 2, "2026-03-01T08:00:00", "2026-03-20T17:00:00", label="114-2 學籍"),
        headers=staff,
    )
    assert r.status_code == 201, r.text
    created = r.json()
    # Entered without an offset: the school's local time, answered with its offset.
    assert (created["opens_at"], created["closes_at"]) == ("2026-03-01T08:00:00+08:00", "2026-03-20T17:00:00+08:00")
    r = await world.client.post(
        "/api/v1/windows",
        json=_window("course_outcomes", 114, 0, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
        headers=staff,
    )
    assert r.status_code == 201 and r.json()["opens_at"] == "2026-03-01T08:00:00+08:00"

    listed = await world.client.get(
        "/api/v1/windows", params={"school_id": SCHOOL, "kind": "basic_data"}, headers=staff
    )
    assert [w["id"] for w in listed.json()["items"]] == [created["id"]]
    other = world.staff("guidance-9", [P.SCHEDULE_WRITE, P.SUBMISSION_READ], school="sch-B")
    r = await world.client.delete(f"/api/v1/windows/{created['id']}", params={"school_id": "sch-B"}, headers=other)
    assert r.status_code == 404  # another school's window does not exist for it
    r = await world.client.delete(f"/api/v1/windows/{created['id']}", params={"school_id": SCHOOL}, headers=staff)
    assert r.status_code == 204
    listed = await world.client.get("/api/v1/windows", params={"school_id": SCHOOL}, headers=staff)
    assert [w["kind"] for w in listed.json()["items"]] == ["course_outcomes"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_window("basic_data", 114, 2, "2026-03-20T17:00:00", "2026-03-20T17:00:00"), "closes_at"),
        (_window("basic_data", 114, 2, "2026-03-21T08:00:00", "2026-03-20T17:00:00"), "closes_at"),
        (_window("basic_data", 114, 0, "2026-03-01T08:00:00", "2026-03-20T17:00:00"), "semester"),
        (_window("performances", 114, 1, "2026-03-01T08:00:00", "2026-03-20T17:00:00"), "semester"),
    ],
)
async def test_invalid_windows_are_refused_naming_field_and_rule(
    world: World, body: dict[str, Any], field: str
) -> None:
    r = await world.client.post("/api/v1/windows", json=body, headers=world.staff("g", [P.SCHEDULE_WRITE]))
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["field"], r.json()["rule"]) == ("invalid-central-window", field, "R-SUB-1")


async def test_only_planners_and_submitting_offices_enter_windows(world: World) -> None:
    body = _window("basic_data", 114, 2, "2026-03-01T08:00:00", "2026-03-20T17:00:00")
    r = await world.client.post("/api/v1/windows", json=body, headers=world.staff("t", [P.SUBMISSION_READ]))
    assert r.status_code == 403


async def test_the_due_list_groups_grade_3_apart_per_r_sub_3(world: World) -> None:
    await world.school_exists()
    await world.enrol("stu-g3a", 1, grade=3)
    await world.enrol("stu-g3b", 2, grade=3, seat=2)
    await world.enrol("stu-g1", 3, grade=1, seat=3)
    staff = world.staff("reg-head", [P.SUBMISSION_SUBMIT, P.SUBMISSION_READ])
    for body in (
        _window("basic_data", 114, 2, "2026-03-01T08:00:00", "2026-03-20T17:00:00", label="114-2"),
        _window("course_outcomes", 114, 0, "2026-06-01T08:00:00", "2026-06-20T17:00:00", label="高三梯次"),
    ):
        assert (await world.client.post("/api/v1/windows", json=body, headers=staff)).status_code == 201

    r = await world.client.get("/api/v1/due", params={"school_id": SCHOOL, "on": "2026-03-02"}, headers=staff)
    assert r.status_code == 200, r.text
    due = r.json()
    offices = {o["office"]: o for o in due["offices"]}
    assert set(offices) == {"registry", "activities", "it", "guidance_data"}

    def item(kind: str, data: tuple[int, int], target: tuple[int, int]) -> dict[str, Any]:
        for office in due["offices"]:
            for i in office["items"]:
                if (i["kind"], i["data_year"], i["data_semester"], i["due_year"], i["due_semester"]) == (
                    kind,
                    *data,
                    *target,
                ):
                    return i
        raise AssertionError(f"no due item {kind} {data} → {target}")

    # 114-1 basic data: everyone in the next semester's window (R-SUB-1), with its deadline.
    first = item("basic_data", (114, 1), (114, 2))
    assert (first["student_count"], first["grades"], first["rule"]) == (3, [1, 3], "R-SUB-1")
    assert first["deadline"]["closes_at"] == "2026-03-20T17:00:00+08:00" and first["deadline"]["missed"] is False
    # 114-2 basic data: grade 3 in the SAME semester's window (R-SUB-3), grade 1 in the next one.
    same = item("basic_data", (114, 2), (114, 2))
    assert (same["student_count"], same["grades"], same["rule"]) == (2, [3], "R-SUB-3")
    later = item("basic_data", (114, 2), (115, 1))
    assert (later["student_count"], later["grades"], later["deadline"]) == (1, [1], None)
    # Outcomes of 114: grade 3 in the same year's window, grade 1 in the next year's (R-SUB-2, R-SUB-3).
    g3 = item("course_outcomes", (114, 0), (114, 0))
    assert (g3["student_count"], g3["rule"], g3["deadline"]["label"]) == (2, "R-SUB-3", "高三梯次")
    assert item("course_outcomes", (114, 0), (115, 0))["rule"] == "R-SUB-2"
    assert offices["it"]["duty_code"] == "outcome_submission"
    assert all(i["kind"] == "course_outcomes" for i in offices["it"]["items"])
