"""What records publishes for the other services: basic-data changes (a user id linked later),
grade level (promotion, repeat, graduation) and the postal contact (R-DATA-1, R-ENR-1, R-SUB-9).
No event carries a national ID; the contact is encrypted at rest."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from portfolio_shared.permissions import Permission as P

pytestmark = pytest.mark.integration

A, B = "sch-A", "sch-B"


async def _events(records: Any, key: str) -> list[dict[str, Any]]:
    async with records.runtime.engine.connect() as conn:
        rows = await conn.execute(text("SELECT body FROM outbox WHERE routing_key = :k ORDER BY id"), {"k": key})
        return [json.loads(b)["payload"] for b in rows.scalars()]


async def test_a_user_id_linked_later_is_announced_to_every_school_holding_the_student(records: Any, nid: Any) -> None:
    await records.open_data_entry(A, 114, 1)
    await records.open_data_entry_now(A)
    await records.open_data_entry(B, 114, 2)
    sid = (await records.admit(A, 7, number="A7"))["id"]  # no account yet
    url = f"/api/v1/schools/{A}/students/{sid}"
    r = await records.client.post(
        f"{url}/enrolment-changes",
        json={"change": "transfer_out", "effective_on": "2026-01-31", "to_school_id": B},
        headers=records.staff(A),
    )
    assert r.status_code == 201, r.text
    arrival = {
        "change": "transfer_in", "name": "學生7", "national_id": nid(7), "birth_date": "2009-05-01",
        "student_number": "B7", "grade": 1, "class_name": "105", "effective_on": "2026-02-01",
    }  # fmt: skip
    assert (
        await records.client.post(f"/api/v1/schools/{B}/students", json=arrival, headers=records.staff(B))
    ).status_code == 201

    r = await records.client.patch(url, json={"user_id": "stu-7"}, headers=records.staff(A))
    assert r.status_code == 200, r.text
    changes = await _events(records, "records.student.basic_data_changed.v1")
    assert [(e["school_id"], e["user_id"], e["status"], e["status_since"]) for e in changes] == [
        (A, "stu-7", "transferred_out", "2026-01-31"),
        (B, "stu-7", "enrolled", "2026-02-01"),
    ]
    assert all(e["changed_fields"] == ["user_id"] and e["previous_user_id"] is None for e in changes)

    r = await records.client.patch(url, json={"national_id": nid(8)}, headers=records.staff(A))
    assert r.status_code == 200
    last = (await _events(records, "records.student.basic_data_changed.v1"))[-1]
    assert last["changed_fields"] == ["national_id"] and nid(8) not in json.dumps(last)

    # Outside the current semester's data-entry window a correction is refused (R-REC-1).
    async with records.runtime.engine.begin() as conn:
        await conn.execute(text("DELETE FROM phase_windows WHERE school_id = :s AND academic_year > 114"), {"s": A})
    closed = await records.client.patch(url, json={"user_id": "stu-7b"}, headers=records.staff(A))
    assert closed.status_code == 409 and closed.json()["rule"] == "R-REC-1"


async def test_promotion_repeat_and_graduation_publish_the_grade_level(records: Any) -> None:
    for term in ((114, 1), (115, 1)):
        await records.open_data_entry(A, *term)
    first = (await records.admit(A, 1, user_id="stu-1"))["id"]
    repeater = (await records.admit(A, 2, user_id="stu-2"))["id"]
    senior = (await records.admit(A, 3, grade=3, user_id="stu-3"))["id"]
    staff = records.staff(A)
    base = f"/api/v1/schools/{A}/students"
    r = await records.client.post(
        f"{base}/{repeater}/enrolment-changes",
        json={"change": "repeat_grade", "effective_on": "2026-01-20"},
        headers=staff,
    )
    assert r.status_code == 201, r.text
    r = await records.client.post(
        f"{base}/{senior}/enrolment-changes", json={"change": "graduation", "effective_on": "2026-01-30"}, headers=staff
    )
    assert r.status_code == 201, r.text

    promoted = await records.client.post(
        f"/api/v1/schools/{A}/promotions", json={"effective_on": "2026-08-01"}, headers=staff
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json() == {"academic_year": 115, "promoted": 1, "repeating": 1, "not_promoted_grade_3": 0}
    again = await records.client.post(
        f"/api/v1/schools/{A}/promotions", json={"effective_on": "2026-08-02"}, headers=staff
    )
    assert again.status_code == 409 and again.json()["rule"] == "R-ENR-1"
    closed = await records.client.post(
        f"/api/v1/schools/{A}/promotions", json={"effective_on": "2027-08-01"}, headers=staff
    )
    assert closed.status_code == 409 and closed.json()["reason"] == "no_window"  # 116-1 not opened

    levels = await _events(records, "records.student.grade_level_changed.v1")
    assert [(e["user_id"], e["change"], e["from_grade"], e["to_grade"], e["academic_year"]) for e in levels] == [
        ("stu-2", "repeat_grade", 1, 1, 114),
        ("stu-3", "graduation", 3, None, 114),
        ("stu-1", "promotion", 1, 2, 115),
    ]
    student = await records.client.get(f"{base}/{first}", headers=staff)
    assert student.json()["grade"] == 2
    history = await records.client.get(f"{base}/{first}/enrolment-changes", headers=staff)
    assert [h["change"] for h in history.json()] == ["admission", "promotion"]


async def test_the_postal_contact_is_encrypted_at_rest_and_published_without_a_national_id(
    records: Any, nid: Any
) -> None:
    await records.open_data_entry(A, 114, 1)
    sid = (await records.admit(A, 5, user_id="stu-5"))["id"]
    url = f"/api/v1/schools/{A}/students/{sid}/contact"
    contact = {"recipient": "王大明 家長", "postal_code": "10617", "address": "臺北市大安區羅斯福路四段1號"}
    assert (await records.client.get(url, headers=records.staff(A))).status_code == 404
    bad = await records.client.put(url, json={**contact, "postal_code": "1061"}, headers=records.staff(A))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("postal_code")
    too_long = await records.client.put(url, json={**contact, "address": "路" * 201}, headers=records.staff(A))
    assert too_long.status_code == 422
    at_limit = await records.client.put(url, json={**contact, "address": "路" * 200}, headers=records.staff(A))
    assert at_limit.status_code == 200
    reader = records.staff(A, [P.RECORDS_READ])
    assert (await records.client.put(url, json=contact, headers=reader)).status_code == 403
    r = await records.client.put(url, json=contact, headers=records.staff(A))
    assert r.status_code == 200, r.text
    assert (await records.client.get(url, headers=reader)).json() == contact
    assert (await records.client.get(url, headers=records.student(A, "stu-5"))).json() == contact
    assert (await records.client.get(url, headers=records.student(A, "stu-other"))).status_code == 403

    async with records.runtime.engine.connect() as conn:
        raw = (await conn.execute(text("SELECT contact_encrypted FROM student_contacts"))).scalar_one()
    assert "羅斯福路" not in raw and "10617" not in raw
    events = await _events(records, "records.student.contact_address_set.v1")
    assert events[-1] == {"student_id": sid, "user_id": "stu-5", "school_id": A, **contact}
    assert all(nid(5) not in json.dumps(e) for e in events)
