"""Only data from the period of enrolment (R-DATA-6): records' enrolment events (R-ENR-1) feed the
read copy ``rc_enrolments``; a student whose enrolment at the school is not active cannot upload,
complete or change selections there, while what they uploaded before can still be certified (R-ART-5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from artifacts_world import YEAR, World, declaration, pdf, today
from sqlalchemy import select

from portfolio_artifacts.adapters.orm import rc_enrolments
from portfolio_artifacts.app import create
from portfolio_artifacts.bootstrap import bootstrap
from portfolio_artifacts.config import Settings
from portfolio_artifacts.consumers import SUBSCRIPTIONS
from portfolio_shared.events.base import envelope_for
from portfolio_shared.events.records import EnrolmentChanged, StudentEnrolled
from portfolio_shared.messaging import OutgoingMessage
from portfolio_shared.testing.fixtures import eventually
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

pytestmark = pytest.mark.integration

CHANGE_STATUS = {
    "admission": "enrolled",
    "transfer_in": "enrolled",
    "reinstatement": "enrolled",
    "repeat_grade": "enrolled",
    "visiting_study": "visiting",
    "transfer_out": "transferred_out",
    "suspension": "suspended",
    "graduation": "graduated",
    "leaving": "left",
}


async def enrolled(
    world: World, user: str, *, school: str | None = None, on: date | None = None, at: datetime | None = None
) -> None:
    school = school or world.school
    await world.feed(
        StudentEnrolled(
            student_id=f"stu-{user}",
            user_id=user,
            school_id=school,
            grade=2,
            class_name="201",
            seat_number=7,
            admitted_on=on or date(2025, 8, 1),
        ),
        occurred_at=at,
        school_id=school,
    )


async def change(
    world: World,
    user: str,
    kind: str,
    *,
    school: str | None = None,
    on: date | None = None,
    at: datetime | None = None,
) -> None:
    school = school or world.school
    await world.feed(
        EnrolmentChanged(
            student_id=f"stu-{user}",
            user_id=user,
            school_id=school,
            change=kind,  # type: ignore[arg-type]
            effective_on=on or today(),
            status=CHANGE_STATUS[kind],
            grade=2,
        ),
        occurred_at=at,
        school_id=school,
    )


async def enrolment_row(world: World, user: str, school: str | None = None) -> Any:
    async with world.runtime.uow() as uow:
        return (
            await uow.session.execute(
                select(rc_enrolments).where(
                    rc_enrolments.c.user_id == user, rc_enrolments.c.school_id == (school or world.school)
                )
            )
        ).first()


def assert_not_enrolled(r: httpx.Response, status: str, since: date) -> None:
    """The 409 problem of R-DATA-6: English and zh-TW titles, the status and since when."""
    assert r.status_code == 409, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (problem["code"], problem["rule"]) == ("not-enrolled", "R-DATA-6")
    assert problem["title"] and problem["title_zh"] == "非在學期間，不得上傳或異動學習歷程資料"
    assert f"'{status}'" in problem["detail"] and f"since {since.isoformat()}" in problem["detail"]
    assert problem["enrolment"] == {"school_id": "sch-A", "status": status, "since": since.isoformat()}


def performance_body(world: World, **kw: object) -> dict[str, object]:
    body: dict[str, object] = {
        "school_id": world.school,
        "academic_year": YEAR,
        "category": "other",
        "description": "校內科展參賽",
        "fields": {"name": "科展", "organiser": "本校", "start_date": "2025-10-01"},
    }
    return body | kw


async def test_a_student_who_left_is_refused_uploads_completion_and_selection(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"], enrol=False)
    await enrolled(world, "s1")
    student = world.student("s1")
    before = await world.upload_outcome(student, "phys")  # enrolled: works
    certified = await world.client.post(f"/api/v1/outcomes/{before['id']}/certify", headers=world.teacher("t1"))
    assert certified.status_code == 200, certified.text
    selected = await world.client.put(f"/api/v1/outcomes/{before['id']}/selection", headers=student)
    assert selected.status_code == 200 and selected.json()["selected"] is True
    # An upload started while enrolled, its bytes sent, but not completed before leaving.
    data = pdf(3000)
    started = await world.start_outcome(student, "phys", data)
    assert started.status_code == 201, started.text
    assert (await world.put(started.json()["uploads"][0], data)).status_code == 200
    perf_data = pdf(2500)
    perf = await world.client.post(
        "/api/v1/performances/uploads", json=performance_body(world, files=[declaration(perf_data)]), headers=student
    )
    assert perf.status_code == 201, perf.text
    assert (await world.put(perf.json()["uploads"][0], perf_data)).status_code == 200

    left_on = today() - timedelta(days=1)
    await change(world, "s1", "leaving", on=left_on)
    assert (await enrolment_row(world, "s1")).status == "left"

    assert_not_enrolled(await world.start_outcome(student, "phys", pdf()), "left", left_on)
    oid = started.json()["outcome_id"]
    assert_not_enrolled(await world.client.post(f"/api/v1/outcomes/{oid}/complete", headers=student), "left", left_on)
    pid = perf.json()["performance_id"]
    assert_not_enrolled(
        await world.client.post(f"/api/v1/performances/{pid}/complete", headers=student), "left", left_on
    )
    assert_not_enrolled(
        await world.client.post("/api/v1/performances/uploads", json=performance_body(world), headers=student),
        "left",
        left_on,
    )
    assert_not_enrolled(
        await world.client.post(f"/api/v1/outcomes/{oid}/files", json={"files": [declaration(pdf())]}, headers=student),
        "left",
        left_on,
    )
    assert_not_enrolled(
        await world.client.delete(f"/api/v1/outcomes/{before['id']}/selection", headers=student), "left", left_on
    )
    # Nothing changed: the draft is still a draft, the selection still stands.
    mine = {o["id"]: o for o in (await world.client.get("/api/v1/outcomes", headers=student)).json()}
    assert mine[oid]["status"] == "draft" and mine[before["id"]]["selected"] is True
    # Another student of the same course, enrolled, is not affected.
    await world.course("phys", ["t1"], ["s1", "s2", "s3"], enrol=False)
    await enrolled(world, "s2")
    await world.upload_outcome(world.student("s2"), "phys")


async def test_a_student_whose_enrolment_is_not_known_yet_is_refused_with_its_own_reason(world: World) -> None:
    """R-DATA-6: nothing is collected before records has published the enrolment; the refusal says
    so, distinct from 'not enrolled' (left, suspended …)."""
    await world.open_windows()
    await world.course("phys", ["t1"], ["s3"], enrol=False)
    student = world.student("s3")
    r = await world.start_outcome(student, "phys", pdf())
    assert r.status_code == 409, r.text
    problem = r.json()
    assert (problem["code"], problem["rule"], problem["field"]) == (
        "enrolment-not-known",
        "R-DATA-6",
        "enrolment_status",
    )
    assert problem["enrolment"] == {"school_id": "sch-A", "status": "unknown", "since": None}
    assert problem["title"] != "" and problem["title_zh"] != ""
    body = {
        "school_id": "sch-A",
        "academic_year": 114,
        "category": "other",
        "description": "科展",
        "fields": {"name": "科展", "organiser": "本校", "start_date": "2025-10-01"},
    }
    r = await world.client.post("/api/v1/performances/uploads", json=body, headers=student)
    assert r.status_code == 409 and r.json()["code"] == "enrolment-not-known"
    # Once records publishes the enrolment, the same upload goes through.
    await enrolled(world, "s3")
    await world.upload_outcome(student, "phys")


async def test_performance_dates_before_the_enrolment_began_are_refused_with_the_dates(world: World) -> None:
    """R-DATA-6: a record from before the student's enrolment is not collected; a transfer keeps the
    earlier school's admission as the start of the period (R-ENR-1)."""
    await world.open_windows()
    await world.enrol("p1", admitted_on=date(2025, 8, 1))
    student = world.student("p1")

    def body(start: str, end: str | None = None) -> dict[str, Any]:
        fields = {"name": "淨灘", "organiser": "本校", "start_date": start} | ({"end_date": end} if end else {})
        return {
            "school_id": "sch-A",
            "academic_year": 114,
            "category": "other",
            "description": "淨灘",
            "fields": fields,
        }

    at_limit = await world.client.post("/api/v1/performances/uploads", json=body("2025-08-01"), headers=student)
    assert at_limit.status_code == 201, at_limit.text
    r = await world.client.post("/api/v1/performances/uploads", json=body("2025-07-31"), headers=student)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert (problem["code"], problem["rule"], problem["field"]) == (
        "outside-enrolment-period",
        "R-DATA-6",
        "fields.start_date",
    )
    assert problem["date"] == "2025-07-31" and problem["enrolment_period"] == {"starts_on": "2025-08-01"}
    assert "2025-08-01" in problem["detail"]
    # A student who transferred in keeps the earlier admission as the start of the period.
    await world.enrol("p2", school="sch-B", admitted_on=date(2025, 8, 1))
    await world.enrol("p2", admitted_on=date(2026, 2, 1))
    r = await world.client.post("/api/v1/performances/uploads", json=body("2025-09-01"), headers=world.student("p2"))
    assert r.status_code == 201, r.text


async def test_a_reinstated_student_can_upload_again(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"], enrol=False)
    now = datetime.now(UTC)
    await enrolled(world, "s1", at=now - timedelta(minutes=30))
    suspended_on = today() - timedelta(days=60)
    await change(world, "s1", "suspension", on=suspended_on, at=now - timedelta(minutes=20))
    student = world.student("s1")
    assert_not_enrolled(await world.start_outcome(student, "phys", pdf()), "suspended", suspended_on)
    await change(world, "s1", "reinstatement", at=now - timedelta(minutes=10))
    outcome = await world.upload_outcome(student, "phys")
    assert outcome["status"] == "submitted"
    r = await world.client.post("/api/v1/performances/uploads", json=performance_body(world), headers=student)
    assert r.status_code == 201, r.text


async def test_an_older_enrolment_event_arriving_late_does_not_override_a_newer_status(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1", "s2"], enrol=False)
    now = datetime.now(UTC)
    # s1: reinstated (newest) before the older suspension arrives.
    await change(world, "s1", "reinstatement", at=now)
    await change(world, "s1", "suspension", at=now - timedelta(minutes=5))
    assert (await enrolment_row(world, "s1")).status == "enrolled"
    await world.upload_outcome(world.student("s1"), "phys")
    # The other way round: the newest fact is the leaving; an older admission arriving late stays older.
    left_on = today()
    await change(world, "s2", "leaving", on=left_on, at=now)
    await enrolled(world, "s2", at=now - timedelta(minutes=5))
    await change(world, "s2", "admission", at=now - timedelta(minutes=5))
    assert (await enrolment_row(world, "s2")).status == "left"
    assert_not_enrolled(await world.start_outcome(world.student("s2"), "phys", pdf()), "left", left_on)
    # A newer StudentEnrolled (re-admission) wins over the leaving, and a late leaving that is older
    # than it does not undo it (StudentEnrolled moves the row's event time on).
    await enrolled(world, "s2", on=today(), at=now + timedelta(minutes=1))
    await change(world, "s2", "leaving", at=now + timedelta(seconds=30))
    row = await enrolment_row(world, "s2")
    assert (row.status, row.since) == ("enrolled", today())
    await world.upload_outcome(world.student("s2"), "phys")


async def test_an_outcome_uploaded_before_leaving_can_still_be_certified(world: World) -> None:
    """R-ART-5 with R-DATA-6: the data dates from the enrolment; the teacher still certifies it."""
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"], enrol=False)
    await enrolled(world, "s1")
    first = await world.upload_outcome(world.student("s1"), "phys")
    second = await world.upload_outcome(world.student("s1"), "phys")
    for kind in ("transfer_out", "graduation", "leaving"):
        await change(world, "s1", kind, at=datetime.now(UTC))
    r = await world.client.post(f"/api/v1/outcomes/{first['id']}/certify", headers=world.teacher("t1"))
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["certification"]["basis"]) == ("certified", "teacher")
    returned = await world.client.post(
        f"/api/v1/outcomes/{second['id']}/return", json={"reason": "請補上實驗數據"}, headers=world.teacher("t1")
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    # ...but the student who left cannot select the certified one any more.
    sel = await world.client.put(f"/api/v1/outcomes/{first['id']}/selection", headers=world.student("s1"))
    assert sel.status_code == 409 and sel.json()["rule"] == "R-DATA-6"


async def test_visiting_and_transferred_students(world: World) -> None:
    """R-ENR-1: a visiting student (借讀) uploads at the visiting school; after a transfer the old
    school refuses and the new one accepts."""
    await world.open_windows()
    await world.open_windows(school="sch-B")
    await world.course("phys", ["t1"], ["v1"], enrol=False)
    now = datetime.now(UTC)
    # Records publishes the change and then StudentEnrolled: the status stays "visiting".
    await change(world, "v1", "visiting_study", at=now - timedelta(seconds=1))
    await enrolled(world, "v1", at=now)
    assert (await enrolment_row(world, "v1")).status == "visiting"
    await world.upload_outcome(world.student("v1"), "phys")

    await enrolled(world, "m1", at=now - timedelta(minutes=10))
    moved_on = today()
    await change(world, "m1", "transfer_out", on=moved_on, at=now - timedelta(minutes=5))
    await change(world, "m1", "transfer_in", school="sch-B", at=now - timedelta(minutes=4))
    await enrolled(world, "m1", school="sch-B", at=now - timedelta(minutes=4))
    at_old = await world.client.post(
        "/api/v1/performances/uploads", json=performance_body(world), headers=world.student("m1")
    )
    assert_not_enrolled(at_old, "transferred_out", moved_on)
    at_new = await world.client.post(
        "/api/v1/performances/uploads",
        json=performance_body(world, school_id="sch-B"),
        headers=world.student("m1", school="sch-B"),
    )
    assert at_new.status_code == 201, at_new.text


async def test_enrolment_events_through_rabbitmq(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"], enrol=False)
    bus = world.runtime.bus
    for subs in SUBSCRIPTIONS:
        await bus.declare(subs.consumer, subs.routing_keys)  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    payloads = [
        (
            StudentEnrolled(
                student_id="stu-s1",
                user_id="s1",
                school_id="sch-A",
                grade=3,
                class_name="301",
                admitted_on=date(2024, 8, 1),
            ),
            now - timedelta(minutes=1),
        ),
        (
            EnrolmentChanged(
                student_id="stu-s1",
                user_id="s1",
                school_id="sch-A",
                change="graduation",
                effective_on=today(),
                status="graduated",
                grade=3,
            ),
            now,
        ),
    ]
    for payload, at in reversed(payloads):  # the newer one first: order must not matter
        env = envelope_for(payload, school_id="sch-A", actor="records", occurred_at=at)
        await bus.publish(OutgoingMessage(env.routing_key, env.to_bytes(), str(env.event_id)))

    async def arrived() -> bool:
        row = await enrolment_row(world, "s1")
        return row is not None and row.status == "graduated" and row.event_at == now

    await eventually(arrived, timeout=20)
    assert_not_enrolled(await world.start_outcome(world.student("s1"), "phys", pdf()), "graduated", today())


async def test_enrolment_read_copy_on_sqlite(tmp_path: Path, minter: TokenMinter) -> None:
    """The standalone shape: revision 0003 and the upserts run on SQLite too."""
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
        await world.open_windows()
        await world.course("phys", ["t1"], ["v1"], enrol=False)
        now = datetime.now(UTC)
        await change(world, "v1", "visiting_study", at=now - timedelta(seconds=1))
        await enrolled(world, "v1", at=now)
        assert (await enrolment_row(world, "v1")).status == "visiting"
        outcome = await world.upload_outcome(world.student("v1"), "phys")
        left_on = today()
        await change(world, "v1", "leaving", on=left_on, at=now + timedelta(seconds=1))
        await change(world, "v1", "visiting_study", at=now - timedelta(minutes=1))  # late and older
        assert_not_enrolled(await world.start_outcome(world.student("v1"), "phys", pdf()), "left", left_on)
        r = await client.post(f"/api/v1/outcomes/{outcome['id']}/certify", headers=world.teacher("t1"))
        assert r.status_code == 200, r.text
