"""The verification job reports exactly the objects deleted or overwritten behind the service's back
("What went wrong before"), per school and student, and publishes FileIntegrityFailed once."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest
from artifacts_world import World, pdf
from sqlalchemy import select

from portfolio_artifacts.bootstrap import make_deps
from portfolio_artifacts.service_layer.integrity import verify_stored_files

pytestmark = pytest.mark.integration


async def _failed_events(world: World) -> list[dict[str, object]]:
    outbox = world.runtime.outbox
    async with world.runtime.uow() as uow:
        rows = (
            await uow.session.execute(
                select(outbox.c.body).where(outbox.c.routing_key == "artifacts.file.integrity_failed.v1")
            )
        ).all()
    return [json.loads(r.body)["payload"] for r in rows]


async def test_deleted_and_overwritten_objects_are_reported_exactly(world: World, s3_url: str) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1", "s2"])
    uploaded = [await world.upload_outcome(world.student(s), "phys") for s in ("s1", "s1", "s2", "s2")]
    files = [o["files"][0] for o in uploaded]
    storage = world.runtime.storage
    assert storage is not None
    from portfolio_artifacts.adapters.orm import files as files_table

    async with world.runtime.uow() as uow:
        rows = {
            str(r.id): r.object_key
            for r in await uow.session.execute(select(files_table.c.id, files_table.c.object_key))
        }
    gone, changed = files[0]["file_id"], files[2]["file_id"]
    await storage.delete(rows[gone])
    await storage.delete(rows[changed])
    await storage.put(rows[changed], pdf(files[2]["size"]), content_type="application/pdf")  # same size, other bytes

    report = await verify_stored_files(make_deps(world.runtime))
    assert report.checked == 4 and report.ok == 2
    assert [p.file_id for p in report.missing] == [gone]
    assert [p.file_id for p in report.altered] == [changed]
    by_school = report.by_school_and_student()
    assert set(by_school) == {"sch-A"}
    assert {s: [p["problem"] for p in ps] for s, ps in by_school["sch-A"].items()} == {
        "s1": ["missing"],
        "s2": ["altered"],
    }
    events = await _failed_events(world)
    assert sorted((e["file_id"], e["problem"]) for e in events) == sorted([(gone, "missing"), (changed, "altered")])

    # The CLI reports the same, and a second run does not publish the same failures again.
    env = {
        **os.environ,
        "PORTFOLIO_ARTIFACTS_DATABASE_URL": str(world.runtime.settings.database_url),
        "PORTFOLIO_ARTIFACTS_STORAGE_URL": s3_url,
        "PORTFOLIO_ARTIFACTS_BROKER_URL": str(world.runtime.settings.broker_url),
        "PORTFOLIO_ARTIFACTS_LOG_JSON": "false",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "portfolio_artifacts.cli", "verify", "--json", env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 1
    printed = json.loads(out)
    assert (printed["checked"], printed["missing"], printed["altered"]) == (4, 1, 1)
    assert len(await _failed_events(world)) == 2
    detail = (await world.client.get(f"/api/v1/outcomes/{uploaded[0]['id']}", headers=world.student("s1"))).json()
    assert detail["files"][0]["integrity"] == "missing"


async def test_the_scheduled_job_runs_in_the_background(world: World) -> None:
    """The app lifespan schedules the same check every ``verify_interval_seconds``."""
    from portfolio_artifacts.jobs import IntegrityJob
    from portfolio_shared.testing.fixtures import eventually

    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    await world.upload_outcome(world.student("s1"), "phys")
    job = IntegrityJob(make_deps(world.runtime), interval=0.05)
    job.start()
    try:

        async def reported() -> bool:
            return job.last_report is not None and job.last_report.checked == 1

        await eventually(reported)
        assert job.last_report is not None and job.last_report.problems == []
    finally:
        await job.stop()
    assert world.client.app.state.integrity_job.interval == 0  # type: ignore[attr-defined]  # switched off in tests
