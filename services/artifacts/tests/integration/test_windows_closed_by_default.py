"""Windows are closed unless opened (R-SCHED-1): with NO window for a phase every action of it is
refused with a 409 that says no window was set; a set window's dates are shown in the school's time
zone (Asia/Taipei, RFC 3339 with +08:00)."""

from __future__ import annotations

import re

import pytest
from artifacts_world import YEAR, World

pytestmark = pytest.mark.integration

TAIPEI = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")


def _no_window(body: dict[str, object], phase: str, rule: str) -> None:
    assert body["code"] == "window-closed" and body["rule"] == rule, body
    assert body["reason"] == "no_window" and body["windows"] == [] and body["field"] == phase
    assert "no window was set" in str(body["detail"])


async def test_every_phase_without_a_window_is_refused_naming_that_none_was_set(world: World) -> None:
    await world.course("bio", ["t1"], ["s1"])
    student = world.student("s1")
    r = await world.start_outcome(student, "bio", b"%PDF-1.7\n" + b"0" * 100)
    assert r.status_code == 409
    _no_window(r.json(), "outcome_upload", "R-ART-1")

    performance = {
        "school_id": world.school,
        "academic_year": YEAR,
        "category": "other",
        "description": "校內科展參賽",
        "fields": {"name": "科展", "organiser": "本校", "start_date": "2025-10-01"},
    }
    r = await world.client.post("/api/v1/performances/uploads", json=performance, headers=student)
    assert r.status_code == 409
    _no_window(r.json(), "performance_upload", "R-PERF-1")

    # Upload open, certification and selection never set: both refused as "no window".
    await world.open_windows(phases=["outcome_upload", "performance_upload"])
    outcome = await world.upload_outcome(student, "bio")
    r = await world.client.post(f"/api/v1/outcomes/{outcome['id']}/certify", headers=world.teacher("t1"))
    assert r.status_code == 409
    _no_window(r.json(), "outcome_certification", "R-ART-3")

    started = await world.client.post("/api/v1/performances/uploads", json=performance, headers=student)
    assert started.status_code == 201, started.text
    r = await world.client.put(f"/api/v1/performances/{started.json()['performance_id']}/selection", headers=student)
    assert r.status_code == 409
    assert r.json()["reason"] == "no_window" and r.json()["rule"] == "R-PERF-2"


async def test_a_closed_window_is_shown_in_the_school_time_zone(world: World) -> None:
    await world.course("art", ["t1"], ["s1"])
    await world.open_windows(phases=["outcome_upload"], open_=False)
    r = await world.start_outcome(world.student("s1"), "art", b"%PDF-1.7\n" + b"0" * 100)
    assert r.status_code == 409 and r.json()["reason"] == "outside_window"
    shown = r.json()["windows"][0]
    assert TAIPEI.match(shown["starts_at"]) and TAIPEI.match(shown["ends_at"]), shown
    assert shown["starts_at"] in r.json()["detail"] and "+08:00" in r.json()["detail"]
