"""Property-based requests generated from the identity OpenAPI, with the tokens of four roles
(system administrator, school IT, teacher, student) and of another school's IT: the server never
errors (5xx), and school B's token never receives school A's accounts (the cross-school matrix).

Bounded (a few examples per operation and identity) so the run stays short on 2 cores. Half the
cases are aimed at real objects (school A, its registry user) so generated bodies reach the
database code.
"""

from __future__ import annotations

import httpx
import pytest
from identity_support import build_world

from portfolio_shared.testing.fuzz import fuzz_as_roles

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES_PER_OPERATION_AND_ROLE = 3


async def test_generated_requests_never_cause_a_server_error_nor_a_cross_school_leak(
    client: httpx.AsyncClient,
) -> None:
    world = await build_world(client)
    pinned = {
        "school_id": world.school("A"),
        "user_id": world.users["a-registry"],
        "code": "enrolment",
        "district_id": world.district_id,
    }
    roles = {
        "system-admin": world.admin,
        "it": world.headers["a-it"],
        "teacher": world.headers["a-teacher"],
        "student": world.headers["a-student"],
    }
    school_a_accounts = [uid for login, uid in world.users.items() if login.startswith("a-")]
    report = await fuzz_as_roles(
        client,
        client.app.openapi(),  # type: ignore[attr-defined]
        roles,
        pinned=pinned,
        foreign={"school-B-it": world.headers["b-it"]},
        canaries=school_a_accounts,
        examples=EXAMPLES_PER_OPERATION_AND_ROLE,
        run_last=["/api/v1/auth/logout-all"],  # it revokes the tokens the run signs with (ASVS V7)
    )
    print("schemathesis requests", report.requests, report.statuses)
    assert all(report.per_identity(who) > 100 for who in [*roles, "school-B-it"])
    # The tokens stayed valid for the run: the cases reached authorisation and the handlers.
    assert all(report.statuses[who].get(401, 0) < report.per_identity(who) / 2 for who in roles)
    assert report.failures == []
    assert report.leaks == []
