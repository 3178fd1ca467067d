"""Messages a student can act on (issue 18): size errors in one unit, when a draft stops counting
towards the cap, and cancelling a draft at once (R-ART-2, R-PERF-1, R-FILE-1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from artifacts_world import YEAR, World, declaration, pdf

from portfolio_artifacts.domain.file_rules import MB

pytestmark = pytest.mark.integration


async def _objects(world: World) -> list[str]:
    assert world.runtime.storage is not None
    return [o.key async for o in world.runtime.storage.list()]


async def test_size_errors_give_the_limit_and_the_size_in_one_unit(world: World) -> None:
    """R-FILE-1: "4 MB limit; this file is 4.01 MB", not two units to compare."""
    await world.open_windows()
    await world.course("bio", ["t1"], ["s1"])
    student = world.student("s1")
    over = await world.start_outcome(student, "bio", pdf(int(4.01 * MB)))
    assert over.status_code == 422 and over.json()["code"] == "file-too-large"
    assert over.json()["detail"] == "4 MB limit; this document file is 4.01 MB"
    # One byte over would read "4.00 MB" in MB: both sizes are then given in bytes.
    one_over = await world.start_outcome(student, "bio", pdf(4 * MB + 1))
    assert one_over.json()["detail"] == "4,194,304 bytes (4 MB) limit; this document file is 4,194,305 bytes"
    at_limit = await world.start_outcome(student, "bio", pdf(4 * MB))
    assert at_limit.status_code == 201, at_limit.text
    # Declared small but more bytes stored: completion says the same, about what was received.
    small = (await world.start_outcome(student, "bio", pdf(1000))).json()
    assert (await world.put(small["uploads"][0], pdf(5 * MB))).status_code == 200
    done = await world.client.post(f"/api/v1/outcomes/{small['outcome_id']}/complete", headers=student)
    assert done.status_code == 422
    assert done.json()["detail"] == "4 MB limit; the received document file is 5.00 MB"


async def test_a_draft_says_until_when_it_counts_and_the_cap_refusal_names_it(world: World) -> None:
    """R-ART-2: an upload never completed counts until its links lapse; the student is told when."""
    await world.caps(outcomes=1)
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    student = world.student("s1")
    started = await world.start_outcome(student, "phys", pdf())
    assert started.status_code == 201
    counts_until = started.json()["counts_until"]
    assert counts_until.endswith("+08:00")  # a deadline a person reads: the school's offset
    ttl = world.runtime.settings.upload_url_seconds  # type: ignore[attr-defined]
    assert 2 * ttl - 5 <= (datetime.fromisoformat(counts_until) - datetime.now(UTC)).total_seconds() <= 2 * ttl
    draft = (await world.client.get(f"/api/v1/outcomes/{started.json()['outcome_id']}", headers=student)).json()
    assert draft["status"] == "draft" and draft["draft_counts_until"] == counts_until
    refused = await world.start_outcome(student, "phys", pdf())
    assert refused.status_code == 409 and refused.json()["code"] == "upload-cap-reached"
    detail = refused.json()["detail"]
    assert f"{started.json()['outcome_id']} until {counts_until}" in detail
    assert "DELETE /api/v1/outcomes/{id}" in detail


async def test_cancelling_a_draft_frees_the_cap_at_once(world: World) -> None:
    """R-ART-2 at the limit: with cap 1 a draft blocks the next upload; cancelling it frees the place
    immediately (no waiting for the links to lapse) and deletes what was already sent."""
    await world.caps(outcomes=1)
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    student = world.student("s1")
    data = pdf(3000)
    started = (await world.start_outcome(student, "phys", data)).json()
    assert (await world.put(started["uploads"][0], data)).status_code == 200
    assert len(await _objects(world)) == 1
    assert (await world.start_outcome(student, "phys", pdf())).status_code == 409  # at the cap
    cancelled = await world.client.delete(f"/api/v1/outcomes/{started['outcome_id']}", headers=student)
    assert cancelled.status_code == 204, cancelled.text
    assert await _objects(world) == []  # the bytes of the cancelled draft are gone
    view = (await world.client.get(f"/api/v1/outcomes/{started['outcome_id']}", headers=student)).json()
    assert view["status"] == "withdrawn" and view["draft_counts_until"] is None
    assert view["files"][0]["status"] == "refused"
    again = await world.start_outcome(student, "phys", pdf())  # the freed place, at once
    assert again.status_code == 201, again.text
    assert (await world.start_outcome(student, "phys", pdf())).status_code == 409  # and one past it


async def test_cancelling_is_refused_for_another_students_draft_and_for_a_completed_outcome(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1", "s2"])
    owner, other = world.student("s1"), world.student("s2")
    draft = (await world.start_outcome(owner, "phys", pdf())).json()
    r = await world.client.delete(f"/api/v1/outcomes/{draft['outcome_id']}", headers=other)
    assert r.status_code == 404  # another student's draft does not exist for them
    r = await world.client.delete(f"/api/v1/outcomes/{draft['outcome_id']}", headers=world.teacher("t1"))
    assert r.status_code == 404
    completed = await world.upload_outcome(owner, "phys")
    r = await world.client.delete(f"/api/v1/outcomes/{completed['id']}", headers=owner)
    assert r.status_code == 409 and r.json()["code"] == "not-a-draft" and r.json()["rule"] == "R-ART-2"
    assert f"POST /api/v1/outcomes/{completed['id']}/withdraw" in r.json()["detail"]
    assert r.json()["title_zh"]
    r = await world.client.delete(f"/api/v1/outcomes/{draft['outcome_id']}", headers=owner)
    assert r.status_code == 204
    r = await world.client.delete(f"/api/v1/outcomes/{draft['outcome_id']}", headers=owner)
    assert r.status_code == 409 and r.json()["code"] == "not-a-draft"  # cancelled once, not twice
    missing = await world.client.delete("/api/v1/outcomes/00000000-0000-0000-0000-000000000000", headers=owner)
    assert missing.status_code == 404


async def test_cancelling_a_performance_draft_frees_the_yearly_cap(world: World) -> None:
    """R-PERF-1 at the limit: the same for multiple performances."""
    await world.caps(outcomes=6, performances=1)
    await world.open_windows()
    await world.enrol("s1")  # R-DATA-6: nothing is collected before the enrolment is known
    student = world.student("s1")
    body = {
        "school_id": world.school,
        "academic_year": YEAR,
        "category": "other",
        "description": "校內科展參賽",
        "fields": {"name": "科展", "organiser": "本校", "start_date": "2025-10-01"},
        "files": [declaration(pdf(2000))],
    }
    started = await world.client.post("/api/v1/performances/uploads", json=body, headers=student)
    assert started.status_code == 201 and started.json()["counts_until"].endswith("+08:00")
    refused = await world.client.post("/api/v1/performances/uploads", json=body, headers=student)
    assert refused.status_code == 409 and "DELETE /api/v1/performances/{id}" in refused.json()["detail"]
    pid = started.json()["performance_id"]
    assert (await world.client.delete(f"/api/v1/performances/{pid}", headers=world.student("s2"))).status_code == 404
    assert (await world.client.delete(f"/api/v1/performances/{pid}", headers=student)).status_code == 204
    assert (await world.client.post("/api/v1/performances/uploads", json=body, headers=student)).status_code == 201


async def test_a_window_refusal_states_the_window_in_the_schools_time(world: World) -> None:
    """R-ART-1: outside the upload window the 409 names the window as the school reads it (+08:00)."""
    await world.open_windows(phases=["outcome_upload"], open_=False)
    await world.course("phys", ["t1"], ["s1"])
    r = await world.start_outcome(world.student("s1"), "phys", pdf())
    assert r.status_code == 409 and r.json()["rule"] == "R-ART-1"
    [window] = r.json()["windows"]
    assert window["starts_at"].endswith("+08:00") and window["ends_at"].endswith("+08:00")
    assert f"{window['starts_at']} to {window['ends_at']}" in r.json()["detail"]
    assert "+00:00" not in r.json()["detail"]
