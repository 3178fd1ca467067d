"""Key rotation: every encrypted field moves to the current key; old keys can then be retired."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import text

from portfolio_records.config import Settings
from portfolio_records.domain.crypto import generate_key
from portfolio_records.service_layer.rotation import rotate_keys
from portfolio_records.service_layer.security import RecordsCrypto

pytestmark = pytest.mark.integration

A = "sch-A"


async def test_rotation_re_encrypts_national_ids_counselling_and_psych_results(records: Any, nid: Any) -> None:
    await records.open_data_entry(A, 114, 1)
    sid = (await records.admit(A, 3))["id"]
    base = f"/api/v1/schools/{A}/students/{sid}"
    r = await records.client.post(
        f"{base}/counselling-records",
        headers=records.staff(A),
        json={"held_at": "2025-10-01T09:00:00+08:00", "place": "p", "content": "c", "opinions": ""},
    )
    assert r.status_code == 201
    r = await records.client.post(
        f"{base}/psych-tests",
        headers=records.staff(A),
        json={
            "academic_year": 114,
            "semester": 1,
            "test_name": "t",
            "taken_on": "2025-10-01",
            "result_summary": "結果",
        },
    )
    assert r.status_code == 201
    contact = {"recipient": "家長", "postal_code": "10617", "address": "臺北市大安區"}
    r = await records.client.put(f"{base}/contact", headers=records.staff(A), json=contact)
    assert r.status_code == 200
    old: Settings = records.runtime.settings
    new_key = base64.b64encode(generate_key()).decode()
    rotated = RecordsCrypto.from_settings(
        old.model_copy(update={"field_keys": f"{old.field_keys},k2:{new_key}", "field_current_kid": "k2"})
    )
    assert await rotate_keys(records.runtime, rotated, batch=1) == {
        "students": 1,
        "counselling_records": 1,
        "psych_tests": 1,
        "student_contacts": 1,
    }
    assert await rotate_keys(records.runtime, rotated) == {
        "students": 0,
        "counselling_records": 0,
        "psych_tests": 0,
        "student_contacts": 0,
    }

    async with records.runtime.engine.connect() as conn:
        student = (await conn.execute(text("SELECT * FROM students"))).mappings().one()
        counselling = (await conn.execute(text("SELECT * FROM counselling_records"))).mappings().one()
        psych = (await conn.execute(text("SELECT * FROM psych_tests"))).mappings().one()
        postal = (await conn.execute(text("SELECT * FROM student_contacts"))).mappings().one()
    assert student["national_id_kid"] == "k2" and student["national_id_encrypted"].startswith("v1.k2.")
    only_new = RecordsCrypto.from_settings(
        old.model_copy(update={"field_keys": f"k2:{new_key}", "field_current_kid": "k2"})
    )
    assert only_new.open_national_id(student["id"], student["national_id_encrypted"]) == nid(3)
    assert only_new.open(counselling["id"], "content", counselling["content_encrypted"]) == "c"
    assert only_new.open(counselling["id"], "opinions", counselling["opinions_encrypted"]) == ""
    assert only_new.open(psych["id"], "result_summary", psych["result_summary_encrypted"]) == "結果"
    assert "10617" in only_new.open(postal["student_id"], "contact", postal["contact_encrypted"])
