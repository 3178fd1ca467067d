"""``GET courses/mine``: the caller's own courses (taken, taught or reviewed), what the portal shows a
student choosing the course of an outcome (R-ART-1) and a teacher's certification queue (R-ART-3).
No other student's id is in the answer; another term, another school and someone else's course stay out."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

A, B = "school-own-a", "school-own-b"


async def _course(records: Any, school: str, code: str, semester: int = 1) -> str:
    body = {
        "academic_year": 114,
        "semester": semester,
        "course_code": code,
        "subject_name": f"科目{code}",
        "credits": 2,
    }
    r = await records.client.post(f"/api/v1/schools/{school}/courses", json=body, headers=records.staff(school))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _put(records: Any, school: str, course: str, what: str, body: dict[str, Any]) -> None:
    r = await records.client.put(
        f"/api/v1/schools/{school}/courses/{course}/{what}", json=body, headers=records.staff(school)
    )
    assert r.status_code == 200, r.text


async def test_own_courses_of_a_student_and_of_a_teacher(records: Any) -> None:
    for school in (A, B):
        await records.open_data_entry(school, 114, 1)
        await records.open_data_entry(school, 114, 2)
    me = await records.admit(A, 31, user_id="stu-31")
    other = await records.admit(A, 32, user_id="stu-32")
    taken = await _course(records, A, "MINE1")
    not_taken = await _course(records, A, "OTHER1")
    later = await _course(records, A, "MINE2", semester=2)
    await _put(records, A, taken, "students", {"student_ids": [me["id"], other["id"]]})
    await _put(records, A, later, "students", {"student_ids": [me["id"]]})
    await _put(records, A, not_taken, "students", {"student_ids": [other["id"]]})
    await _put(records, A, taken, "teachers", {"teacher_user_ids": ["t-1"]})
    await _put(
        records, A, not_taken, "teachers", {"teacher_user_ids": ["t-2", "t-3"], "reviewing_teacher_user_id": "t-3"}
    )

    url = f"/api/v1/schools/{A}/courses/mine"
    student = records.student(A, "stu-31")
    r = await records.client.get(url, params={"academic_year": 114, "semester": 1}, headers=student)
    assert r.status_code == 200, r.text
    assert [c["course_code"] for c in r.json()] == ["MINE1"]
    assert "student_ids" not in r.json()[0]  # no classmate's id
    assert r.json()[0]["teacher_user_ids"] == ["t-1"]
    r = await records.client.get(url, headers=student)
    assert [c["course_code"] for c in r.json()] == ["MINE1", "MINE2"]

    teacher = records.minter.headers("t-1", schools={A: ["outcome:certify", "schedule:read"]})
    r = await records.client.get(url, params={"academic_year": 114, "semester": 1}, headers=teacher)
    assert [c["course_code"] for c in r.json()] == ["MINE1"]
    reviewer = records.minter.headers("t-3", schools={A: ["outcome:certify"]})
    r = await records.client.get(url, headers=reviewer)
    assert [c["course_code"] for c in r.json()] == ["OTHER1"]
    nobody = records.minter.headers("t-9", schools={A: ["outcome:certify"]})
    assert (await records.client.get(url, headers=nobody)).json() == []

    # Another school: not a member → 403; a member there sees nothing of school A.
    r = await records.client.get(f"/api/v1/schools/{B}/courses/mine", headers=student)
    assert r.status_code == 403
    at_b = records.student(B, "stu-31")
    assert (await records.client.get(f"/api/v1/schools/{B}/courses/mine", headers=at_b)).json() == []
