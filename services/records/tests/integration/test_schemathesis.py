"""Property-based requests generated from the records OpenAPI, with the tokens of four roles
(district-wide administrator, registry staff, course teacher, student) and of another school's
staff: the server never errors (5xx), and school B's token never receives school A's student or
course (the cross-school matrix).

Bounded on purpose (a few examples per operation and identity) so the run stays short on 2 cores.
"""

from __future__ import annotations

from typing import Any

import pytest

from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.fuzz import fuzz_as_roles

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES_PER_OPERATION_AND_ROLE = 3


async def test_generated_requests_never_cause_a_server_error_nor_a_cross_school_leak(records: Any) -> None:
    await records.open_data_entry("sch-A", 114, 1)
    await records.open_data_entry_now("sch-A")
    student = await records.admit("sch-A", 1)
    course = await records.client.post(
        "/api/v1/schools/sch-A/courses",
        json={"academic_year": 114, "semester": 1, "course_code": "F1", "subject_name": "s", "credits": 1},
        headers=records.staff("sch-A"),
    )
    # Random path parameters mostly miss; pinned ones reach the code behind existing objects.
    pinned = {"school_id": "sch-A", "student_id": student["id"], "course_id": course.json()["id"]}
    roles = {
        "district-admin": records.minter.headers("fuzzer", district_perms=[str(p) for p in P]),
        "registry": records.staff("sch-A"),
        "teacher": records.minter.headers(
            "teacher-1",
            schools={"sch-A": [P.SCHEDULE_READ, P.OUTCOME_CERTIFY, P.GRADES_WRITE]},
            roles={"sch-A": ["course_teacher"]},
            kind="teacher",
        ),
        "student": records.student("sch-A", student["user_id"] or "student-1"),
    }
    report = await fuzz_as_roles(
        records.client,
        records.client.app.openapi(),
        roles,
        pinned=pinned,
        foreign={"school-B-staff": records.staff("sch-B", user="staff-b")},
        canaries=[student["id"], course.json()["id"], "學生1"],
        examples=EXAMPLES_PER_OPERATION_AND_ROLE,
    )
    print("schemathesis requests", report.requests, report.statuses)
    assert all(report.per_identity(who) > 100 for who in [*roles, "school-B-staff"])
    assert report.failures == []
    assert report.leaks == []
