"""What records publishes on the real RabbitMQ (R-DATA-5, R-REC-2, R-REC-3, R-SCHED-1)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from portfolio_shared.events import Envelope
from portfolio_shared.messaging import IncomingMessage
from portfolio_shared.messaging.rabbit import RabbitBus
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.fixtures import delete_topology, eventually

pytestmark = pytest.mark.integration

SCHOOL = "sch-A"
CONTENT = "想選資訊工程相關課程，擔心數學跟不上"
OPINIONS = "建議先修加深加廣數學並與導師討論"
PLACE = "輔導室第二諮詢間"


async def _spy(
    rabbitmq_url: str, topology: Topology, name: str, keys: tuple[str, ...]
) -> tuple[RabbitBus, list[IncomingMessage]]:
    seen: list[IncomingMessage] = []
    bus = RabbitBus(rabbitmq_url, topology)

    async def keep(message: IncomingMessage) -> None:
        seen.append(message)

    await bus.subscribe(name, keys, keep)
    return bus, seen


async def test_whole_counselling_flow_puts_no_content_and_no_national_id_on_the_bus(
    records: Any, rabbitmq_url: str, topology: Topology, nid: Any
) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    """R-DATA-5 / R-REC-3: a spy bound to every routing key ('#') sees ids only."""
    bus, seen = await _spy(rabbitmq_url, topology, "spy.everything", ("#",))
    try:
        student = await records.admit(SCHOOL, 77, user_id="stu-77")
        other = await records.admit(SCHOOL, 78, user_id="stu-78")
        counsellor = records.staff(SCHOOL, [P.COUNSELLING_WRITE, P.COUNSELLING_READ], user="counsellor-1")
        url = f"/api/v1/schools/{SCHOOL}/students/{student['id']}/counselling-records"
        body = {"held_at": "2025-10-02T10:30:00+08:00", "place": PLACE, "content": CONTENT, "opinions": OPINIONS}
        r = await records.client.post(url, json=body, headers=counsellor)
        assert r.status_code == 201, r.text
        record_id = r.json()["id"]
        assert r.json()["content"] == CONTENT

        # Readers: the counsellor, the instruction section (counselling:read) and the student concerned.
        instruction = records.staff(SCHOOL, [P.COUNSELLING_READ], user="instruction-1")
        assert (await records.client.get(url, headers=instruction)).json()[0]["opinions"] == OPINIONS
        own = await records.client.get(f"{url}/{record_id}", headers=records.student(SCHOOL, "stu-77"))
        assert own.status_code == 200 and own.json()["place"] == PLACE
        # Not readable by another student, nor by staff without counselling:read.
        assert (await records.client.get(url, headers=records.student(SCHOOL, "stu-78"))).status_code == 403
        other_url = f"/api/v1/schools/{SCHOOL}/students/{other['id']}/counselling-records"
        assert (await records.client.get(other_url, headers=records.student(SCHOOL, "stu-77"))).status_code == 403
        registry = records.staff(SCHOOL, [P.RECORDS_READ, P.ENROLMENT_WRITE])
        assert (await records.client.get(url, headers=registry)).status_code == 403

        async def counselling_event_seen() -> bool:
            return any(m.routing_key == "records.counselling.recorded.v1" for m in seen)

        await eventually(counselling_event_seen, timeout=15)
    finally:
        await bus.close()
        await delete_topology(rabbitmq_url, topology, ("spy.everything",))

    secrets = [CONTENT, OPINIONS, PLACE, nid(77), nid(78), "想選資訊"]
    for message in seen:
        wire = message.body.decode() + repr(dict(message.headers))
        for secret in secrets:
            assert secret not in wire, f"{message.routing_key} leaks a secret"
    event = next(Envelope.from_bytes(m.body) for m in seen if m.routing_key == "records.counselling.recorded.v1")
    assert set(event.payload) == {"record_id", "student_id", "school_id", "counsellor_user_id"}
    assert {m.routing_key for m in seen} >= {"records.student.enrolled.v1", "records.student.enrolment_changed.v1"}

    # Content is encrypted at rest, and the audit trail holds ids only.
    async with records.runtime.engine.connect() as conn:
        raw = (await conn.execute(text("SELECT * FROM counselling_records"))).mappings().one()
        audit = (await conn.execute(text("SELECT details::text FROM audit_log"))).scalars().all()
    assert CONTENT not in str(dict(raw)) and PLACE not in str(dict(raw)) and OPINIONS not in str(dict(raw))
    assert not any(CONTENT in d for d in audit)


async def test_teacher_assignment_change_reaches_a_consumer(
    records: Any, rabbitmq_url: str, topology: Topology
) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    await records.open_data_entry_now(SCHOOL)
    """R-REC-2: artifacts learns who teaches and who reviews (certifies) a co-taught course."""
    key = "records.course.teacher_assignment_changed.v1"
    bus, seen = await _spy(rabbitmq_url, topology, "artifacts.records-test", (key,))
    try:
        students = [await records.admit(SCHOOL, n, user_id=f"stu-{n}") for n in (1, 2)]
        staff = records.staff(SCHOOL)
        course = await records.client.post(
            f"/api/v1/schools/{SCHOOL}/courses",
            json={
                "academic_year": 114,
                "semester": 1,
                "course_code": "CT01",
                "subject_name": "專題",
                "credits": 2,
                "co_taught": True,
            },
            headers=staff,
        )
        assert course.status_code == 201, course.text
        course_id = course.json()["id"]
        base = f"/api/v1/schools/{SCHOOL}/courses/{course_id}"
        missing = await records.client.put(f"{base}/teachers", json={"teacher_user_ids": ["t1", "t2"]}, headers=staff)
        assert missing.status_code == 422 and missing.json()["rule"] == "R-REC-2"
        r = await records.client.put(
            f"{base}/students", json={"student_ids": [s["id"] for s in students]}, headers=staff
        )
        assert r.status_code == 200, r.text
        r = await records.client.put(
            f"{base}/teachers",
            json={"teacher_user_ids": ["t1", "t2"], "reviewing_teacher_user_id": "t2"},
            headers=staff,
        )
        assert r.status_code == 200, r.text
        assert r.json()["teacher_user_ids"] == ["t1", "t2"] and r.json()["reviewing_teacher_user_id"] == "t2"
        plan = await records.client.get(
            f"/api/v1/schools/{SCHOOL}/courses", params={"academic_year": 114, "semester": 1}, headers=staff
        )
        assert [(c["course_code"], c["teacher_user_ids"], len(c["student_ids"])) for c in plan.json()] == [
            ("CT01", ["t1", "t2"], 2)
        ]

        async def assignment_seen() -> bool:
            return any(Envelope.from_bytes(m.body).payload["teacher_user_ids"] for m in seen)

        await eventually(assignment_seen, timeout=15)
        last = Envelope.from_bytes(seen[-1].body)
        assert last.routing_key == key and last.school_id == SCHOOL
        assert last.payload["course_id"] == course_id
        assert last.payload["teacher_user_ids"] == ["t1", "t2"]
        assert last.payload["reviewing_teacher_user_id"] == "t2"
        assert last.payload["student_user_ids"] == ["stu-1", "stu-2"]

        # A student's account link changes: the course is announced again with the new user id.
        r = await records.client.patch(
            f"/api/v1/schools/{SCHOOL}/students/{students[0]['id']}", json={"user_id": "stu-1b"}, headers=staff
        )
        assert r.status_code == 200

        async def relinked() -> bool:
            return "stu-1b" in Envelope.from_bytes(seen[-1].body).payload["student_user_ids"]

        await eventually(relinked, timeout=15)
    finally:
        await bus.close()
        await delete_topology(rabbitmq_url, topology, ("artifacts.records-test",))
