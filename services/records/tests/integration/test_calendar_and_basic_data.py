"""Calendar windows and caps (R-SCHED-1, R-SUB-6, R-ART-2), basic data by office (R-DUTY-1), self-check (R-SCHED-2)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from portfolio_shared.permissions import Permission as P

pytestmark = pytest.mark.integration

A = "sch-A"


def window(phase: str, start: str, end: str, check: str) -> dict[str, str]:
    tz = "+08:00"
    return {"phase": phase, "starts_at": start + tz, "ends_at": end + tz, "self_check_at": check + tz}


async def _payloads(records: Any, key: str) -> list[dict[str, Any]]:
    async with records.runtime.engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT body FROM outbox WHERE routing_key = :k ORDER BY id"), {"k": key})
        ).scalars()
        return [json.loads(b)["payload"] for b in rows]


async def test_schedule_windows_are_validated_stored_published_and_audited(records: Any) -> None:
    guidance = records.staff(A, [P.SCHEDULE_WRITE], user="guidance-1")
    url = f"/api/v1/schools/{A}/calendar/114/1"
    windows = [
        window("outcome_upload", "2025-09-01T00:00:00", "2026-01-20T00:00:00", "2026-01-10T00:00:00"),
        window("outcome_certification", "2025-09-01T00:00:00", "2026-01-31T00:00:00", "2026-01-25T00:00:00"),
    ]
    r = await records.client.put(url, json={"windows": windows}, headers=guidance)
    assert r.status_code == 200, r.text
    assert [w["phase"] for w in r.json()["windows"]] == ["outcome_upload", "outcome_certification"]

    short = window("receipt_confirmation", "2026-03-01T00:00:00", "2026-03-03T00:00:00", "2026-03-02T00:00:00")
    bad = await records.client.put(
        f"{url}/receipt_confirmation", json={k: v for k, v in short.items() if k != "phase"}, headers=guidance
    )
    assert bad.status_code == 422 and bad.json()["rule"] == "R-SUB-6"
    outside = window("data_entry", "2025-09-01T00:00:00", "2025-09-10T00:00:00", "2025-09-20T00:00:00")
    bad = await records.client.put(url, json={"windows": [outside]}, headers=guidance)
    assert bad.status_code == 422 and bad.json()["field"] == "self_check_at"
    naive = await records.client.put(
        url, json={"windows": [{**outside, "starts_at": "2025-09-01T00:00:00"}]}, headers=guidance
    )
    assert naive.status_code == 422

    moved = window("outcome_upload", "2025-09-01T00:00:00", "2026-01-25T00:00:00", "2026-01-15T00:00:00")
    r = await records.client.put(
        f"{url}/outcome_upload", json={k: v for k, v in moved.items() if k != "phase"}, headers=guidance
    )
    assert r.status_code == 200
    student = records.student(A, "stu-1")
    published = await records.client.get(url, headers=student)  # the schedule is published (R-SCHED-1)
    assert published.status_code == 200
    # Shown in the school's time zone, Asia/Taipei by default (RFC 3339 with the offset).
    assert published.json()["windows"][0]["ends_at"] == "2026-01-25T00:00:00+08:00"
    assert (await records.client.put(url, json={"windows": windows}, headers=student)).status_code == 403

    events = await _payloads(records, "records.schedule.window_set.v1")
    assert [e["phase"] for e in events] == ["outcome_upload", "outcome_certification", "outcome_upload"]
    audit = await records.client.get(f"/api/v1/schools/{A}/audit", headers=records.staff(A))
    assert sum(a["action"] == "schedule.window_set" for a in audit.json()) == 3


async def test_artifact_caps_default_and_set(records: Any) -> None:
    url = f"/api/v1/schools/{A}/artifact-caps"
    assert (await records.client.get(url, headers=records.student(A, "s"))).json()["outcomes_per_semester"] == 6
    data_section = records.staff(A, [P.OUTCOME_SETTINGS_WRITE])
    r = await records.client.put(
        url, json={"outcomes_per_semester": 9, "performances_per_year": 20}, headers=data_section
    )
    assert r.status_code == 200
    assert (await records.client.get(url, headers=records.student(A, "s"))).json()["outcomes_per_semester"] == 9
    assert (await records.client.put(url, json={"outcomes_per_semester": 0}, headers=data_section)).status_code == 422
    assert await _payloads(records, "records.policy.artifact_caps_set.v1") == [
        {"school_id": A, "outcomes_per_semester": 9, "performances_per_year": 20}
    ]


async def test_each_office_writes_its_own_basic_data_and_self_check_reports_gaps(records: Any) -> None:
    await records.open_data_entry(A, 114, 1)
    s1 = (await records.admit(A, 1, class_name="101", user_id="stu-1"))["id"]
    await records.admit(A, 2, class_name="102")
    term = {"academic_year": 114, "semester": 1}
    base = f"/api/v1/schools/{A}/students/{s1}"
    samples = {
        "cadre-records": (P.CADRE_WRITE, {**term, "level": "class", "unit": "101", "title": "班長"}),
        "service-learning": (
            P.SERVICE_LEARNING_WRITE,
            {
                **term,
                "organiser": "圖書館",
                "activity": "整理書籍",
                "hours": 4.5,
                "starts_on": "2025-10-01",
                "ends_on": "2025-10-02",
            },
        ),
        "rewards-punishments": (
            P.REWARDS_WRITE,
            {**term, "kind": "minor_merit", "times": 1, "reason": "熱心服務", "occurred_on": "2025-11-01"},
        ),
        "psych-tests": (
            P.PSYCH_TESTS_WRITE,
            {**term, "test_name": "生涯興趣量表", "taken_on": "2025-10-15", "result_summary": "研究型、藝術型"},
        ),
    }
    for path, (permission, body) in samples.items():
        other_office = records.staff(A, [p for p, _ in samples.values() if p != permission] + [P.RECORDS_READ])
        assert (await records.client.post(f"{base}/{path}", json=body, headers=other_office)).status_code == 403
        r = await records.client.post(f"{base}/{path}", json=body, headers=records.staff(A, [permission]))
        assert r.status_code == 201, (path, r.text)
        listed = await records.client.get(f"{base}/{path}", headers=records.student(A, "stu-1"))
        assert listed.status_code == 200 and len(listed.json()) == 1
    psych = (await records.client.get(f"{base}/psych-tests", headers=records.staff(A))).json()[0]
    assert psych["result_summary"] == "研究型、藝術型"
    async with records.runtime.engine.connect() as conn:
        raw = (await conn.execute(text("SELECT result_summary_encrypted FROM psych_tests"))).scalar_one()
    assert "研究型" not in raw
    assert len(await _payloads(records, "records.cadre.recorded.v1")) == 1

    report = await records.client.get(f"/api/v1/schools/{A}/self-check", params=term, headers=records.staff(A))
    assert report.status_code == 200
    body = report.json()
    assert len(body["students_without_grades"]) == 2
    assert body["classes_without_cadre"] == ["102"]
    assert "data_entry" not in body["phases_without_window"]  # opened above
    assert "outcome_upload" in body["phases_without_window"]
    assert all("national_id" not in s for s in body["students_without_grades"])


async def test_basic_data_of_a_semester_is_entered_within_its_data_entry_window(records: Any) -> None:
    """R-REC-1: windows are closed unless opened; entries outside the set window are refused."""
    await records.open_data_entry(A, 114, 1)
    sid = (await records.admit(A, 31))["id"]
    cadre = {"academic_year": 113, "semester": 2, "level": "club", "unit": "吉他社", "title": "社長"}
    url = f"/api/v1/schools/{A}/students/{sid}/cadre-records"
    unset = await records.client.post(url, json=cadre, headers=records.staff(A))  # no window for 113-2 yet
    assert unset.status_code == 409, unset.text
    assert unset.json()["reason"] == "no_window" and unset.json()["rule"] == "R-REC-1"
    assert unset.json()["windows"] == [
        {"academic_year": 113, "semester": 2, "phase": "data_entry", "starts_at": None, "ends_at": None}
    ]
    assert "no data_entry window is set for 113-2" in unset.json()["detail"]
    closed = window("data_entry", "2025-02-01T00:00:00", "2025-07-31T00:00:00", "2025-07-20T00:00:00")
    r = await records.client.put(
        f"/api/v1/schools/{A}/calendar/113/2", json={"windows": [closed]}, headers=records.staff(A)
    )
    assert r.status_code == 200
    late = await records.client.post(url, json=cadre, headers=records.staff(A))
    assert late.status_code == 409 and late.json()["rule"] == "R-REC-1" and late.json()["phase"] == "data_entry"
    assert late.json()["reason"] == "outside_window"
    assert (late.json()["starts_at"], late.json()["ends_at"]) == (
        "2025-02-01T00:00:00+08:00",
        "2025-07-31T00:00:00+08:00",
    )
    open_now = window("data_entry", "2025-02-01T00:00:00", "2199-07-31T00:00:00", "2199-07-20T00:00:00")
    await records.client.put(
        f"/api/v1/schools/{A}/calendar/113/2", json={"windows": [open_now]}, headers=records.staff(A)
    )
    assert (await records.client.post(url, json=cadre, headers=records.staff(A))).status_code == 201


async def test_phases_of_a_semester_must_be_in_order(records: Any) -> None:
    """R-SCHED-1: certification neither opens nor closes before upload, selection not before certification."""
    url = f"/api/v1/schools/{A}/calendar/114/1"
    staff = records.staff(A, [P.SCHEDULE_WRITE])
    upload = window("outcome_upload", "2025-09-01T00:00:00", "2026-01-20T00:00:00", "2026-01-10T00:00:00")
    early = window("outcome_certification", "2025-08-31T00:00:00", "2026-01-31T00:00:00", "2026-01-25T00:00:00")
    r = await records.client.put(url, json={"windows": [upload, early]}, headers=staff)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "phases-out-of-order" and r.json()["rule"] == "R-SCHED-1"
    assert r.json()["phases"] == ["outcome_upload", "outcome_certification"]
    assert r.json()["title_zh"] == "時程階段順序錯誤"

    # At the limit: the same start and the same end are in order.
    same = window("outcome_certification", "2025-09-01T00:00:00", "2026-01-20T00:00:00", "2026-01-10T00:00:00")
    assert (await records.client.put(url, json={"windows": [upload, same]}, headers=staff)).status_code == 200
    # Checked against the windows stored before: a selection closing before certification is refused …
    selection = window("outcome_selection", "2025-09-01T00:00:00", "2026-01-19T23:59:59", "2026-01-10T00:00:00")
    r = await records.client.put(
        f"{url}/outcome_selection", json={k: v for k, v in selection.items() if k != "phase"}, headers=staff
    )
    assert r.status_code == 422 and r.json()["phases"] == ["outcome_certification", "outcome_selection"]
    # … and moving the stored upload window past certification's end too.
    late_upload = window("outcome_upload", "2025-09-01T00:00:00", "2026-01-21T00:00:00", "2026-01-10T00:00:00")
    r = await records.client.put(
        f"{url}/outcome_upload", json={k: v for k, v in late_upload.items() if k != "phase"}, headers=staff
    )
    assert r.status_code == 422 and r.json()["phases"] == ["outcome_upload", "outcome_certification"]
    perf_up = window("performance_upload", "2025-09-01T00:00:00", "2026-07-01T00:00:00", "2026-06-01T00:00:00")
    perf_sel = window("performance_selection", "2025-09-01T00:00:00", "2026-06-30T00:00:00", "2026-06-01T00:00:00")
    r = await records.client.put(url, json={"windows": [perf_up, perf_sel]}, headers=staff)
    assert r.status_code == 422 and r.json()["phases"] == ["performance_upload", "performance_selection"]


async def test_school_time_zone_is_a_setting_used_for_every_time_shown(records: Any) -> None:
    url = f"/api/v1/schools/{A}/settings"
    staff = records.staff(A, [P.SCHEDULE_WRITE])
    default = await records.client.get(url, headers=records.student(A, "stu-1"))
    assert default.json() == {"school_id": A, "time_zone": "Asia/Taipei", "sis_import_window": None}
    bad = await records.client.put(url, json={"time_zone": "Mars/Olympus"}, headers=staff)
    assert bad.status_code == 422 and bad.json()["field"] == "time_zone" and bad.json()["rule"] == "R-SCHED-1"
    reversed_window = {"starts_at": "2026-01-02T00:00:00+08:00", "ends_at": "2026-01-01T00:00:00+08:00"}
    bad = await records.client.put(url, json={"sis_import_window": reversed_window}, headers=staff)
    assert bad.status_code == 422 and bad.json()["rule"] == "R-DUTY-3"
    assert (
        await records.client.put(url, json={"time_zone": "UTC"}, headers=records.student(A, "s"))
    ).status_code == 403
    r = await records.client.put(
        url,
        json={"time_zone": "Asia/Tokyo", "sis_import_window": {"starts_at": "2026-01-01T00:00:00+08:00"}},
        headers=staff,
    )
    assert r.status_code == 200, r.text
    assert r.json()["sis_import_window"] == {"starts_at": "2026-01-01T01:00:00+09:00", "ends_at": None}
    upload = window("outcome_upload", "2025-09-01T00:00:00", "2026-01-20T00:00:00", "2026-01-10T00:00:00")
    await records.client.put(f"/api/v1/schools/{A}/calendar/114/1", json={"windows": [upload]}, headers=staff)
    shown = (await records.client.get(f"/api/v1/schools/{A}/calendar/114/1", headers=staff)).json()["windows"][0]
    assert shown["starts_at"] == "2025-09-01T01:00:00+09:00"
