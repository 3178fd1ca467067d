"""SIS grade import (R-DATA-2, R-DUTY-3): row-level report, idempotence, one event per student-semester."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.integration

SCHOOL = "sch-A"
HEADER = "student_number,academic_year,semester,course_code,subject_name,credits,score,passed\n"


def grade_file(students: int, courses: int, *, bump: str | None = None) -> tuple[str, list[int]]:
    """``students * courses - 3`` good lines and 3 bad ones."""
    lines = [HEADER]
    good = [(s, c) for s in range(students) for c in range(courses)][:-3]
    for s, c in good:
        score = 60 + (s * 7 + c * 3) % 40
        if bump == f"S{s:05d}-C{c:02d}":
            score += 1
        lines.append(f"S{s:05d},114,1,C{c:02d},科目{c},2,{score},Y\n")
    # Three bad lines: a score out of range, an unknown student number, a bad semester.
    bad_at = [len(lines) + 1, len(lines) + 2, len(lines) + 3]
    lines += ["S00001,114,1,X01,科目,2,101,Y\n", "NOBODY,114,1,C01,科目,2,80,Y\n", "S00002,114,3,C01,科目,2,80,Y\n"]
    return "".join(lines), bad_at


async def _counts(records: Any) -> tuple[int, int]:
    async with records.runtime.engine.connect() as conn:
        grades = (await conn.execute(text("SELECT count(*) FROM grades"))).scalar_one()
        events = (
            await conn.execute(
                text("SELECT count(*) FROM outbox WHERE routing_key = 'records.grade.semester_recorded.v1'")
            )
        ).scalar_one()
    return grades, events


async def _import(records: Any, content: bytes) -> Any:
    return await records.client.post(
        f"/api/v1/schools/{SCHOOL}/grade-imports",
        files={"file": ("grades.csv", content, "text/csv")},
        headers=records.staff(SCHOOL),
    )


async def test_thousand_rows_three_bad_then_same_file_changes_nothing(records: Any) -> None:
    for n in range(50):
        await records.admit(SCHOOL, n, number=f"S{n:05d}")
    content, bad_lines = grade_file(50, 20)
    assert content.count("\n") == 1 + 1000

    r = await _import(records, content.encode())
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["stored"] == 997 and report["inserted"] == 997 and report["updated"] == 0
    assert [x["line_number"] for x in report["rejected"]] == bad_lines
    assert [(x["field"], x["reason"]) for x in report["rejected"]] == [
        ("score", "out_of_range"),
        ("student_number", "unknown_student"),
        ("semester", "out_of_range"),
    ]
    grades, events = await _counts(records)
    assert grades == 997
    assert events == 50  # one per changed student-semester, not one per grade
    async with records.runtime.engine.connect() as conn:
        body = (
            await conn.execute(text("SELECT body FROM outbox WHERE routing_key LIKE 'records.grade%' LIMIT 1"))
        ).scalar_one()
    payload = json.loads(body)["payload"]
    assert payload["grade_count"] in (17, 20) and payload["semester"] == 1

    again = await _import(records, content.encode())
    assert again.status_code == 201
    assert again.json()["inserted"] == 0 and again.json()["updated"] == 0 and again.json()["unchanged"] == 997
    assert await _counts(records) == (997, 50)  # no change, no new events

    changed, _ = grade_file(50, 20, bump="S00007-C03")
    third = (await _import(records, changed.encode())).json()
    assert third["updated"] == 1 and third["student_semesters_changed"] == 1
    assert await _counts(records) == (997, 51)

    stored = await records.client.get(
        f"/api/v1/schools/{SCHOOL}/grade-imports/{report['id']}", headers=records.staff(SCHOOL)
    )
    assert stored.status_code == 200 and [x["line_number"] for x in stored.json()["rejected"]] == bad_lines


async def test_big5_file_with_chinese_headers(records: Any) -> None:
    student = await records.admit(SCHOOL, 1, number="A001")
    content = "學號,學年度,學期,課程代碼,科目名稱,學分,成績,及格\nA001,114,2,M1,數學,4,88.5,是\n"
    r = await _import(records, content.encode("cp950"))
    assert r.status_code == 201, r.text
    assert r.json()["encoding"] == "cp950" and r.json()["stored"] == 1
    grades = await records.client.get(
        f"/api/v1/schools/{SCHOOL}/students/{student['id']}/grades", headers=records.staff(SCHOOL)
    )
    assert grades.json()[0]["subject_name"] == "數學" and grades.json()[0]["score"] == "88.50"


async def test_a_file_without_the_required_columns_is_rejected_whole(records: Any) -> None:
    r = await _import(records, b"student_number,score\nS1,80\n")
    assert r.status_code == 422
    assert r.json()["code"] == "grades_file_invalid" and "academic_year" in r.json()["missing_columns"]
