"""SIS grade import (R-DATA-2, R-DUTY-3): row-level report, idempotence, one event per student-semester."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from portfolio_shared.testing.jobs import job_outcome

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
    """The import answers 202 with a job; the job's end is the report (or the problem)."""
    started = await records.client.post(
        f"/api/v1/schools/{SCHOOL}/grade-imports",
        files={"file": ("grades.csv", content, "text/csv")},
        headers=records.staff(SCHOOL),
    )
    return await job_outcome(records.client, started, records.staff(SCHOOL))


async def test_thousand_rows_three_bad_then_same_file_changes_nothing(records: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    for n in range(50):
        await records.admit(SCHOOL, n, number=f"S{n:05d}")
    content, bad_lines = grade_file(50, 20)
    assert content.count("\n") == 1 + 1000

    r = await _import(records, content.encode())
    assert r.status_code == 200, r.text
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
    assert again.status_code == 200
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
    await records.open_data_entry(SCHOOL, 114, 1)
    await records.open_data_entry(SCHOOL, 114, 2)
    student = await records.admit(SCHOOL, 1, number="A001")
    content = "學號,學年度,學期,課程代碼,科目名稱,學分,成績,及格\nA001,114,2,M1,數學,4,88.5,是\n"
    r = await _import(records, content.encode("cp950"))
    assert r.status_code == 200, r.text
    assert r.json()["encoding"] == "cp950" and r.json()["stored"] == 1
    grades = await records.client.get(
        f"/api/v1/schools/{SCHOOL}/students/{student['id']}/grades", headers=records.staff(SCHOOL)
    )
    assert grades.json()[0]["subject_name"] == "數學" and grades.json()[0]["score"] == "88.50"


async def test_a_file_without_the_required_columns_is_rejected_whole(records: Any) -> None:
    r = await _import(records, b"student_number,score\nS1,80\n")
    assert r.status_code == 422
    assert r.json()["code"] == "grades-file-invalid" and "academic_year" in r.json()["missing_columns"]


def _window(start: str, end: str) -> dict[str, Any]:
    return {"phase": "data_entry", "starts_at": start, "ends_at": end, "self_check_at": start}


async def test_a_grade_import_outside_any_window_is_a_409_with_the_dates(records: Any) -> None:
    """R-REC-1, R-SCHED-1: windows are closed unless opened; the refusal names the windows' dates."""
    await records.open_data_entry(SCHOOL, 114, 1)
    await records.admit(SCHOOL, 1, number="A001")
    content = (HEADER + "A001,114,2,M1,數學,4,88,Y\nA001,113,2,M1,數學,4,70,Y\n").encode()

    nothing_set = await _import(records, content)
    assert nothing_set.status_code == 409, nothing_set.text
    body = nothing_set.json()
    assert body["rule"] == "R-REC-1" and body["reason"] == "no_window" and body["phase"] == "data_entry"
    assert [(w["academic_year"], w["semester"], w["starts_at"]) for w in body["windows"]] == [
        (113, 2, None),
        (114, 2, None),
    ]

    past = _window("2026-02-01T08:00:00+08:00", "2026-07-31T17:00:00+08:00")
    r = await records.client.put(
        f"/api/v1/schools/{SCHOOL}/calendar/114/2", json={"windows": [past]}, headers=records.staff(SCHOOL)
    )
    assert r.status_code == 200
    closed = await _import(records, content)
    assert closed.status_code == 409
    body = closed.json()
    assert body["reason"] == "outside_window"
    assert body["windows"][1] == {
        "academic_year": 114,
        "semester": 2,
        "phase": "data_entry",
        "starts_at": "2026-02-01T08:00:00+08:00",
        "ends_at": "2026-07-31T17:00:00+08:00",
    }
    assert "2026-02-01T08:00:00+08:00 to 2026-07-31T17:00:00+08:00" in body["detail"]
    assert "2026-02-01T08:00:00+08:00" in body["detail_zh"]
    assert await _counts(records) == (0, 0)  # nothing stored, nothing published

    # One semester open: its lines are stored, the closed semester's line is reported by number.
    await records.open_data_entry(SCHOOL, 114, 2)
    partial = await _import(records, content)
    assert partial.status_code == 200, partial.text
    assert partial.json()["stored"] == 1
    assert [(x["line_number"], x["reason"]) for x in partial.json()["rejected"]] == [(3, "window_closed")]


async def test_a_school_time_zone_changes_how_the_refusal_shows_the_dates(records: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    await records.admit(SCHOOL, 1, number="A001")
    staff = records.staff(SCHOOL)
    r = await records.client.put(f"/api/v1/schools/{SCHOOL}/settings", json={"time_zone": "UTC"}, headers=staff)
    assert r.status_code == 200
    past = _window("2026-02-01T08:00:00+08:00", "2026-07-31T17:00:00+08:00")
    await records.client.put(f"/api/v1/schools/{SCHOOL}/calendar/114/2", json={"windows": [past]}, headers=staff)
    closed = await _import(records, (HEADER + "A001,114,2,M1,數學,4,88,Y\n").encode())
    assert closed.status_code == 409
    assert (closed.json()["starts_at"], closed.json()["ends_at"]) == (
        "2026-02-01T00:00:00+00:00",
        "2026-07-31T09:00:00+00:00",
    )
