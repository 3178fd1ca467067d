"""Yearly selection (勾選): at most 6 certified outcomes (R-ART-4) and 10 performances (R-PERF-2),
holding under concurrent requests on real PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from artifacts_world import YEAR, World

pytestmark = pytest.mark.integration


async def _certified(world: World, n: int) -> list[str]:
    await world.caps(outcomes=30)
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    ids = []
    for _ in range(n):
        o = await world.upload_outcome(world.student("s1"), "phys")
        r = await world.client.post(f"/api/v1/outcomes/{o['id']}/certify", headers=world.teacher("t1"))
        assert r.status_code == 200, r.text
        ids.append(o["id"])
    return ids


async def test_twenty_parallel_selections_with_five_selected_exactly_one_succeeds(world: World) -> None:
    assert world.runtime.engine.dialect.name == "postgresql"
    ids = await _certified(world, 25)
    student = world.student("s1")
    for oid in ids[:5]:
        assert (await world.client.put(f"/api/v1/outcomes/{oid}/selection", headers=student)).status_code == 200
    results = await asyncio.gather(
        *(world.client.put(f"/api/v1/outcomes/{oid}/selection", headers=student) for oid in ids[5:])
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [409] * 19, codes
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"selection-cap-reached"}
    listed = (await world.client.get("/api/v1/outcomes", params={"academic_year": YEAR}, headers=student)).json()
    assert sum(o["selected"] for o in listed) == 6
    # A selection can be changed while the window is open.
    assert (await world.client.delete(f"/api/v1/outcomes/{ids[0]}/selection", headers=student)).status_code == 200
    assert (await world.client.put(f"/api/v1/outcomes/{ids[-1]}/selection", headers=student)).status_code == 200
    # Self-check: each student's selection status (R-SCHED-2).
    report = await world.client.get(
        "/api/v1/selfcheck/selections",
        params={"school_id": world.school, "academic_year": YEAR},
        headers=world.staff("it1"),
    )
    [row] = report.json()["students"]
    assert (row["outcomes_certified"], row["outcomes_selected"]) == (25, 6)


async def test_only_certified_outcomes_are_selected_and_selected_cannot_be_withdrawn(world: World) -> None:
    await world.open_windows()
    await world.course("chem", ["t1"], ["s1"])
    student = world.student("s1")
    o = await world.upload_outcome(student, "chem")
    r = await world.client.put(f"/api/v1/outcomes/{o['id']}/selection", headers=student)
    assert r.status_code == 409 and r.json()["rule"] == "R-ART-4"
    await world.client.post(f"/api/v1/outcomes/{o['id']}/certify", headers=world.teacher("t1"))
    assert (await world.client.put(f"/api/v1/outcomes/{o['id']}/selection", headers=student)).status_code == 200
    assert (await world.client.post(f"/api/v1/outcomes/{o['id']}/withdraw", headers=student)).status_code == 409
    report = await world.client.get(
        "/api/v1/selfcheck/uncertified-teachers", params={"school_id": world.school}, headers=world.staff("it1")
    )
    assert report.json()["teachers"] == []


async def test_selection_window_closed(world: World) -> None:
    await world.open_windows(phases=["outcome_upload", "outcome_certification"])
    await world.course("chem", ["t1"], ["s1"])
    o = await world.upload_outcome(world.student("s1"), "chem")
    await world.client.post(f"/api/v1/outcomes/{o['id']}/certify", headers=world.teacher("t1"))
    r = await world.client.put(f"/api/v1/outcomes/{o['id']}/selection", headers=world.student("s1"))
    assert r.status_code == 409 and "no outcome selection" in r.json()["detail"]


async def test_uncertified_teachers_report(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1", "s2"])
    await world.course("chem", ["t2"], ["s1"])
    for sid in ("s1", "s2"):
        await world.upload_outcome(world.student(sid), "phys")
    await world.upload_outcome(world.student("s1"), "chem")
    r = await world.client.get(
        "/api/v1/selfcheck/uncertified-teachers", params={"school_id": world.school}, headers=world.staff("it1")
    )
    teachers = {t["teacher_user_id"]: t["uncertified"] for t in r.json()["teachers"]}
    assert teachers == {"t1": 2, "t2": 1}
    assert (
        await world.client.get(
            "/api/v1/selfcheck/uncertified-teachers", params={"school_id": world.school}, headers=world.teacher("t1")
        )
    ).status_code == 403


async def test_self_check_downloads_are_formula_safe_and_keep_counts_numeric(world: World) -> None:
    """Spreadsheet formulas: user ids may start with - or @ (records allows both); the CSV shows
    them as text with a leading ', the counts as numbers; the JSON keeps the ids as they are."""
    await world.open_windows()
    await world.course("chem", ["@t1"], ["-s1"])
    student = world.student("-s1")
    for _ in range(2):
        await world.upload_outcome(student, "chem")
    staff = world.staff("it1")
    r = await world.client.get(
        "/api/v1/selfcheck/uncertified-teachers.csv", params={"school_id": world.school}, headers=staff
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv") and r.headers["content-disposition"].startswith(
        "attachment"
    )
    rows = list(csv.DictReader(io.StringIO(r.content[3:].decode("utf-8"))))
    assert [(x["teacher_user_id"], x["course_id"], x["uncertified"]) for x in rows] == [("'@t1", "chem", "2")]
    r = await world.client.get(
        "/api/v1/selfcheck/selections.csv", params={"school_id": world.school, "academic_year": YEAR}, headers=staff
    )
    [row] = list(csv.DictReader(io.StringIO(r.content[3:].decode("utf-8"))))
    assert row["student_user_id"] == "'-s1" and row["outcomes_certified"] == "0"
    as_json = await world.client.get(
        "/api/v1/selfcheck/uncertified-teachers", params={"school_id": world.school}, headers=staff
    )
    assert as_json.json()["teachers"][0]["teacher_user_id"] == "@t1"
    # Same permission as the JSON report (R-SCHED-2).
    denied = await world.client.get(
        "/api/v1/selfcheck/selections.csv", params={"school_id": world.school, "academic_year": YEAR}, headers=student
    )
    assert denied.status_code == 403
