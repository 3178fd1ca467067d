"""Spreadsheet formulas (CSV injection): imports keep and flag them, CSV exports neutralise them.

The security review stored a grade subject ``=HYPERLINK("http://…")``. It stays stored as sent (it
is the SIS's data), the import report names its line and column, and every CSV the records
service writes shows it as text (a leading ``'``), while scores and credits stay numbers.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.jobs import job_outcome

pytestmark = pytest.mark.integration

SCHOOL = "sch-A"
EVIL = '=HYPERLINK("http://evil.example/","成績")'
HEADER = "student_number,academic_year,semester,course_code,subject_name,credits,score,passed,qualitative"


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.content[3:].decode("utf-8"))))


async def _import(records: Any, lines: list[str]) -> Any:
    started = await records.client.post(
        f"/api/v1/schools/{SCHOOL}/grade-imports",
        files={"file": ("grades.csv", ("\n".join([HEADER, *lines]) + "\n").encode(), "text/csv")},
        headers=records.staff(SCHOOL),
    )
    return await job_outcome(records.client, started, records.staff(SCHOOL))


async def test_grade_import_keeps_and_flags_formula_cells_and_exports_neutralise_them(records: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)  # windows are closed unless opened (R-REC-1)
    student = await records.admit(SCHOOL, 1, number="S00001")
    r = await _import(
        records,
        [
            f'S00001,114,1,C01,"{EVIL.replace(chr(34), chr(34) * 2)}",4,88.5,Y,',  # line 2
            "S00001,114,1,-A1,數學,3,90,Y,-很好",  # line 3: a course code and a text that start with -
            "S00001,114,1,C03,@SUM(A1),2,70,Y,=cmd|' /C calc'!A0",  # line 4 (a tab would be stripped)
            "S00001,114,1,C04,國語文,4,80,Y,優良",  # line 5: clean
            "S00001,114,1,C05,+1,2,101,Y,",  # line 6: rejected (score), so not stored and not flagged
        ],
    )
    assert r.status_code == 200, r.text  # the job succeeded
    report = r.json()
    assert report["stored"] == 4
    assert [(x["line_number"], x["field"]) for x in report["rejected"]] == [(6, "score")]
    flagged = [(w["line_number"], w["field"], w["reason"]) for w in report["warnings"]]
    assert flagged == [
        (2, "subject_name", "formula_like"),
        (3, "course_code", "formula_like"),
        (3, "qualitative", "formula_like"),
        (4, "subject_name", "formula_like"),
        (4, "qualitative", "formula_like"),
    ]
    assert all(w["message"] and w["message_zh"] for w in report["warnings"])

    # The later report says the same; nothing was changed in the stored data.
    again = await records.client.get(
        f"/api/v1/schools/{SCHOOL}/grade-imports/{report['id']}", headers=records.staff(SCHOOL)
    )
    assert [(w["line_number"], w["field"]) for w in again.json()["warnings"]] == [f[:2] for f in flagged]
    grades_url = f"/api/v1/schools/{SCHOOL}/students/{student['id']}/grades"
    stored = {g["course_code"]: g for g in (await records.client.get(grades_url, headers=records.staff(SCHOOL))).json()}
    assert stored["C01"]["subject_name"] == EVIL
    assert stored["-A1"]["qualitative"] == "-很好"

    # The grades download: text neutralised, numbers as numbers.
    rows = {
        row["course_code"]: row
        for row in _csv(await records.client.get(f"{grades_url}.csv", headers=records.staff(SCHOOL)))
    }
    assert rows["C01"]["subject_name"] == "'" + EVIL
    assert rows["C01"]["score"] == "88.50" and rows["C01"]["credits"] == "4"
    assert "'-A1" in rows and rows["'-A1"]["qualitative"] == "'-很好"
    assert rows["C03"]["subject_name"] == "'@SUM(A1)" and rows["C03"]["qualitative"] == "'=cmd|' /C calc'!A0"
    assert rows["C04"]["subject_name"] == "國語文"

    # The import report download lists rejected lines and warnings by line.
    report_csv = _csv(
        await records.client.get(
            f"/api/v1/schools/{SCHOOL}/grade-imports/{report['id']}/report.csv", headers=records.staff(SCHOOL)
        )
    )
    assert [(x["line_number"], x["field"], x["kind"]) for x in report_csv] == [
        ("2", "subject_name", "warning"),
        ("3", "course_code", "warning"),
        ("3", "qualitative", "warning"),
        ("4", "subject_name", "warning"),
        ("4", "qualitative", "warning"),
        ("6", "score", "rejected"),
    ]


async def test_self_check_download_neutralises_names_and_subjects(records: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)  # windows are closed unless opened (R-REC-1)
    await records.admit(SCHOOL, 1, name="=1+2", class_name="-301")
    course = {"academic_year": 114, "semester": 1, "course_code": "C01", "subject_name": "@SUM(1)", "credits": 2}
    r = await records.client.post(f"/api/v1/schools/{SCHOOL}/courses", json=course, headers=records.staff(SCHOOL))
    assert r.status_code == 201, r.text
    url = f"/api/v1/schools/{SCHOOL}/self-check.csv"
    rows = _csv(
        await records.client.get(url, params={"academic_year": 114, "semester": 1}, headers=records.staff(SCHOOL))
    )
    students = [row for row in rows if row["section"] == "students_without_grades"]
    assert [(s["name"], s["class_name"], s["student_number"]) for s in students] == [("'=1+2", "'-301", "S00001")]
    courses = [row for row in rows if row["section"] == "courses_without_teachers"]
    assert [(c["course_code"], c["subject_name"]) for c in courses] == [("C01", "'@SUM(1)")]
    assert {row["section"] for row in rows} >= {"classes_without_cadre", "phases_without_window"}
    # JSON keeps the stored value: it is data for programs, not a spreadsheet.
    json_report = await records.client.get(
        f"/api/v1/schools/{SCHOOL}/self-check",
        params={"academic_year": 114, "semester": 1},
        headers=records.staff(SCHOOL),
    )
    assert json_report.json()["students_without_grades"][0]["name"] == "=1+2"


async def test_csv_downloads_need_the_same_permissions_and_school(records: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)  # windows are closed unless opened (R-REC-1)
    student = await records.admit(SCHOOL, 1)
    reader = records.staff(SCHOOL, perms=[P.RECORDS_READ])  # no selfcheck:read
    assert (await records.client.get(
        f"/api/v1/schools/{SCHOOL}/self-check.csv", params={"academic_year": 114, "semester": 1}, headers=reader
    )).status_code == 403  # fmt: skip
    other = records.staff("sch-B")
    r = await records.client.get(f"/api/v1/schools/sch-B/students/{student['id']}/grades.csv", headers=other)
    assert r.status_code == 404
