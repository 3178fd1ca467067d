"""Sealing and deletion of graduates' data at records, the coordinator (R-RET-1), on the real
PostgreSQL and RabbitMQ: a graduation seals, sealed records refuse changes, the archive period is
per school (5–30 years), deletion is refused before it ends (at the boundary day, in the school's
time zone), records deletes its own rows at once and keeps the proof, and the other services'
confirmations complete it — once, whatever is redelivered. The audit chain stays verifiable."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from portfolio_records.adapters.orm import sealed_students, students
from portfolio_records.domain.calendar import term_of
from portfolio_records.domain.retention import add_years
from portfolio_records.service_layer import retention
from portfolio_shared.audit import verify
from portfolio_shared.events.base import envelope_for
from portfolio_shared.events.retention import ArtifactsDeletionConfirmed, IdentityDeletionConfirmed
from portfolio_shared.messaging import EventConsumer, IncomingMessage
from portfolio_shared.permissions import Permission as P

pytestmark = pytest.mark.integration

A, B = "sch-A", "sch-B"
TAIPEI = ZoneInfo("Asia/Taipei")
REGISTRY = [P.ENROLMENT_WRITE, P.RECORDS_READ, P.CADRE_WRITE, P.RETENTION_MANAGE, P.AUDIT_READ]


def today_in_taipei() -> date:
    return datetime.now(UTC).astimezone(TAIPEI).date()


async def graduate(records: Any, n: int, completed_on: date, school: str = A, user_id: str | None = None) -> str:
    """Admit a grade-3 student 100 days before ``completed_on`` and record the graduation then."""
    admitted_on = completed_on - timedelta(days=100)
    for day in (admitted_on, completed_on):
        term = term_of(day)
        await records.open_data_entry(school, term.academic_year, term.semester)
    extra = {"user_id": user_id} if user_id else {}
    sid = str((await records.admit(school, n, grade=3, effective_on=admitted_on.isoformat(), **extra))["id"])
    r = await records.client.post(
        f"/api/v1/schools/{school}/students/{sid}/enrolment-changes",
        json={"change": "graduation", "effective_on": completed_on.isoformat()},
        headers=records.staff(school),
    )
    assert r.status_code == 201, r.text
    return sid


async def _outbox(records: Any, key: str) -> list[dict[str, Any]]:
    async with records.runtime.engine.connect() as conn:
        rows = await conn.execute(text("SELECT body FROM outbox WHERE routing_key = :k ORDER BY id"), {"k": key})
        return [json.loads(b) for b in rows.scalars()]


async def _feed(records: Any, payload: Any, event_id: uuid.UUID | None = None) -> None:
    env = envelope_for(payload, school_id=payload.school_id, actor="system:test")
    if event_id is not None:
        env = env.model_copy(update={"event_id": event_id})
    subs = next(s for s in records.runtime.subscriptions if env.routing_key in s.handlers)
    consumer = EventConsumer(subs, records.runtime.uow, records.runtime.inbox)
    await consumer.handle(IncomingMessage(env.routing_key, env.to_bytes(), str(env.event_id), {}, 1))


def _confirmation(cls: Any, request_id: str, school: str = A, **counts: int) -> Any:
    return cls(
        request_id=request_id,
        school_id=school,
        service=cls.event_type.split(".")[0],
        counts=counts or {"outcomes": 2},
        digests={k: "ab" * 32 for k in counts or {"outcomes": 2}},
        deleted_at=datetime.now(UTC),
    )


async def test_graduation_seals_the_student_and_sealed_records_refuse_changes(records: Any) -> None:
    completed = today_in_taipei() - timedelta(days=30)
    sid = await graduate(records, 1, completed, user_id="stu-1")
    sealed = await _outbox(records, "records.retention.student_sealed.v1")
    assert [e["payload"] for e in sealed] == [
        {
            "student_id": sid,
            "user_id": "stu-1",
            "school_id": A,
            "completed_on": completed.isoformat(),
            "deletable_from": add_years(completed, 5).isoformat(),
        }
    ]
    staff = records.minter.headers("registrar", schools={A: [str(p) for p in REGISTRY]})
    state = await records.client.get(f"/api/v1/schools/{A}/retention/students/{sid}", headers=staff)
    assert state.status_code == 200, state.text
    assert state.json()["sealed"] is True and state.json()["deletable_from"] == add_years(completed, 5).isoformat()

    term = term_of(completed)
    refusals = [
        await records.client.patch(f"/api/v1/schools/{A}/students/{sid}", json={"class_name": "302"}, headers=staff),
        await records.client.post(
            f"/api/v1/schools/{A}/students/{sid}/enrolment-changes",
            json={"change": "leaving", "effective_on": completed.isoformat()},
            headers=staff,
        ),
        await records.client.post(
            f"/api/v1/schools/{A}/students/{sid}/cadre-records",
            json={
                "academic_year": term.academic_year,
                "semester": term.semester,
                "level": "class",
                "unit": "301",
                "title": "班長",
            },
            headers=staff,
        ),
    ]
    for r in refusals:
        assert r.status_code == 409, r.text
        assert (r.json()["code"], r.json()["rule"]) == ("student-sealed", "R-RET-1")
    # Reading stays possible (sealed = read-only), and a student not graduated is not sealed.
    assert (await records.client.get(f"/api/v1/schools/{A}/students/{sid}", headers=staff)).status_code == 200
    other = str((await records.admit(A, 2, effective_on=completed.isoformat()))["id"])
    state = await records.client.get(f"/api/v1/schools/{A}/retention/students/{other}", headers=staff)
    assert state.json()["sealed"] is False


async def test_the_archive_period_is_per_school_five_to_thirty_years(records: Any) -> None:
    staff = records.minter.headers("registrar", schools={A: [str(p) for p in REGISTRY]})
    url = f"/api/v1/schools/{A}/retention/settings"
    assert (await records.client.get(url, headers=staff)).json() == {
        "school_id": A,
        "archive_years": 5,
        "scheduled_purge": False,
    }
    for years, expected in ((4, 422), (5, 200), (30, 200), (31, 422)):
        r = await records.client.put(url, json={"archive_years": years}, headers=staff)
        assert r.status_code == expected, (years, r.text)
        if expected == 422:
            assert (r.json()["code"], r.json()["rule"], r.json()["field"]) == (
                "invalid-archive-period",
                "R-RET-1",
                "archive_years",
            )
    assert (await records.client.get(url, headers=staff)).json()["archive_years"] == 30
    clerk = records.staff(A)  # registry clerk permissions without retention:manage
    r = await records.client.put(url, json={"archive_years": 6}, headers=clerk)
    assert r.status_code == 403 and r.json()["rule"] == "R-RET-1"


async def test_deletion_is_refused_before_the_archive_period_ends_and_accepted_on_its_last_day(records: Any) -> None:
    today = today_in_taipei()
    on_time = await graduate(records, 1, add_years(today, -5), user_id="stu-1")  # deletable from today
    one_day_short = await graduate(records, 2, add_years(today, -5) + timedelta(days=1))  # from tomorrow
    four_years = await graduate(records, 3, add_years(today, -4))
    await records.open_data_entry(A, 114, 1)
    not_graduated = str((await records.admit(A, 4))["id"])
    staff = records.minter.headers("registrar", schools={A: [str(p) for p in REGISTRY]})
    url = f"/api/v1/schools/{A}/retention/deletions"

    for sid, deletable in ((one_day_short, today + timedelta(days=1)), (four_years, add_years(today, 1))):
        r = await records.client.post(url, json={"student_ids": [sid]}, headers=staff)
        assert r.status_code == 409, r.text
        body = r.json()
        assert (body["code"], body["rule"], body["student_id"]) == ("retention-period-running", "R-RET-1", sid)
        assert body["deletable_from"] == deletable.isoformat()
    r = await records.client.post(url, json={"student_ids": [not_graduated]}, headers=staff)
    assert (r.status_code, r.json()["code"]) == (409, "student-not-sealed")
    # All or nothing: a request naming one deletable and one not-yet-deletable student deletes nobody.
    r = await records.client.post(url, json={"student_ids": [on_time, four_years]}, headers=staff)
    assert r.status_code == 409
    # Another school's student is not found there; a caller without retention:manage is refused.
    assert (await records.client.post(f"/api/v1/schools/{B}/retention/deletions", json={"student_ids": [on_time]},
                                      headers=records.minter.headers("r", schools={B: [str(p) for p in REGISTRY]}))
            ).status_code == 404  # fmt: skip
    r = await records.client.post(url, json={"student_ids": [on_time]}, headers=records.staff(A))
    assert r.status_code == 403

    r = await records.client.post(url, json={"student_ids": [on_time]}, headers=staff)
    assert r.status_code == 202, r.text
    proof = r.json()
    assert r.headers["location"].endswith(proof["request_id"])
    assert proof["students"] == [{"student_id": on_time, "user_id": "stu-1"}]
    assert proof["requested_by"] == "registrar" and proof["trigger"] == "request"
    assert proof["expected_services"] == ["artifacts", "identity", "notification", "records", "submission"]
    assert proof["awaiting"] == ["artifacts", "identity", "notification", "submission"]
    assert proof["complete"] is False
    [own] = proof["confirmations"]
    assert own["service"] == "records"
    assert own["counts"]["students"] == 1 and own["counts"]["enrolments"] == 1
    assert own["counts"]["enrolment_changes"] == 2  # admission and graduation
    assert own["digests"]["students"] == retention_digest([on_time])

    # Records' own rows are gone; the seal stays as the tombstone; a second request is refused.
    async with records.runtime.uow() as uow:
        assert (await uow.session.execute(select(students).where(students.c.id == uuid.UUID(on_time)))).first() is None
        seal = (await uow.session.execute(select(sealed_students).where(sealed_students.c.student_id == on_time))).one()
        assert seal.deleted_at is not None and seal.deletion_request_id == proof["request_id"]
    assert (await records.client.get(f"/api/v1/schools/{A}/students/{on_time}", headers=staff)).status_code == 404
    again = await records.client.post(url, json={"student_ids": [on_time]}, headers=staff)
    assert (again.status_code, again.json()["code"]) == (409, "student-data-deleted")

    [published] = await _outbox(records, "records.retention.deletion_requested.v1")
    assert published["payload"] == {
        "request_id": proof["request_id"],
        "school_id": A,
        "students": [{"student_id": on_time, "user_id": "stu-1"}],
        "requested_by": "registrar",
        "trigger": "request",
    }
    # The audit chain still verifies after the deletion, and no audit entry holds the student's name.
    async with records.runtime.engine.connect() as conn:
        report = await verify(conn)
        assert report.ok, report.broken
        details = (await conn.execute(text("SELECT details FROM audit_log"))).scalars().all()
    assert not any("學生1" in json.dumps(d, ensure_ascii=False) for d in details)


def retention_digest(ids: list[str]) -> str:
    from portfolio_shared.retention import digest

    return digest(ids)


async def test_the_school_calendar_day_decides_not_utc(records: Any) -> None:
    """Completed 2026-02-01: deletable from 2031-02-01 in Taipei. At 2031-01-31T16:30Z it is already
    2031-02-01 00:30 in Taipei (accepted), but still 31 January in a school at UTC (refused)."""
    at = datetime(2031, 1, 31, 16, 30, tzinfo=UTC)
    taipei = await graduate(records, 1, date(2026, 2, 1))
    utc_school = await graduate(records, 2, date(2026, 2, 1), school=B)
    staff_b = records.minter.headers("r", schools={B: ["schedule:write"]})
    r = await records.client.put(f"/api/v1/schools/{B}/settings", json={"time_zone": "UTC"}, headers=staff_b)
    assert r.status_code == 200, r.text
    async with records.runtime.uow() as uow:
        await retention.request_deletion(
            uow, school_id=A, actor="registrar", student_ids=[uuid.UUID(taipei)], trigger="request",
            expected_services=["records"], at=at,
        )  # fmt: skip
        await uow.commit()
    async with records.runtime.uow() as uow:
        with pytest.raises(Exception) as refused:
            await retention.request_deletion(
                uow, school_id=B, actor="registrar", student_ids=[uuid.UUID(utc_school)], trigger="request",
                expected_services=["records"], at=at,
            )  # fmt: skip
        assert getattr(refused.value, "code", None) == "retention-period-running"
        # One second later the UTC school's day has come too.
        await retention.request_deletion(
            uow, school_id=B, actor="registrar", student_ids=[uuid.UUID(utc_school)], trigger="request",
            expected_services=["records"], at=at + timedelta(hours=7, minutes=30),
        )  # fmt: skip


async def test_confirmations_complete_the_proof_once_whatever_is_redelivered(
    records: Any, settings_factory: Any
) -> None:
    sid = await graduate(records, 1, add_years(today_in_taipei(), -6), user_id="stu-1")
    async with records.runtime.uow() as uow:
        request_id = str(
            await retention.request_deletion(
                uow,
                school_id=A,
                actor="registrar",
                student_ids=[uuid.UUID(sid)],
                trigger="request",
                expected_services=["records", "artifacts", "identity"],
            )
        )
        await uow.commit()
    staff = records.minter.headers("registrar", schools={A: [str(p) for p in REGISTRY]})
    url = f"/api/v1/schools/{A}/retention/deletions/{request_id}"

    first = _confirmation(ArtifactsDeletionConfirmed, request_id, outcomes=2, stored_objects=3)
    event_id = uuid.uuid4()
    await _feed(records, first, event_id)
    await _feed(records, first, event_id)  # redelivered: the inbox drops it
    # A second, different confirmation by the same service (a repeated request) changes nothing.
    await _feed(records, _confirmation(ArtifactsDeletionConfirmed, request_id, outcomes=0))
    # A confirmation for another school's request, or an unknown request, is ignored.
    await _feed(records, _confirmation(IdentityDeletionConfirmed, request_id, school=B, accounts=1))
    await _feed(records, _confirmation(IdentityDeletionConfirmed, str(uuid.uuid4()), accounts=1))
    proof = (await records.client.get(url, headers=staff)).json()
    assert [c["service"] for c in proof["confirmations"]] == ["records", "artifacts"]
    assert proof["confirmations"][1]["counts"] == {"outcomes": 2, "stored_objects": 3}
    assert proof["awaiting"] == ["identity"] and proof["complete"] is False

    await _feed(records, _confirmation(IdentityDeletionConfirmed, request_id, accounts=1))
    proof = (await records.client.get(url, headers=staff)).json()
    assert proof["awaiting"] == [] and proof["complete"] is True and proof["completed_at"] is not None
    listed = (await records.client.get(f"/api/v1/schools/{A}/retention/deletions", headers=staff)).json()
    assert listed["total"] == 1 and listed["items"][0]["request_id"] == request_id
    # Another school cannot read the proof.
    other = records.minter.headers("r", schools={B: [str(p) for p in REGISTRY]})
    assert (await records.client.get(f"/api/v1/schools/{B}/retention/deletions/{request_id}", headers=other)
            ).status_code == 404  # fmt: skip

    audit = (await records.client.get(f"/api/v1/schools/{A}/audit", headers=staff)).json()
    actions = [a["action"] for a in audit]
    assert actions.count("retention.deletion_confirmed") == 3  # records, artifacts, identity — once each
    assert actions.count("retention.deletion_completed") == 1
    assert "retention.deletion_requested" in actions and "retention.sealed" in actions


async def test_the_nightly_purge_deletes_what_passed_the_archive_period_once_per_night(records: Any) -> None:
    today = today_in_taipei()
    due = await graduate(records, 1, add_years(today, -5))
    not_yet = await graduate(records, 2, add_years(today, -5) + timedelta(days=1))
    await graduate(records, 3, add_years(today, -7), school=B)  # school B did not switch the purge on
    staff = records.minter.headers("registrar", schools={A: [str(p) for p in REGISTRY]})
    r = await records.client.put(
        f"/api/v1/schools/{A}/retention/settings", json={"archive_years": 5, "scheduled_purge": True}, headers=staff
    )
    assert r.status_code == 200, r.text
    settings = records.runtime.settings
    first = await retention.run_purge_night(records.runtime, settings, today, "replica-1")
    second = await retention.run_purge_night(records.runtime, settings, today, "replica-2")  # same night
    assert first == {A: "succeeded"} and second == {A: None}
    listed = (await records.client.get(f"/api/v1/schools/{A}/retention/deletions", headers=staff)).json()
    assert listed["total"] == 1
    [proof] = listed["items"]
    assert proof["trigger"] == "scheduled_purge" and proof["requested_by"] == "system:retention-purge"
    assert [s["student_id"] for s in proof["students"]] == [due]
    state = (await records.client.get(f"/api/v1/schools/{A}/retention/students/{not_yet}", headers=staff)).json()
    assert state["deleted_at"] is None
