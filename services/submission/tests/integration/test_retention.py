"""Submission joins retention (R-RET-1), on real PostgreSQL (and RabbitMQ for the world's runtime):

- records' ``StudentSealed`` makes a graduate's receipt answers and objections refused (409
  ``student-sealed``), while a classmate still answers;
- records' ``DeletionRequested`` deletes this service's copies of the graduate's data (read copies
  with the sealed personal data, items, receipt rows, answers, objections) in the event's transaction,
  leaves the classmate's data, and puts one confirmation (counts and digests, no data) in the outbox;
  a redelivery changes nothing and a second request confirms zero counts.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from portfolio_shared.events.identity import UserCreated
from portfolio_shared.events.retention import DeletionRequested, StudentRef, StudentSealed
from portfolio_shared.retention import StudentSealedError, digest
from portfolio_submission.adapters.orm import rc_items, rc_students, rc_users, sealed_students
from portfolio_submission.adapters.receipts_orm import objections as objection_rows
from portfolio_submission.adapters.receipts_orm import receipt_items, receipt_students
from portfolio_submission.domain.confirmation import Answer
from portfolio_submission.domain.objections import Acting
from portfolio_submission.service_layer import confirmation, objections, receipts

sys.path.insert(0, str(Path(__file__).parent))

from receipts_world import Central, Facts, central_receipt, outcome_batch
from submission_world import SCHOOL, World

pytestmark = pytest.mark.integration

ANNOUNCED = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
INSIDE = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
CONFIRMED = "submission.retention.deletion_confirmed.v1"


async def _receipt(world: World, facts: Facts) -> str:
    """A receipt of three students (stu-000, stu-001, stu-002) with its confirmation window open."""
    outcome_batch(facts, "b-1", 3, school_id=world.school)
    central = Central({"central-b-1": central_receipt(facts, "b-1")})
    async with world.runtime.uow() as uow:
        imported = await receipts.import_from_central(
            uow, facts, central, batch_id="b-1", actor="it-1", school_ids=[world.school]
        )
        await uow.commit()
    rid = str(imported.receipt["id"])
    async with world.runtime.uow() as uow:
        await confirmation.announce_window(
            uow, facts, receipt_id=rid, first_day=date(2026, 3, 2), last_day=date(2026, 3, 4),
            actor="g-1", school_ids=[world.school], now=ANNOUNCED,
        )  # fmt: skip
        await uow.commit()
    return rid


async def _object(world: World, facts: Facts, rid: str, user_id: str) -> dict[str, Any]:
    async with world.runtime.uow() as uow:
        mine = await receipts.student_view(uow, rid, user_id)
        got = await objections.raise_objection(
            uow, facts, None, receipt_id=rid, student_user_id=user_id, item_ids=[mine[2][0]["id"]],
            reason="檔案不是我的", now=INSIDE,
        )  # fmt: skip
        await uow.commit()
    return got


async def _count(world: World, table: sa.Table, where: Any) -> int:
    async with world.runtime.uow() as uow:
        return int((await uow.session.execute(sa.select(sa.func.count()).select_from(table).where(where))).scalar_one())


async def _confirmations(world: World) -> list[dict[str, Any]]:
    async with world.runtime.uow() as uow:
        bodies = (
            (await uow.session.execute(sa.text(f"SELECT body FROM outbox WHERE routing_key = '{CONFIRMED}'")))
            .scalars()
            .all()
        )
    return [json.loads(b) if isinstance(b, str | bytes) else b for b in bodies]


def _sealed(student_id: str, user_id: str, school: str) -> StudentSealed:
    return StudentSealed(
        student_id=student_id, user_id=user_id, school_id=school,
        completed_on=date(2020, 6, 30), deletable_from=date(2025, 6, 30),
    )  # fmt: skip


async def test_a_sealed_graduate_cannot_answer_or_object_and_a_classmate_still_can(world: World) -> None:
    facts = Facts(acting={(SCHOOL, "outcome_submission"): Acting("it-1", False, None)})
    rid = await _receipt(world, facts)
    await world.feed(_sealed("rs-0", "stu-000", world.school))

    async with world.runtime.uow() as uow:
        with pytest.raises(StudentSealedError) as refused:
            await confirmation.confirm(uow, facts, receipt_id=rid, student_user_id="stu-000", now=INSIDE)
    assert refused.value.code == "student-sealed" and refused.value.default_rule == "R-RET-1"
    with pytest.raises(StudentSealedError):
        await _object(world, facts, rid, "stu-000")
    async with world.runtime.uow() as uow:
        with pytest.raises(StudentSealedError):  # nor by post, recorded by staff
            await confirmation.record_answer(
                uow, facts, receipt_id=rid, student_user_id="stu-000", target=Answer.CONFIRMED,
                recorded_by="reg-1", by_post=True, letter_dated=date(2026, 3, 2), now=INSIDE,
            )  # fmt: skip
    async with world.runtime.uow() as uow:
        got = await confirmation.confirm(uow, facts, receipt_id=rid, student_user_id="stu-001", now=INSIDE)
        await uow.commit()
    assert got["answer"] == "confirmed"
    assert (await _object(world, facts, rid, "stu-002"))["status"] == "open"
    answers = {
        str(r["student_user_id"]): r["answer"]
        for r in await _rows(world, receipt_students, receipt_students.c.receipt_id == rid)
    }
    assert answers == {"stu-000": "pending", "stu-001": "confirmed", "stu-002": "objected"}


async def _rows(world: World, table: sa.Table, where: Any) -> list[dict[str, Any]]:
    async with world.runtime.uow() as uow:
        return [dict(r._mapping) for r in await uow.session.execute(sa.select(table).where(where))]


async def test_deletion_removes_the_graduates_copies_once_and_confirms_with_digests(world: World) -> None:
    facts = Facts(acting={(SCHOOL, "outcome_submission"): Acting("it-1", False, None)})
    await world.school_exists()
    await world.course()
    for n, (student_id, user_id) in enumerate((("rs-0", "stu-000"), ("rs-1", "stu-001"))):
        await world.feed(
            UserCreated(
                user_id=user_id, login_name=user_id, display_name=f"學生{n}", kind="student", status="active",
                school_ids=[world.school],
            )
        )  # fmt: skip
        await world.enrol(student_id, n + 1, user_id=user_id, name=f"學生{n}")
        await world.outcome(user_id, certified=True)
    rid = await _receipt(world, facts)
    await _object(world, facts, rid, "stu-000")  # before graduation: an objection to delete later
    await world.feed(_sealed("rs-0", "stu-000", world.school))
    items_before = [str(r["item_id"]) for r in await _rows(world, rc_items, rc_items.c.student_user_id == "stu-000")]
    assert len(items_before) == 1
    assert await _count(world, objection_rows, objection_rows.c.student_user_id == "stu-000") == 1

    request = DeletionRequested(
        request_id="req-1", school_id=world.school, students=[StudentRef(student_id="rs-0", user_id="stu-000")],
        requested_by="registrar", trigger="request",
    )  # fmt: skip
    await world.feed(request)
    for table, where in (
        (rc_students, rc_students.c.student_id == "rs-0"),
        (rc_users, rc_users.c.user_id == "stu-000"),
        (rc_items, rc_items.c.student_user_id == "stu-000"),
        (receipt_items, receipt_items.c.student_user_id == "stu-000"),
        (receipt_students, receipt_students.c.student_user_id == "stu-000"),
        (objection_rows, objection_rows.c.student_user_id == "stu-000"),
    ):
        assert await _count(world, table, where) == 0, table.name
    # The classmate's data stays.
    assert await _count(world, receipt_items, receipt_items.c.student_user_id == "stu-001") == 1
    assert await _count(world, rc_students, rc_students.c.student_id == "rs-1") == 1
    assert await _count(world, rc_items, rc_items.c.student_user_id == "stu-001") == 1
    assert await _count(world, receipt_students, receipt_students.c.student_user_id == "stu-001") == 1
    # The seal row stays as the deletion's tombstone (ids and dates only).
    (seal,) = await _rows(world, sealed_students, sealed_students.c.student_id == "rs-0")
    assert seal["deleted_at"] is not None and seal["deletion_request_id"] == "req-1"

    (confirmed,) = await _confirmations(world)
    payload = confirmed.get("payload", confirmed)
    assert payload["service"] == "submission" and payload["request_id"] == "req-1"
    counts = payload["counts"]
    assert counts["read_students"] == 1 and counts["read_users"] == 1 and counts["read_items"] == 1
    assert counts["receipt_answers"] == 1 and counts["receipt_items"] == 1 and counts["objections"] == 1
    assert payload["digests"]["read_items"] == digest(items_before)
    text = json.dumps(confirmed, ensure_ascii=False)
    assert "學生0" not in text and "stu-001" not in text  # no data, nobody else

    # A late event (records' or artifacts' redelivery after the deletion) does not bring the data back.
    await world.enrol("rs-0", 1, user_id="stu-000", name="學生0")
    await world.outcome("stu-000", certified=True)
    assert await _count(world, rc_students, rc_students.c.student_id == "rs-0") == 0
    assert await _count(world, rc_items, rc_items.c.student_user_id == "stu-000") == 0
    # ... while the classmate's events still land.
    await world.outcome("stu-001", certified=True)
    assert await _count(world, rc_items, rc_items.c.student_user_id == "stu-001") == 2

    # The same request again (records retrying): nothing left, zero counts.
    again = request.model_copy(update={"request_id": "req-2"})
    await world.feed(again)
    second = [c.get("payload", c) for c in await _confirmations(world) if c.get("payload", c)["request_id"] == "req-2"]
    assert len(second) == 1 and all(v == 0 for v in second[0]["counts"].values())
