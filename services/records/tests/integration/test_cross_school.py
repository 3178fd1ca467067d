"""Cross-school matrix: a token of school A on objects of school B gets 403/404 and no data.

Every route of the records API is exercised twice: with B in the path (no permission there:
403) and with A in the path but B's object ids (not visible from A: 404). FOUNDATION.md:
another school's object is "not found", so existence does not leak.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.jobs import job_outcome

pytestmark = pytest.mark.integration

A, B = "sch-A", "sch-B"
WINDOW = {
    "starts_at": "2025-09-01T00:00:00+08:00",
    "ends_at": "2025-10-01T00:00:00+08:00",
    "self_check_at": "2025-09-20T00:00:00+08:00",
}
TERM = {"academic_year": 114, "semester": 1}


def bodies(b_national_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    base = "/api/v1/schools/{school_id}"
    student = base + "/students/{student_id}"
    return {
        ("POST", base + "/students"): {
            "json": {
                "name": "X",
                "national_id": "B123456780",
                "birth_date": "2009-01-01",
                "student_number": "Z9",
                "class_name": "101",
                "effective_on": "2025-08-01",
            }
        },
        ("POST", base + "/students/lookup"): {"json": {"national_id": b_national_id}},
        ("PUT", base + "/retention/settings"): {"json": {"archive_years": 5}},
        ("POST", base + "/retention/deletions"): {"json": {"student_ids": [str(uuid.uuid4())]}},
        ("GET", base + "/self-check"): {"params": TERM},
        ("GET", base + "/self-check.csv"): {"params": TERM},
        ("PATCH", student): {"json": {"class_name": "999"}},
        ("POST", student + "/enrolment-changes"): {"json": {"change": "suspension", "effective_on": "2025-09-01"}},
        ("POST", student + "/cadre-records"): {"json": {**TERM, "level": "class", "unit": "101", "title": "班長"}},
        ("POST", student + "/service-learning"): {
            "json": {
                **TERM,
                "organiser": "x",
                "activity": "y",
                "hours": 2,
                "starts_on": "2025-09-01",
                "ends_on": "2025-09-02",
            }
        },
        ("POST", student + "/rewards-punishments"): {
            "json": {**TERM, "kind": "commendation", "times": 1, "reason": "r", "occurred_on": "2025-09-01"}
        },
        ("POST", student + "/psych-tests"): {"json": {**TERM, "test_name": "t", "taken_on": "2025-09-01"}},
        ("POST", student + "/counselling-records"): {
            "json": {"held_at": "2025-09-01T10:00:00+08:00", "place": "p", "content": "c", "opinions": "o"}
        },
        ("POST", base + "/courses"): {"json": {**TERM, "course_code": "Q1", "subject_name": "s", "credits": 1}},
        ("PUT", base + "/courses/{course_id}/teachers"): {"json": {"teacher_user_ids": ["intruder"]}},
        ("PUT", base + "/courses/{course_id}/students"): {"json": {"student_ids": []}},
        ("PUT", base + "/calendar/{academic_year}/{semester}"): {
            "json": {"windows": [{"phase": "data_entry", **WINDOW}]}
        },
        ("PUT", base + "/calendar/{academic_year}/{semester}/{phase}"): {"json": WINDOW},
        ("PUT", base + "/artifact-caps"): {"json": {"outcomes_per_semester": 1}},
        ("PUT", base + "/settings"): {"json": {"time_zone": "UTC"}},
        ("PUT", student + "/contact"): {"json": {"recipient": "x", "postal_code": "100", "address": "y"}},
        ("POST", base + "/promotions"): {"json": {"effective_on": "2026-08-01"}},
        ("POST", base + "/grade-imports"): {
            "files": {
                "file": (
                    "g.csv",
                    b"student_number,academic_year,semester,course_code,subject_name,credits,"
                    b"score,passed\nB1,114,1,C1,s,1,1,N\n",
                    "text/csv",
                )
            }
        },
    }


async def _seed(records: Any, nid: Any) -> dict[str, str]:
    staff = records.staff(B)
    await records.open_data_entry(B, 114, 1)
    student = await records.admit(B, 900, number="B1", user_id="b-student")
    course = (
        await records.client.post(
            f"/api/v1/schools/{B}/courses",
            json={**TERM, "course_code": "BC1", "subject_name": "B 校課程", "credits": 2},
            headers=staff,
        )
    ).json()
    base = f"/api/v1/schools/{B}/students/{student['id']}"
    record = (
        await records.client.post(
            f"{base}/counselling-records",
            json={
                "held_at": "2025-09-01T10:00:00+08:00",
                "place": "B 校輔導室",
                "content": "B 校機密",
                "opinions": "B",
            },
            headers=staff,
        )
    ).json()
    content = (
        b"student_number,academic_year,semester,course_code,subject_name,credits,score,passed\nB1,114,1,BC1,B,2,77,Y\n"
    )
    started = await records.client.post(
        f"/api/v1/schools/{B}/grade-imports", files={"file": ("g.csv", content, "text/csv")}, headers=staff
    )
    imported = (await job_outcome(records.client, started, staff)).json()
    return {
        "student_id": student["id"],
        "course_id": course["id"],
        "record_id": record["id"],
        "import_id": imported["id"],
        "job_id": started.json()["id"],  # GET /api/v1/jobs/{job_id}: B's job is not found from A
        "academic_year": "114",
        "semester": "1",
        "phase": "data_entry",
        "request_id": str(uuid.uuid4()),  # a deletion request id (none exists at B: 404 either way)
    }


async def test_school_a_token_gets_nothing_of_school_b(records: Any, nid: Any) -> None:
    ids = await _seed(records, nid)
    # (ids are not listed: the problem's "instance" echoes the caller's own URL)
    secrets = ["B 校課程", "B 校機密", "B 校輔導室", "學生900", "BC1", nid(900), nid(900)[:3] + "****"]
    everything = [*(str(p) for p in P)]
    tokens = {
        "staff of A": records.minter.headers("a-staff", schools={A: everything}),
        "student of A": records.student(A, "a-student", [P.RECORDS_READ_OWN, P.COUNSELLING_READ_OWN]),
    }
    samples = bodies(nid(900))
    paths = records.client.app.openapi()["paths"]
    routes = [(m.upper(), path) for path, ops in paths.items() if path.startswith("/api/") for m in ops]
    assert len(routes) >= 25
    checked = 0
    for method, path in routes:
        kwargs = samples.get((method, path), {})
        for who, headers in tokens.items():
            # 1) B in the path: A's token has no permission at B.
            url = path.format(school_id=B, **ids)
            r = await records.client.request(method, url, headers=headers, **kwargs)
            assert r.status_code in (403, 404), (who, method, url, r.status_code, r.text)
            assert not any(s in r.text for s in secrets), (who, method, url)
            # 2) A in the path, B's object ids: not visible from A.
            object_ids = {"student_id", "course_id", "record_id", "import_id"} & {
                p.strip("{}") for p in path.split("/")
            }
            if object_ids or path.endswith("/lookup"):
                url = path.format(school_id=A, **ids)
                r = await records.client.request(method, url, headers=headers, **kwargs)
                assert r.status_code in (403, 404), (who, method, url, r.status_code, r.text)
                if who == "staff of A":
                    assert r.status_code == 404, (method, url, r.status_code, r.text)
                assert not any(s in r.text for s in secrets), (who, method, url)
            checked += 1
    assert checked >= 2 * 25

    # B's data is untouched.
    staff_b = records.staff(B)
    student = await records.client.get(f"/api/v1/schools/{B}/students/{ids['student_id']}", headers=staff_b)
    assert student.json()["class_name"] == "101" and student.json()["status"] == "enrolled"
    course = await records.client.get(f"/api/v1/schools/{B}/courses/{ids['course_id']}", headers=staff_b)
    assert course.json()["teacher_user_ids"] == []
