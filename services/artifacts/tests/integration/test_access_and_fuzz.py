"""Object-level authorisation, and schemathesis against the artifacts OpenAPI (no server error)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
from artifacts_world import World
from hypothesis import HealthCheck, given, settings

from portfolio_shared.testing.fuzz import httpx_request_kwargs

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


async def test_schemathesis_finds_no_server_error(world: World) -> None:
    """Bounded fuzzing of every operation as a student and as staff: never a 5xx."""
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    await world.upload_outcome(world.student("s1"), "phys")
    app: Any = world.client.app  # type: ignore[attr-defined]
    schema = schemathesis.openapi.from_dict(app.openapi())
    loop = asyncio.get_running_loop()
    identities = [world.student("s1"), world.staff("it1")]
    failures: list[str] = []

    def send(case: Any, auth: dict[str, str]) -> None:
        request = world.client.request(**httpx_request_kwargs(case, auth))
        response = asyncio.run_coroutine_threadsafe(request, loop).result(60)
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {case.as_curl_command()}")

    def make_check(operation: Any, auth: dict[str, str]) -> Any:
        @settings(
            max_examples=15, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            send(case, auth)

        return check

    def run_all() -> None:
        for result in schema.get_all_operations():
            for auth in identities:
                make_check(result.ok(), auth)()

    await asyncio.to_thread(run_all)
    assert failures == []
