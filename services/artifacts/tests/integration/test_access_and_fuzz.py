"""Object-level authorisation, and schemathesis against the artifacts OpenAPI (no server error)."""

from __future__ import annotations

from typing import Any

import pytest
from artifacts_world import World

from portfolio_shared.permissions import Permission
from portfolio_shared.testing.fuzz import fuzz_as_roles

pytestmark = pytest.mark.integration


async def test_a_student_never_reads_another_students_outcome(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1", "s2"])
    mine = await world.upload_outcome(world.student("s1"), "phys")
    other = world.student("s2")
    assert (await world.client.get(f"/api/v1/outcomes/{mine['id']}", headers=other)).status_code == 404
    fid = mine["files"][0]["file_id"]
    assert (
        await world.client.get(f"/api/v1/outcomes/{mine['id']}/files/{fid}/download", headers=other)
    ).status_code == 404
    assert (await world.client.get("/api/v1/outcomes", headers=other)).json() == []
    listed = await world.client.get("/api/v1/outcomes", params={"student_user_id": "s1"}, headers=other)
    assert listed.json() == []
    for action in ("complete", "withdraw"):
        assert (await world.client.post(f"/api/v1/outcomes/{mine['id']}/{action}", headers=other)).status_code == 404
    assert (await world.client.put(f"/api/v1/outcomes/{mine['id']}/selection", headers=other)).status_code == 404


async def test_a_teacher_sees_only_outcomes_of_courses_they_certify(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    await world.course("chem", ["t2"], ["s1"])
    await world.course("inter", ["t1", "t3"], ["s1"], reviewer="t3")
    phys = await world.upload_outcome(world.student("s1"), "phys")
    chem = await world.upload_outcome(world.student("s1"), "chem")
    inter = await world.upload_outcome(world.student("s1"), "inter")
    seen = {o["id"] for o in (await world.client.get("/api/v1/outcomes", headers=world.teacher("t1"))).json()}
    assert seen == {phys["id"]}  # not chem; not the co-taught course reviewed by t3
    assert (await world.client.get(f"/api/v1/outcomes/{chem['id']}", headers=world.teacher("t1"))).status_code == 404
    assert (
        await world.client.post(f"/api/v1/outcomes/{chem['id']}/certify", headers=world.teacher("t1"))
    ).status_code == 404
    seen3 = {o["id"] for o in (await world.client.get("/api/v1/outcomes", headers=world.teacher("t3"))).json()}
    assert seen3 == {inter["id"]}
    # Staff with outcome:read_all see their school's; another school's object is 'not found'.
    staff_a = {o["id"] for o in (await world.client.get("/api/v1/outcomes", headers=world.staff("it1"))).json()}
    assert staff_a == {phys["id"], chem["id"], inter["id"]}
    staff_b = world.staff("it9", school="sch-B")
    assert (await world.client.get(f"/api/v1/outcomes/{phys['id']}", headers=staff_b)).status_code == 404
    assert (await world.client.get("/api/v1/outcomes", headers=staff_b)).json() == []


async def test_schemathesis_finds_no_server_error_nor_a_cross_school_leak(world: World) -> None:
    """Bounded fuzzing of every operation with the tokens of four roles (student, course teacher,
    school IT staff, district administrator) and of another school's staff: never a 5xx, and school
    B's token never receives school A's outcome (the cross-school matrix)."""
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    outcome = await world.upload_outcome(world.student("s1"), "phys")
    app: Any = world.client.app  # type: ignore[attr-defined]
    roles = {
        "student": world.student("s1"),
        "teacher": world.teacher("t1"),
        "it-staff": world.staff("it1"),
        "district-admin": world.minter.headers("district-1", district_perms=[str(p) for p in Permission]),
    }
    report = await fuzz_as_roles(
        world.client,
        app.openapi(),
        roles,
        pinned={"outcome_id": outcome["id"], "school_id": world.school, "course_id": "phys"},
        foreign={"school-B-staff": world.staff("it9", school="sch-B")},
        canaries=[outcome["id"], outcome.get("title", "") or ""],
        examples=4,
    )
    print("schemathesis requests", report.requests, report.statuses)
    assert all(report.per_identity(who) > 50 for who in [*roles, "school-B-staff"])
    assert report.failures == []
    assert report.leaks == []
