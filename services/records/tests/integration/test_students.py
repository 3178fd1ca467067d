"""Students' national ID numbers (R-DATA-1): validation, encryption at rest, lookup, masking."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from portfolio_shared.permissions import Permission as P

pytestmark = pytest.mark.integration

SCHOOL = "sch-A"


def _body(national_id: str, number: str = "S1") -> dict[str, Any]:
    return {
        "name": "王小明",
        "national_id": national_id,
        "birth_date": "2009-05-01",
        "student_number": number,
        "class_name": "101",
        "effective_on": "2025-08-01",
    }


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("A123456788", "checksum"),
        ("A12345678", "length"),
        ("A1234567890", "length"),
        ("a123456789", "lower_case"),
        ("Ａ１２３４５６７８９", "full_width"),
        ("A１23456789", "full_width"),
    ],
)
async def test_bad_national_id_is_a_422_naming_the_field_and_reason(records: Any, value: str, reason: str) -> None:
    r = await records.client.post(
        f"/api/v1/schools/{SCHOOL}/students", json=_body(value), headers=records.staff(SCHOOL)
    )
    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["field"] == "national_id"
    assert problem["reason"] == reason
    assert problem["rule"] == "R-DATA-1"
    assert problem["title_zh"]
    assert value not in r.text  # the bad value is not echoed back


async def test_good_national_id_is_encrypted_found_by_lookup_and_masked(records: Any, nid: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    value = nid(1234567)
    created = await records.admit(SCHOOL, 1234567)
    assert created["national_id"] == value[:3] + "****" + value[-3:]
    assert created["national_id_masked"] is True

    # Not readable in the raw table: only a token, a key id, an HMAC and the masked form.
    async with records.runtime.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT * FROM students"))).mappings().all()
        audit = (await conn.execute(text("SELECT details::text FROM audit_log"))).scalars().all()
        outbox = (await conn.execute(text("SELECT body FROM outbox"))).scalars().all()
    assert len(rows) == 1
    raw = " ".join(str(v) for v in rows[0].values())
    assert value not in raw
    assert rows[0]["national_id_encrypted"].startswith("v1.k1.")
    assert rows[0]["national_id_kid"] == "k1"
    assert all(value not in d for d in audit) and all(value not in b for b in outbox)

    # Exact lookup (registry only), by a body so the number never lands in a URL or access log.
    r = await records.client.post(
        f"/api/v1/schools/{SCHOOL}/students/lookup", json={"national_id": value}, headers=records.staff(SCHOOL)
    )
    assert r.status_code == 200 and r.json()["id"] == created["id"]
    assert r.json()["national_id_masked"] is True
    r = await records.client.post(
        f"/api/v1/schools/{SCHOOL}/students/lookup", json={"national_id": nid(7654321)}, headers=records.staff(SCHOOL)
    )
    assert r.status_code == 404
    reader = records.staff(SCHOOL, [P.RECORDS_READ])
    r = await records.client.post(
        f"/api/v1/schools/{SCHOOL}/students/lookup", json={"national_id": value}, headers=reader
    )
    assert r.status_code == 403

    # Masked in lists, and in the detail view of anyone but the registry.
    listing = await records.client.get(f"/api/v1/schools/{SCHOOL}/students", headers=reader)
    assert listing.status_code == 200
    assert value not in listing.text and listing.json()["items"][0]["national_id"] == created["national_id"]
    detail = await records.client.get(f"/api/v1/schools/{SCHOOL}/students/{created['id']}", headers=reader)
    assert value not in detail.text
    registry = await records.client.get(
        f"/api/v1/schools/{SCHOOL}/students/{created['id']}", headers=records.staff(SCHOOL)
    )
    assert registry.json()["national_id"] == value and registry.json()["national_id_masked"] is False


async def test_same_national_id_twice_is_a_conflict_not_a_second_person(records: Any, nid: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    await records.admit(SCHOOL, 42)
    r = await records.client.post(
        f"/api/v1/schools/{SCHOOL}/students", json=_body(nid(42), "S2"), headers=records.staff(SCHOOL)
    )
    assert r.status_code == 409
    assert r.json()["rule"] == "R-ENR-1"


async def test_correcting_the_national_id_re_encrypts_and_updates_the_index(records: Any, nid: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    await records.open_data_entry_now(SCHOOL)
    created = await records.admit(SCHOOL, 5)
    r = await records.client.patch(
        f"/api/v1/schools/{SCHOOL}/students/{created['id']}",
        json={"national_id": nid(6), "class_name": "102"},
        headers=records.staff(SCHOOL),
    )
    assert r.status_code == 200, r.text
    assert r.json()["class_name"] == "102"
    r = await records.client.post(
        f"/api/v1/schools/{SCHOOL}/students/lookup", json={"national_id": nid(6)}, headers=records.staff(SCHOOL)
    )
    assert r.status_code == 200
    r = await records.client.patch(
        f"/api/v1/schools/{SCHOOL}/students/{created['id']}",
        json={"national_id": "A12345678"},
        headers=records.staff(SCHOOL),
    )
    assert r.status_code == 422 and r.json()["field"] == "national_id"


async def test_a_student_reads_their_own_data_only(records: Any, nid: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    mine = await records.admit(SCHOOL, 21, user_id="stu-21")
    other = await records.admit(SCHOOL, 22, user_id="stu-22")
    me = records.student(SCHOOL, "stu-21")
    r = await records.client.get(f"/api/v1/schools/{SCHOOL}/students/me", headers=me)
    assert r.status_code == 200 and r.json()["id"] == mine["id"]
    assert r.json()["national_id_masked"] is True and nid(21) not in r.text
    assert (await records.client.get(f"/api/v1/schools/{SCHOOL}/students/{mine['id']}", headers=me)).status_code == 200
    r = await records.client.get(f"/api/v1/schools/{SCHOOL}/students/{other['id']}", headers=me)
    assert r.status_code == 403 and "學生22" not in r.text
    assert (await records.client.get(f"/api/v1/schools/{SCHOOL}/students", headers=me)).status_code == 403
    grades = await records.client.get(f"/api/v1/schools/{SCHOOL}/students/{other['id']}/grades", headers=me)
    assert grades.status_code == 403
