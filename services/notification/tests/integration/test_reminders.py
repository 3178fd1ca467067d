"""Must show: a teacher with 3 uncertified outcomes gets ONE reminder with the count, N days before the
certification window closes — not one per outcome, not again after a restart (R-ART-3, R-SCHED-2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from notification_world import World

from portfolio_notification.adapters.orm import deliveries
from portfolio_notification.bootstrap import bootstrap, deps_of
from portfolio_notification.service_layer.jobs import ReminderScheduler
from portfolio_shared.events.artifacts import OutcomeCertified, OutcomeSelected, OutcomeUploaded
from portfolio_shared.events.records import PhaseWindowSet, TeacherAssignmentChanged
from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.fixtures import eventually

pytestmark = pytest.mark.integration

YEAR, SEM = 114, 1
NOW = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)


def window(phase: str, ends_at: datetime) -> PhaseWindowSet:
    return PhaseWindowSet(
        school_id="sch-A",
        academic_year=YEAR,
        semester=SEM,
        phase=phase,  # type: ignore[arg-type]
        starts_at=ends_at - timedelta(days=30),
        ends_at=ends_at,
        self_check_at=ends_at - timedelta(days=7),
    )


def uploaded(outcome_id: str, student: str, course: str = "c-1") -> OutcomeUploaded:
    return OutcomeUploaded(
        outcome_id=outcome_id,
        student_user_id=student,
        school_id="sch-A",
        course_id=course,
        academic_year=YEAR,
        semester=SEM,
        version=1,
        files=[],
    )


async def rows(world: World, **where: str) -> list[dict[str, object]]:
    async with world.runtime.uow() as uow:
        q = sa.select(deliveries).where(*(deliveries.c[k] == v for k, v in where.items()))
        return [dict(r) for r in (await uow.session.execute(q)).mappings()]


async def test_one_reminder_with_the_count_n_days_before_closing_and_not_again_after_restart(world: World) -> None:
    clock = {"now": NOW}
    world.deps.clock = lambda: clock["now"]
    staff = world.minter.headers("dir-1", schools={"sch-A": [P.SCHEDULE_WRITE]})
    r = await world.client.put(
        "/api/v1/schools/sch-A/settings",
        json={"reminder_days": 3, "school_name": "市立實驗高中", "return_address": "100 臺北市中正區重慶南路一段1號"},
        headers=staff,
    )
    assert r.status_code == 200, r.text
    await world.contact("t-1", school_id="sch-A", display_name="林老師", kind="teacher", email="t1@school.example")
    await world.feed(
        TeacherAssignmentChanged(
            course_id="c-1",
            school_id="sch-A",
            academic_year=YEAR,
            semester=SEM,
            teacher_user_ids=["t-1"],
            reviewing_teacher_user_id=None,
        )
    )
    for n in (1, 2, 3, 4):
        await world.feed(uploaded(f"o-{n}", f"s-{n}"))
    # o-4 is certified and selected: it must not count (only outcomes awaiting certification do)
    await world.feed(
        OutcomeCertified(
            outcome_id="o-4",
            student_user_id="s-4",
            school_id="sch-A",
            course_id="c-1",
            certified_by="t-1",
            on_behalf_of=None,
            basis="teacher",
        )
    )
    await world.feed(OutcomeSelected(outcome_id="o-4", student_user_id="s-4", school_id="sch-A", academic_year=YEAR))
    closes = NOW + timedelta(days=5)
    await world.feed(window("outcome_certification", closes))
    assert await rows(world, recipient_user_id="t-1") == []  # 5 days before: not yet (N = 3)

    scheduler = ReminderScheduler(world.deps, holder="replica-1")
    clock["now"] = closes - timedelta(days=3) - timedelta(seconds=1)  # one second before the limit
    assert await scheduler.tick() == 0
    clock["now"] = closes - timedelta(days=3)  # at the limit
    assert await scheduler.tick() == 2  # one inbox message + one e-mail, for three outcomes

    sent = await rows(world, recipient_user_id="t-1")
    assert sorted(r["channel"] for r in sent) == ["email", "inbox"]
    assert all("3 件" in str(r["body"]) and "3 course learning outcomes" in str(r["body"]) for r in sent)
    await eventually(lambda: _received(world, "t1@school.example", 1))

    # the scheduler runs again, and another replica waits for the lease
    clock["now"] += timedelta(minutes=5)
    assert await scheduler.tick() == 0
    assert await ReminderScheduler(world.deps, holder="replica-2").tick() is None

    # a restart: a new process on the same database, after the old lease expired
    restarted = bootstrap(world.deps.settings, verifier=world.minter.verifier())
    deps2 = deps_of(restarted)
    clock["now"] += timedelta(hours=2)
    deps2.clock = lambda: clock["now"]
    try:
        assert await ReminderScheduler(deps2, holder="replica-after-restart").tick() == 0
    finally:
        await restarted.engine.dispose()
    assert len(await rows(world, recipient_user_id="t-1")) == 2
    assert world.smtp.recipients()["t1@school.example"] == 1

    # the inbox shows it, school-scoped, with an unread count
    teacher = world.minter.headers("t-1", roles={"sch-A": ["teacher"]}, kind="teacher")
    page = (await world.client.get("/api/v1/inbox", headers=teacher)).json()
    assert page["total"] == 1 and "3" in page["items"][0]["subject"]
    assert (await world.client.get("/api/v1/inbox/unread-count", headers=teacher)).json() == {"unread": 1}
    other_school = world.minter.headers("t-1", roles={"sch-B": ["teacher"]}, kind="teacher")
    assert (await world.client.get("/api/v1/inbox", headers=other_school)).json()["total"] == 0
    message_id = page["items"][0]["id"]
    r = await world.client.post(f"/api/v1/inbox/{message_id}/read", headers=other_school)
    assert r.status_code == 404 and r.json()["title_zh"]
    assert (await world.client.post("/api/v1/inbox/not-a-uuid/read", headers=teacher)).status_code == 404
    r = await world.client.post(f"/api/v1/inbox/{'x' * 65}/read", headers=teacher)  # one past the limit
    assert r.status_code == 422 and r.json()["title_zh"]
    assert (await world.client.post(f"/api/v1/inbox/{message_id}/read", headers=teacher)).status_code == 200
    unread = await world.client.get("/api/v1/inbox", params={"unread": "true"}, headers=teacher)
    assert unread.json()["total"] == 0
    assert (await world.client.get("/api/v1/inbox/unread-count", headers=teacher)).json() == {"unread": 0}


async def test_moving_the_deadline_reminds_again_and_students_get_upload_reminders(world: World) -> None:
    clock = {"now": NOW}
    world.deps.clock = lambda: clock["now"]
    for s in ("s-1", "s-2", "s-3"):
        await world.contact(s, school_id="sch-A", display_name=s, kind="student", email=f"{s}@school.example")
    await world.feed(uploaded("o-1", "s-1"))
    # the window is set inside its reminder period: the students who have not uploaded hear at once
    closes = NOW + timedelta(days=2)
    await world.feed(window("outcome_upload", closes))
    first = await rows(world, trigger="upload_reminder", channel="email")
    assert sorted(str(r["recipient_user_id"]) for r in first) == ["s-2", "s-3"]
    await world.feed(window("outcome_upload", closes))  # the same window again (a duplicate): nothing new
    assert len(await rows(world, trigger="upload_reminder", channel="email")) == 2
    await world.feed(window("outcome_upload", closes + timedelta(days=1)))  # the deadline moved: a new occurrence
    assert len(await rows(world, trigger="upload_reminder", channel="email")) == 4


async def test_email_reminders_switched_off_but_receipts_cannot_be(world: World) -> None:
    await world.contact("s-9", school_id="sch-A", display_name="s-9", kind="student", email="s9@school.example")
    me = world.minter.headers("s-9", roles={"sch-A": ["student"]}, kind="student")
    r = await world.client.put(
        "/api/v1/preferences/me", json={"email_reminders": True, "email_receipts": False}, headers=me
    )
    assert r.status_code == 422
    body = r.json()
    assert body["rule"] == "R-SUB-7" and body["title_zh"] and body["field"] == "email_receipts"
    r = await world.client.put("/api/v1/preferences/me", json={"email_reminders": False}, headers=me)
    assert r.status_code == 200
    assert r.json() == {
        "email_reminders": False,
        "email_receipts": True,
        "email": "s***@school.example",  # masked
        "postal_address_on_record": False,
    }
    world.deps.clock = lambda: NOW
    await world.feed(window("outcome_upload", NOW + timedelta(days=1)))
    assert [r["channel"] for r in await rows(world, recipient_user_id="s-9")] == ["inbox"]


async def _received(world: World, address: str, count: int) -> bool:
    return world.smtp.recipients()[address] == count


async def test_read_copies_keep_the_newest_fact_when_events_arrive_out_of_order(world: World) -> None:
    """FOUNDATION: read-copy handlers tolerate out-of-order events (compare envelope.occurred_at)."""
    clock = {"now": NOW}
    world.deps.clock = lambda: clock["now"]
    await world.contact("t-1", school_id="sch-A", display_name="林老師", kind="teacher")
    await world.feed(
        TeacherAssignmentChanged(
            course_id="c-1", school_id="sch-A", academic_year=YEAR, semester=SEM,
            teacher_user_ids=["t-1"], reviewing_teacher_user_id=None,
        )
    )  # fmt: skip
    certified = OutcomeCertified(
        outcome_id="o-1", student_user_id="s-1", school_id="sch-A", course_id="c-1",
        certified_by="t-1", on_behalf_of=None, basis="teacher",
    )  # fmt: skip
    await world.feed(world.envelope(certified, occurred_at=NOW - timedelta(hours=1)))
    await world.feed(world.envelope(uploaded("o-1", "s-1"), occurred_at=NOW - timedelta(hours=2)))  # older, late
    await world.feed(world.envelope(uploaded("o-2", "s-2"), occurred_at=NOW - timedelta(hours=2)))
    closes = NOW + timedelta(days=1)
    await world.feed(world.envelope(window("outcome_certification", closes), occurred_at=NOW))
    # an older setting of the same window arriving late does not move it back
    await world.feed(
        world.envelope(window("outcome_certification", closes + timedelta(days=9)), occurred_at=NOW - timedelta(days=1))
    )
    [message] = await rows(world, recipient_user_id="t-1")
    assert "1 件" in str(message["body"])  # o-1 stays certified: only o-2 awaits certification
    assert str(message["trigger_key"]).endswith(closes.isoformat())
