"""Property-based requests generated from the submission OpenAPI, with the tokens of the acting IT
section, a reader, a district-wide administrator and a student, and of another school's staff: the
server never errors (5xx), and school B's token never receives school A's batch or window.

Bounded on purpose (a few examples per operation and identity) so the run stays short on 2 cores.
"""

from __future__ import annotations

import pytest
from submission_world import SCHOOL, World

from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.fuzz import fuzz_as_roles

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES_PER_OPERATION_AND_ROLE = 3


async def test_generated_requests_never_cause_a_server_error_nor_a_cross_school_leak(world: World) -> None:
    await world.school_exists()
    await world.duty("outcome_submission", ["it-head"], [], "it-head")
    await world.course()
    await world.enrol("stu-a", 1, user_id="u-a", name="王小明")
    await world.outcome("u-a", certified=False)
    it = world.staff("it-head")
    batch = (await world.create_batch(it, "course_outcomes")).json()
    await world.act(batch["id"], "check", it)
    window = await world.client.post(
        "/api/v1/windows",
        json={
            "school_id": SCHOOL,
            "kind": "grades",
            "academic_year": 114,
            "semester": 2,
            "label": "W-CANARY",
            "opens_at": "2026-03-01T08:00:00",
            "closes_at": "2026-03-10T17:00:00",
        },
        headers=it,
    )
    assert window.status_code == 201
    pinned = {"school_id": SCHOOL, "batch_id": batch["id"], "window_id": window.json()["id"]}
    roles = {
        "it-head": it,
        "reader": world.staff("reader-1", [P.SUBMISSION_READ]),
        "district-admin": world.minter.headers("fuzzer", district_perms=[str(p) for p in P]),
        "student": world.minter.headers("u-a", schools={SCHOOL: []}, roles={SCHOOL: ["student"]}, kind="student"),
    }
    report = await fuzz_as_roles(
        world.client,
        world.client.app.openapi(),
        roles,
        pinned=pinned,
        foreign={"school-B-staff": world.staff("it-b", school="sch-B")},
        canaries=[batch["id"], window.json()["id"], "王小明", "W-CANARY"],
        examples=EXAMPLES_PER_OPERATION_AND_ROLE,
    )
    print("schemathesis requests", report.requests, report.statuses)
    assert all(report.per_identity(who) > 30 for who in [*roles, "school-B-staff"])
    assert report.failures == []
    assert report.leaks == []
