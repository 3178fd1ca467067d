"""The standalone shape (SQLite + in-process bus + local-disk storage), and the consumers fed
through the real RabbitMQ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from artifacts_world import ADMITTED_ON, SEM, YEAR, World, pdf
from sqlalchemy import select

from portfolio_artifacts.adapters.orm import rc_caps, rc_courses, rc_enrolments, rc_windows
from portfolio_artifacts.app import create
from portfolio_artifacts.bootstrap import bootstrap
from portfolio_artifacts.config import Settings
from portfolio_artifacts.consumers import SUBSCRIPTIONS
from portfolio_shared.events.base import envelope_for
from portfolio_shared.events.records import ArtifactCapsSet, PhaseWindowSet, StudentEnrolled, TeacherAssignmentChanged
from portfolio_shared.messaging import OutgoingMessage
from portfolio_shared.testing.fixtures import eventually
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

pytestmark = pytest.mark.integration


async def test_standalone_full_upload_through_the_storage_route(tmp_path: Path, minter: TokenMinter) -> None:
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'artifacts.db'}",
        broker_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        storage_url=f"file://{tmp_path / 'objects'}",
        public_base_url="http://testserver",
        verify_interval_seconds=0,
    )
    runtime = bootstrap(settings, verifier=minter.verifier())
    async with running(runtime, create) as client:
        world = World(runtime=runtime, client=client, minter=minter)
        await world.caps(outcomes=1)
        await world.open_windows()
        await world.course("phys", ["t1"], ["s1"])
        data = pdf(20_000)
        r = await world.start_outcome(world.student("s1"), "phys", data)
        assert r.status_code == 201, r.text
        ticket = r.json()["uploads"][0]
        assert ticket["url"].startswith("http://testserver/storage/")
        assert (await world.put(ticket, data)).status_code == 200
        done = await client.post(f"/api/v1/outcomes/{r.json()['outcome_id']}/complete", headers=world.student("s1"))
        assert done.status_code == 200 and done.json()["status"] == "submitted", done.text
        assert (await world.start_outcome(world.student("s1"), "phys", data)).status_code == 409  # cap 1
        fid = done.json()["files"][0]["file_id"]
        link = await client.get(
            f"/api/v1/outcomes/{done.json()['id']}/files/{fid}/download", headers=world.student("s1")
        )
        got = await client.get(link.json()["url"])
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-disposition"].startswith("attachment;")
        await client.post(f"/api/v1/outcomes/{done.json()['id']}/certify", headers=world.teacher("t1"))
        assert (
            await client.put(f"/api/v1/outcomes/{done.json()['id']}/selection", headers=world.student("s1"))
        ).json()["selected"]


async def test_records_events_through_rabbitmq_reach_the_read_copies(world: World) -> None:
    now = datetime.now(UTC)
    events = [
        TeacherAssignmentChanged(
            course_id="c-rmq",
            school_id="sch-A",
            academic_year=YEAR,
            semester=SEM,
            teacher_user_ids=["t1"],
            reviewing_teacher_user_id=None,
            student_user_ids=["s1"],
        ),
        PhaseWindowSet(
            school_id="sch-A",
            academic_year=YEAR,
            semester=SEM,
            phase="outcome_upload",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
            self_check_at=now,
        ),
        ArtifactCapsSet(school_id="sch-A", outcomes_per_semester=8, performances_per_year=40),
        # The student's enrolment: nothing is collected before it is known (R-DATA-6).
        StudentEnrolled(
            student_id="stu-s1", user_id="s1", school_id="sch-A", grade=1, class_name="101", admitted_on=ADMITTED_ON
        ),
    ]
    bus = world.runtime.bus
    for subs in SUBSCRIPTIONS:  # the queues exist before anything is published (the consumers may still be starting)
        await bus.declare(subs.consumer, subs.routing_keys)  # type: ignore[attr-defined]
    for payload in events:
        env = envelope_for(payload, school_id="sch-A", actor="records")
        await bus.publish(OutgoingMessage(env.routing_key, env.to_bytes(), str(env.event_id)))
        await bus.publish(OutgoingMessage(env.routing_key, env.to_bytes(), str(env.event_id)))  # duplicate

    async def arrived() -> bool:
        async with world.runtime.uow() as uow:
            s = uow.session
            return all(
                [
                    (await s.execute(select(rc_courses).where(rc_courses.c.course_id == "c-rmq"))).first() is not None,
                    (await s.execute(select(rc_windows))).first() is not None,
                    (await s.execute(select(rc_caps.c.outcomes_per_semester))).scalar() == 8,
                    (await s.execute(select(rc_enrolments.c.admitted_on))).scalar() == ADMITTED_ON,
                ]
            )

    await eventually(arrived, timeout=20)
    # The read copies are enough to upload: no call to records.
    await world.upload_outcome(world.student("s1"), "c-rmq")


async def test_an_older_event_arriving_late_does_not_overwrite_a_newer_one(world: World) -> None:
    now = datetime.now(UTC)
    await world.feed(
        ArtifactCapsSet(school_id="sch-A", outcomes_per_semester=9, performances_per_year=30), occurred_at=now
    )
    await world.feed(
        ArtifactCapsSet(school_id="sch-A", outcomes_per_semester=3, performances_per_year=30),
        occurred_at=now - timedelta(minutes=5),
    )
    async with world.runtime.uow() as uow:
        assert (await uow.session.execute(select(rc_caps.c.outcomes_per_semester))).scalar() == 9
