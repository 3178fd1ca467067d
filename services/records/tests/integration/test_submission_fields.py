"""What records tells the submission service for the central database's workbooks (issue 11): the
personal fields sealed for submission alone, the grades themselves, the cadre record's unit and dates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from portfolio_shared.sealing import DEV_SUBMISSION_PRIVATE_KEY, open_sealed
from portfolio_shared.testing.jobs import job_outcome

pytestmark = pytest.mark.integration

SCHOOL = "sch-A"


async def _events(records: Any, key: str) -> list[dict[str, Any]]:
    async with records.runtime.engine.connect() as conn:
        rows = await conn.execute(text("SELECT body FROM outbox WHERE routing_key = :k ORDER BY id"), {"k": key})
        return [json.loads(b)["payload"] for b in rows.scalars()]


async def test_enrolment_and_corrections_carry_the_personal_fields_sealed_for_submission(
    records: Any, nid: Any
) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    await records.open_data_entry_now(SCHOOL)
    student = await records.admit(SCHOOL, 5, user_id="stu-5")
    (enrolled,) = await _events(records, "records.student.enrolled.v1")
    token = enrolled["sealed_personal_data"]
    assert nid(5) not in json.dumps(enrolled, ensure_ascii=False)
    opened = open_sealed(DEV_SUBMISSION_PRIVATE_KEY, token, context=f"{SCHOOL}/{student['id']}")
    assert opened == {"national_id": nid(5), "name": "學生5", "birth_date": "2009-05-01"}

    r = await records.client.patch(
        f"/api/v1/schools/{SCHOOL}/students/{student['id']}", json={"name": "改名"}, headers=records.staff(SCHOOL)
    )
    assert r.status_code == 200, r.text
    (changed,) = await _events(records, "records.student.basic_data_changed.v1")
    assert (
        open_sealed(DEV_SUBMISSION_PRIVATE_KEY, changed["sealed_personal_data"], context=f"{SCHOOL}/{student['id']}")[
            "name"
        ]
        == "改名"
    )


async def test_grades_and_cadre_records_carry_what_the_workbooks_need(records: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    student = await records.admit(SCHOOL, 6, number="S00006")
    content = (
        "student_number,academic_year,semester,course_code,subject_name,credits,score,passed\n"
        "S00006,114,1,C01,國語文,4,88.5,Y\nS00006,114,1,C02,數學,4,52,N\n"
    )
    started = await records.client.post(
        f"/api/v1/schools/{SCHOOL}/grade-imports",
        files={"file": ("grades.csv", content.encode(), "text/csv")},
        headers=records.staff(SCHOOL),
    )
    done = await job_outcome(records.client, started, records.staff(SCHOOL))
    assert done.succeeded, done.text
    (event,) = await _events(records, "records.grade.semester_recorded.v1")
    assert [(g["course_code"], g["subject_name"], g["credits"], g["score"], g["passed"]) for g in event["grades"]] == [
        ("C01", "國語文", 4, "88.50", True),
        ("C02", "數學", 4, "52.00", False),
    ]
    cadre = {"academic_year": 114, "semester": 1, "level": "club", "unit": "吉他社", "title": "社長",
             "starts_on": "2025-09-01", "ends_on": "2026-01-31"}  # fmt: skip
    url = f"/api/v1/schools/{SCHOOL}/students/{student['id']}/cadre-records"
    assert (await records.client.post(url, json=cadre, headers=records.staff(SCHOOL))).status_code == 201
    (recorded,) = await _events(records, "records.cadre.recorded.v1")
    assert (recorded["unit"], recorded["starts_on"], recorded["ends_on"]) == ("吉他社", "2025-09-01", "2026-01-31")
