"""Uploads must parse as their type, within a time and memory bound (R-FILE-1), on moto S3 over HTTP.

Before: only the magic bytes were checked, so ``%PDF-`` followed by an ELF executable was accepted.
Now the completed upload is streamed once into a temporary file and parsed in a bounded child
process; what does not parse is a 422 problem citing R-FILE-1 and its object is deleted.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from artifacts_world import World, declaration

from portfolio_artifacts.app import create
from portfolio_artifacts.bootstrap import bootstrap
from portfolio_artifacts.config import Settings
from portfolio_shared.messaging import Topology
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.sample_files import sample_jpeg, sample_mp3, sample_mp4, sample_pdf, sample_png
from portfolio_shared.testing.tokens import TokenMinter

pytestmark = pytest.mark.integration

ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + os.urandom(6000)
MEDIA = {"mp3": ("talk.mp3", "audio/mpeg"), "mp4": ("clip.mp4", "video/mp4")}
DOCS = {
    "pdf": ("report.pdf", "application/pdf"),
    "png": ("chart.png", "image/png"),
    "jpeg": ("photo.jpg", "image/jpeg"),
}


async def _objects(world: World) -> list[str]:
    assert world.runtime.storage is not None
    return [o.key async for o in world.runtime.storage.list()]


async def _upload(world: World, kind: str, data: bytes) -> tuple[Any, dict[str, Any]]:
    """init → PUT → complete; returns (completion response, started body)."""
    student = world.student("s1")
    filename, content_type = {**DOCS, **MEDIA}[kind]
    slot = "media" if kind in MEDIA else "document"
    body = {
        "course_id": "phys",
        "title": "期末報告",
        "description": "檔案內容檢查",
        "files": [declaration(data, filename=filename, content_type=content_type, slot=slot)],
    }
    r = await world.client.post("/api/v1/outcomes/uploads", json=body, headers=student)
    assert r.status_code == 201, r.text
    started = r.json()
    assert (await world.put(started["uploads"][0], data)).status_code == 200
    done = await world.client.post(f"/api/v1/outcomes/{started['outcome_id']}/complete", headers=student)
    return done, started


async def _assert_refused(world: World, kind: str, data: bytes, why: str) -> dict[str, Any]:
    done, started = await _upload(world, kind, data)
    assert done.status_code == 422, done.text
    problem: dict[str, Any] = done.json()
    assert done.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "file-content-invalid"
    assert problem["rule"] == "R-FILE-1"
    assert problem["field"] == "file"
    assert problem["title_zh"]
    assert why in problem["detail"], problem["detail"]
    assert "/tmp" not in problem["detail"]
    assert await _objects(world) == []  # the refused object is deleted, as every refusal's is
    detail = (await world.client.get(f"/api/v1/outcomes/{started['outcome_id']}", headers=world.student("s1"))).json()
    assert detail["files"][0]["status"] == "refused"
    return problem


@pytest.mark.parametrize(
    ("kind", "build"),
    [("pdf", sample_pdf), ("png", sample_png), ("jpeg", sample_jpeg), ("mp3", sample_mp3), ("mp4", sample_mp4)],
)
async def test_valid_files_of_every_kind_are_accepted(world: World, kind: str, build: Callable[[int], bytes]) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    data = build(40_000)
    done, _ = await _upload(world, kind, data)
    assert done.status_code == 200, done.text
    [f] = done.json()["files"]
    assert (f["status"], f["size"]) == ("accepted", len(data))
    assert len(await _objects(world)) == 1


async def test_pdf_header_with_an_executable_body_is_refused(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    # The report's exact case: the magic bytes say PDF, the rest is an ELF executable.
    await _assert_refused(world, "pdf", b"%PDF-1.7\n" + ELF, "does not parse as one")
    await _assert_refused(world, "pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + ELF + b"\n%%EOF\n", "PDF structure")


async def test_truncated_and_disguised_images_and_media_are_refused(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    await _assert_refused(world, "png", sample_png(4000)[:2500], "cannot be decoded")
    await _assert_refused(world, "png", sample_png(4000) + ELF, "after its IEND")
    await _assert_refused(world, "jpeg", sample_jpeg(4000)[:-300], "cannot be decoded")
    await _assert_refused(world, "mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + ELF, "no MPEG audio frame")
    await _assert_refused(world, "mp4", sample_mp4(4000)[:40] + ELF, "box")


# -- the bounds are configuration; tested small -------------------------------------------------
@pytest_asyncio.fixture
async def bounded_world(
    make_database: Callable[[str], object],
    rabbitmq_url: str,
    topology: Topology,
    s3_url: str,
    minter: TokenMinter,
    request: pytest.FixtureRequest,
) -> AsyncIterator[World]:
    url = await make_database("art_bounded_" + "".join(ch for ch in request.node.name if ch.isalnum())[:30])  # type: ignore[misc]
    settings = Settings(
        environment="test",
        database_url=url,
        broker_url=rabbitmq_url,
        topology_prefix=topology.prefix,
        storage_url=s3_url,
        verify_interval_seconds=0,
        **request.param,
    )
    runtime = bootstrap(settings, verifier=minter.verifier())
    async with running(runtime, create) as client:
        yield World(runtime=runtime, client=client, minter=minter)
    await delete_topology(rabbitmq_url, topology, ("artifacts.records", "artifacts.identity"))


@pytest.mark.parametrize("bounded_world", [{"content_check_timeout_seconds": 0.02}], indirect=True)
async def test_a_parser_over_the_time_bound_refuses_the_file(bounded_world: World) -> None:
    world = bounded_world
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    # A valid PDF, but no parser finishes in 20 ms (the process alone takes longer to start).
    await _assert_refused(world, "pdf", sample_pdf(200_000), "did not parse within 0.02 s")


@pytest.mark.parametrize("bounded_world", [{"content_check_max_pixels": 100}], indirect=True)
async def test_an_image_over_the_pixel_bound_is_a_decompression_bomb(bounded_world: World) -> None:
    world = bounded_world
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    await _assert_refused(world, "png", sample_png(3000, width=64, height=64), "decompression bomb")


async def test_a_performance_file_that_does_not_parse_is_refused_too(world: World) -> None:
    """Multiple performances complete through the same check (R-FILE-1, R-PERF-1)."""
    await world.open_windows()
    await world.enrol("s1")  # records published the enrolment (R-DATA-6)
    student = world.student("s1")
    data = b"%PDF-1.7\n" + ELF
    body = {
        "school_id": world.school,
        "academic_year": 114,
        "category": "other",
        "description": "校內科展參賽",
        "fields": {"name": "科展", "organiser": "本校", "start_date": "2025-10-01"},
        "files": [declaration(data)],
    }
    r = await world.client.post("/api/v1/performances/uploads", json=body, headers=student)
    assert r.status_code == 201, r.text
    started = r.json()
    assert (await world.put(started["uploads"][0], data)).status_code == 200
    done = await world.client.post(f"/api/v1/performances/{started['performance_id']}/complete", headers=student)
    assert done.status_code == 422, done.text
    assert (done.json()["code"], done.json()["rule"]) == ("file-content-invalid", "R-FILE-1")
    assert await _objects(world) == []
