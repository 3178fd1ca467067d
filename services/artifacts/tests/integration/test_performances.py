"""Multiple performances (R-PERF-1, R-PERF-2, R-FILE-3): catalog fields, yearly window and cap, files."""

from __future__ import annotations

import pytest
from artifacts_world import YEAR, World, declaration, pdf

pytestmark = pytest.mark.integration

COMPETITION_FIELDS = {"unit": "教育部", "start_date": "114/09/01"}


def _body(world: World, **kw: object) -> dict[str, object]:
    body: dict[str, object] = {
        "school_id": world.school,
        "academic_year": YEAR,
        "category": "other",
        "description": "校內科展參賽",
        "fields": {"name": "科展", "organiser": "本校", "start_date": "2025-10-01"},
    }
    return body | kw


async def test_performance_upload_cap_files_and_selection(world: World) -> None:
    await world.caps(outcomes=6, performances=2)
    await world.open_windows()
    await world.enrol("s1")  # records published the enrolment (R-DATA-6)
    student = world.student("s1")
    catalog = (await world.client.get("/api/v1/performances/catalog", headers=student)).json()
    assert "other" in [c["code"] for c in catalog["categories"]]
    data = pdf(5000)
    r = await world.client.post(
        "/api/v1/performances/uploads", json=_body(world, files=[declaration(data)]), headers=student
    )
    assert r.status_code == 201, r.text
    started = r.json()
    assert (await world.put(started["uploads"][0], data)).status_code == 200
    done = await world.client.post(f"/api/v1/performances/{started['performance_id']}/complete", headers=student)
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    assert done.json()["files"][0]["sha256"] == declaration(data)["sha256"]
    fid = done.json()["files"][0]["file_id"]
    link = f"/api/v1/performances/{started['performance_id']}/files/{fid}/download"
    assert (await world.client.get(link, headers=student)).json()["url"].startswith("http")
    assert (await world.client.get(link, headers=world.student("s2"))).status_code == 404
    staff = world.staff("gd1")  # performance:read_all at the school
    assert [p["id"] for p in (await world.client.get("/api/v1/performances", headers=staff)).json()] == [
        started["performance_id"]
    ]
    no_file = await world.client.post("/api/v1/performances/uploads", json=_body(world), headers=student)
    assert no_file.status_code == 201 and no_file.json()["status"] == "submitted"
    third = await world.client.post("/api/v1/performances/uploads", json=_body(world), headers=student)
    assert third.status_code == 409 and third.json()["rule"] == "R-PERF-1"
    sel = await world.client.put(f"/api/v1/performances/{started['performance_id']}/selection", headers=student)
    assert sel.status_code == 200 and sel.json()["selected"] is True
    other = world.student("s2")
    assert (
        await world.client.get(f"/api/v1/performances/{started['performance_id']}", headers=other)
    ).status_code == 404


async def test_performance_fields_are_checked_against_the_catalog(world: World) -> None:
    await world.open_windows()
    await world.enrol("s1")  # records published the enrolment (R-DATA-6)
    r = await world.client.post(
        "/api/v1/performances/uploads", json=_body(world, fields={"bogus": "x"}), headers=world.student("s1")
    )
    assert r.status_code == 422 and r.json()["rule"] == "R-FILE-3" and r.json()["field"] == "bogus"
    r = await world.client.post(
        "/api/v1/performances/uploads", json=_body(world, category="nope"), headers=world.student("s1")
    )
    assert r.status_code == 422 and r.json()["code"] == "performance-unknown-category"


async def test_performance_selection_cap_is_ten(world: World) -> None:
    await world.caps(outcomes=6, performances=20)
    await world.open_windows()
    await world.enrol("s1")  # records published the enrolment (R-DATA-6)
    student = world.student("s1")
    ids = []
    for _ in range(11):
        r = await world.client.post("/api/v1/performances/uploads", json=_body(world), headers=student)
        ids.append(r.json()["performance_id"])
    codes = [(await world.client.put(f"/api/v1/performances/{i}/selection", headers=student)).status_code for i in ids]
    assert codes == [200] * 10 + [409]
