"""Outcome uploads against moto S3 over real HTTP with the minio client (R-ART-1, R-ART-2, R-FILE-1)."""

from __future__ import annotations

import os

import pytest
from artifacts_world import World, declaration, pdf, sha

from portfolio_artifacts.domain.file_rules import MB

pytestmark = pytest.mark.integration


async def _objects(world: World) -> list[str]:
    assert world.runtime.storage is not None
    return [o.key async for o in world.runtime.storage.list()]


@pytest.mark.parametrize(("cap", "seventh_status"), [(6, 409), (8, 201)])
async def test_seventh_outcome_depends_on_the_school_cap(world: World, cap: int, seventh_status: int) -> None:
    """R-ART-2: at a school with cap 6 the 7th upload in a semester is refused; with cap 8 accepted."""
    await world.caps(outcomes=cap)
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    student = world.student("s1")
    for _ in range(6):
        await world.upload_outcome(student, "phys")
    r = await world.start_outcome(student, "phys", pdf())
    assert r.status_code == seventh_status, r.text
    if seventh_status == 409:
        problem = r.json()
        assert problem["code"] == "upload-cap-reached"
        assert problem["rule"] == "R-ART-2"
        assert "6 course learning outcomes per semester" in problem["detail"]
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_accepted_upload_records_size_and_sha256_and_downloads(world: World) -> None:
    await world.open_windows()
    await world.course("chem", ["t1"], ["s1"])
    data = pdf(50_000)
    outcome = await world.upload_outcome(world.student("s1"), "chem", data)
    assert outcome["status"] == "submitted"
    [f] = outcome["files"]
    assert (f["status"], f["size"], f["sha256"], f["mime"]) == ("accepted", len(data), sha(data), "application/pdf")
    keys = await _objects(world)
    assert len(keys) == 1 and keys[0].startswith("sch-A/s1/") and "report" not in keys[0]  # server-made name
    r = await world.client.get(
        f"/api/v1/outcomes/{outcome['id']}/files/{f['file_id']}/download", headers=world.student("s1")
    )
    assert r.status_code == 200
    import httpx

    async with httpx.AsyncClient() as raw:
        got = await raw.get(r.json()["url"])
    assert got.content == data
    assert got.headers["content-disposition"].startswith("attachment;")


async def test_renamed_executable_is_refused_and_its_object_removed(world: World) -> None:
    """R-FILE-1: a Windows executable renamed .pdf is refused by its magic bytes and deleted."""
    await world.open_windows()
    await world.course("art", ["t1"], ["s1"])
    student = world.student("s1")
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(4000)
    r = await world.start_outcome(student, "art", exe)
    assert r.status_code == 201, r.text
    started = r.json()
    assert (await world.put(started["uploads"][0], exe)).status_code == 200
    assert len(await _objects(world)) == 1
    done = await world.client.post(f"/api/v1/outcomes/{started['outcome_id']}/complete", headers=student)
    assert done.status_code == 422
    assert done.json()["code"] == "file-executable-disguised"
    assert done.json()["rule"] == "R-FILE-1"
    assert await _objects(world) == []
    detail = (await world.client.get(f"/api/v1/outcomes/{started['outcome_id']}", headers=student)).json()
    assert detail["status"] == "draft" and detail["files"][0]["status"] == "refused"


async def test_pdf_over_the_size_limit_is_refused(world: World) -> None:
    """R-FILE-1: 4 MB for a document; refused at declaration, and on completion if sent anyway."""
    await world.open_windows()
    await world.course("bio", ["t1"], ["s1"])
    student = world.student("s1")
    big = pdf(4 * MB + 1)
    r = await world.start_outcome(student, "bio", big)
    assert r.status_code == 422 and r.json()["code"] == "file-too-large" and r.json()["rule"] == "R-FILE-1"
    # Declared small, but more bytes were PUT: S3 cannot bound a presigned PUT, so completion refuses.
    small = pdf(1000)
    started = (await world.start_outcome(student, "bio", small)).json()
    assert (await world.put(started["uploads"][0], big)).status_code == 200
    done = await world.client.post(f"/api/v1/outcomes/{started['outcome_id']}/complete", headers=student)
    assert done.status_code == 422 and done.json()["code"] == "file-too-large"
    assert await _objects(world) == []


async def test_wrong_sha256_is_refused(world: World) -> None:
    await world.open_windows()
    await world.course("geo", ["t1"], ["s1"])
    student = world.student("s1")
    data = pdf(3000)
    body = {
        "course_id": "geo",
        "title": "地理作業",
        "description": "等高線判讀",
        "files": [declaration(data, sha256=sha(b"something else"))],
    }
    started = (await world.client.post("/api/v1/outcomes/uploads", json=body, headers=student)).json()
    assert (await world.put(started["uploads"][0], data)).status_code == 200
    done = await world.client.post(f"/api/v1/outcomes/{started['outcome_id']}/complete", headers=student)
    assert done.status_code == 422 and done.json()["code"] == "file-sha256-mismatch"
    assert await _objects(world) == []


async def test_outside_the_window_the_problem_states_the_dates(world: World) -> None:
    await world.course("math", ["t1"], ["s1"])
    student = world.student("s1")
    r = await world.start_outcome(student, "math", pdf())
    assert (
        r.status_code == 409
        and r.json()["code"] == "window-closed"
        and "no course learning outcome upload" in r.json()["detail"]
    )
    await world.open_windows(open_=False)
    r = await world.start_outcome(student, "math", pdf())
    assert r.status_code == 409 and r.json()["rule"] == "R-ART-1"
    assert r.json()["windows"][0]["starts_at"] in r.json()["detail"]


async def test_student_cannot_upload_for_a_course_they_do_not_take(world: World) -> None:
    await world.open_windows()
    await world.course("music", ["t1"], ["s2"])
    r = await world.start_outcome(world.student("s1"), "music", pdf())
    assert r.status_code == 409 and r.json()["code"] == "course-not-taken"


async def test_idempotency_key_replays_and_refuses_another_body(world: World) -> None:
    await world.open_windows()
    await world.course("hist", ["t1"], ["s1"])
    headers = {**world.student("s1"), "Idempotency-Key": "k-1"}
    data = pdf()
    body = {"course_id": "hist", "title": "歷史", "description": "史料分析", "files": [declaration(data)]}
    first = await world.client.post("/api/v1/outcomes/uploads", json=body, headers=headers)
    again = await world.client.post("/api/v1/outcomes/uploads", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["idempotent-replayed"] == "true"
    other = await world.client.post("/api/v1/outcomes/uploads", json={**body, "title": "別的"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    listed = (await world.client.get("/api/v1/outcomes", headers=world.student("s1"))).json()
    assert len(listed) == 1  # one outcome, not two


async def test_idempotent_completion_and_concurrent_twins(world: World) -> None:
    """A retried init or complete never creates a second outcome; twins sent at once agree."""
    import asyncio

    await world.caps(outcomes=2)
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    student = world.student("s1")
    data = pdf()
    body = {"course_id": "phys", "title": "實驗", "description": "單擺", "files": [declaration(data)]}
    twins = await asyncio.gather(
        *(
            world.client.post("/api/v1/outcomes/uploads", json=body, headers={**student, "Idempotency-Key": "twin"})
            for _ in range(2)
        )
    )
    assert [r.status_code for r in twins] == [201, 201]
    assert twins[0].json() == twins[1].json()
    started = twins[0].json()
    assert (await world.put(started["uploads"][0], data)).status_code == 200
    url = f"/api/v1/outcomes/{started['outcome_id']}/complete"
    done = await world.client.post(url, headers={**student, "Idempotency-Key": "done"})
    again = await world.client.post(url, headers={**student, "Idempotency-Key": "done"})
    assert done.status_code == again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert done.json() == again.json() and done.json()["status"] == "submitted"
    listed = (await world.client.get("/api/v1/outcomes", headers=student)).json()
    assert [o["id"] for o in listed] == [started["outcome_id"]]
    # The cap (2) still has room for one: the twins used one place, not two.
    assert (await world.start_outcome(student, "phys", pdf())).status_code == 201
