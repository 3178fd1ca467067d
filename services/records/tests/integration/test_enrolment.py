"""Enrolment changes (R-ENR-1): dated, audited, published; records follow a transferred student."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from portfolio_shared.testing.jobs import job_outcome

pytestmark = pytest.mark.integration

A, B = "sch-A", "sch-B"


async def _events(records: Any, key: str) -> list[dict[str, Any]]:
    async with records.runtime.engine.connect() as conn:
        bodies = (
            await conn.execute(text("SELECT body FROM outbox WHERE routing_key = :k ORDER BY id"), {"k": key})
        ).scalars()
        return [json.loads(b)["payload"] for b in bodies]


async def test_transfer_within_the_district_keeps_the_history_visible_to_the_new_school(records: Any, nid: Any) -> None:
    for school, year, semester in ((A, 114, 1), (B, 114, 1), (B, 114, 2)):
        await records.open_data_entry(school, year, semester)
    student = await records.admit(A, 5, number="A005", user_id="stu-5")
    sid = student["id"]
    csv = b"student_number,academic_year,semester,course_code,subject_name,credits,score,passed\n"
    csv += b"A005,114,1,M1,Math,4,91,Y\n"
    r = await job_outcome(
        records.client,
        await records.client.post(
            f"/api/v1/schools/{A}/grade-imports", files={"file": ("g.csv", csv, "text/csv")}, headers=records.staff(A)
        ),
        records.staff(A),
    )
    assert r.json()["stored"] == 1
    cadre = {"academic_year": 114, "semester": 1, "level": "class", "unit": "101", "title": "班長"}
    r = await records.client.post(
        f"/api/v1/schools/{A}/students/{sid}/cadre-records", json=cadre, headers=records.staff(A)
    )
    assert r.status_code == 201, r.text

    # B cannot take the student in while A still holds the enrolment.
    arrival = {
        "change": "transfer_in",
        "name": "ignored",
        "national_id": nid(5),
        "birth_date": "2009-05-01",
        "student_number": "B100",
        "grade": 1,
        "class_name": "105",
        "effective_on": "2026-02-01",
    }
    early = await records.client.post(f"/api/v1/schools/{B}/students", json=arrival, headers=records.staff(B))
    assert early.status_code == 409 and early.json()["rule"] == "R-ENR-1"

    out = await records.client.post(
        f"/api/v1/schools/{A}/students/{sid}/enrolment-changes",
        json={"change": "transfer_out", "effective_on": "2026-01-31", "to_school_id": B},
        headers=records.staff(A),
    )
    assert out.status_code == 201 and out.json()["status"] == "transferred_out"
    moved = await records.client.post(f"/api/v1/schools/{B}/students", json=arrival, headers=records.staff(B))
    assert moved.status_code == 201, moved.text
    assert moved.json()["id"] == sid and moved.json()["name"] == student["name"]  # same person, same records
    assert moved.json()["student_number"] == "B100" and moved.json()["status"] == "enrolled"

    # The history made at A is visible at B (nothing lost).
    grades = await records.client.get(f"/api/v1/schools/{B}/students/{sid}/grades", headers=records.staff(B))
    assert [(g["school_id"], g["course_code"], g["score"]) for g in grades.json()] == [(A, "M1", "91.00")]
    cadres = await records.client.get(f"/api/v1/schools/{B}/students/{sid}/cadre-records", headers=records.staff(B))
    assert [c["title"] for c in cadres.json()] == ["班長"]
    history = await records.client.get(
        f"/api/v1/schools/{B}/students/{sid}/enrolment-changes", headers=records.staff(B)
    )
    assert [(h["school_id"], h["change"]) for h in history.json()] == [
        (A, "admission"),
        (A, "transfer_out"),
        (B, "transfer_in"),
    ]
    assert history.json()[2]["from_school_id"] == A and history.json()[1]["to_school_id"] == B

    # B's file cannot overwrite the grade A recorded (R-ENR-1).
    csv_b = csv.replace(b"A005", b"B100").replace(b",91,", b",12,")
    r = await job_outcome(
        records.client,
        await records.client.post(
            f"/api/v1/schools/{B}/grade-imports", files={"file": ("g.csv", csv_b, "text/csv")}, headers=records.staff(B)
        ),
        records.staff(B),
    )
    assert r.json()["updated"] == 0 and r.json()["unchanged"] == 1
    grades = await records.client.get(f"/api/v1/schools/{B}/students/{sid}/grades", headers=records.staff(B))
    assert grades.json()[0]["score"] == "91.00"

    changes = await _events(records, "records.student.enrolment_changed.v1")
    assert [(e["school_id"], e["change"]) for e in changes] == [
        (A, "admission"),
        (A, "transfer_out"),
        (B, "transfer_in"),
    ]
    assert changes[2]["from_school_id"] == A and changes[1]["to_school_id"] == B
    assert all(nid(5) not in json.dumps(e) for e in changes)


async def test_suspension_reinstatement_repeat_graduation_and_impossible_changes(records: Any) -> None:
    await records.open_data_entry(A, 114, 1)
    await records.open_data_entry(A, 114, 2)
    sid = (await records.admit(A, 9, grade=3))["id"]
    url = f"/api/v1/schools/{A}/students/{sid}/enrolment-changes"

    async def change(kind: str, **extra: Any) -> Any:
        return await records.client.post(
            url, json={"change": kind, "effective_on": "2026-03-01", **extra}, headers=records.staff(A)
        )

    assert (await change("reinstatement")).status_code == 409  # not suspended
    assert (await change("suspension")).json()["status"] == "suspended"
    assert (await change("graduation")).status_code == 409
    assert (await change("reinstatement")).json()["status"] == "enrolled"
    repeated = await change("repeat_grade")
    assert repeated.json()["repeating"] is True and repeated.json()["grade"] == 3
    assert (await change("graduation")).json()["status"] == "graduated"
    assert (await change("leaving")).status_code == 409

    audit = await records.client.get(f"/api/v1/schools/{A}/audit", headers=records.staff(A))
    actions = [a["action"] for a in audit.json()]
    for action in (
        "enrolment.admission",
        "enrolment.suspension",
        "enrolment.reinstatement",
        "enrolment.repeat_grade",
        "enrolment.graduation",
    ):
        assert action in actions
    assert all(a["actor"] == "staff-1" for a in audit.json())


async def test_visiting_study_keeps_the_home_enrolment(records: Any, nid: Any) -> None:
    await records.open_data_entry(A, 114, 1)
    await records.open_data_entry(B, 114, 1)
    sid = (await records.admit(A, 11))["id"]
    visit = {
        "change": "visiting_study",
        "name": "x",
        "national_id": nid(11),
        "birth_date": "2009-05-01",
        "student_number": "V1",
        "grade": 1,
        "class_name": "199",
        "effective_on": "2025-09-01",
    }
    r = await records.client.post(f"/api/v1/schools/{B}/students", json=visit, headers=records.staff(B))
    assert r.status_code == 201, r.text
    assert r.json()["id"] == sid and r.json()["status"] == "visiting"
    home = await records.client.get(f"/api/v1/schools/{A}/students/{sid}", headers=records.staff(A))
    assert home.json()["status"] == "enrolled"
