"""Contact data from identity and records (issue 13) and graduates (R-SUB-9, R-RET-1), on the real
PostgreSQL and SMTP server.

- identity's ``UserContactChanged`` gives the e-mail address, records' ``ContactAddressSet`` the postal
  address: both stored encrypted (no plain text in the database), shown masked, never logged;
- a graduation (records' ``GradeLevelChanged`` / ``EnrolmentChanged``) marks the student as left: the
  receipt notice goes by post, not by e-mail;
- a sealed graduate gets no reminders; records' ``DeletionRequested`` deletes their contact data and
  messages and confirms with counts and digests, once; a late event does not bring them back.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from notification_world import World
from test_reminders import NOW, rows, window

from portfolio_notification.adapters.orm import contacts, deliveries
from portfolio_shared.events.identity import UserContactChanged, UserCreated
from portfolio_shared.events.records import ContactAddressSet, EnrolmentChanged, GradeLevelChanged
from portfolio_shared.events.retention import DeletionRequested, StudentRef, StudentSealed
from portfolio_shared.events.submission import ConfirmationWindowOpened, ReceiptAvailable
from portfolio_shared.retention import digest

pytestmark = pytest.mark.integration

ADDRESS = "臺北市中正區重慶南路一段122號"


async def _contact(world: World, user_id: str) -> dict[str, object]:
    async with world.runtime.uow() as uow:
        row = (await uow.session.execute(sa.select(contacts).where(contacts.c.user_id == user_id))).mappings().one()
        return dict(row)


async def test_email_and_postal_address_arrive_by_events_encrypted_and_masked(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = UserCreated(
        user_id="s-1", login_name="s1", display_name="王小明", kind="student", status="active", school_ids=["sch-A"]
    )
    await world.feed(created)
    await world.feed(UserContactChanged(user_id="s-1", email="wang@school.example"))
    await world.feed(
        ContactAddressSet(
            student_id="stu-1", user_id="s-1", school_id="sch-A", recipient="王小明", postal_code="100", address=ADDRESS
        )
    )
    stored = await _contact(world, "s-1")
    assert stored["email_enc"] and stored["postal_enc"]
    assert "wang@" not in json.dumps(stored, default=str) and ADDRESS not in json.dumps(stored, default=str)
    me = world.minter.headers("s-1", roles={"sch-A": ["student"]}, kind="student")
    prefs = (await world.client.get("/api/v1/preferences/me", headers=me)).json()
    assert prefs["email"] == "w***@school.example" and prefs["postal_address_on_record"] is True
    assert not any("wang@school.example" in r.getMessage() or ADDRESS in r.getMessage() for r in caplog.records)

    # The account lost its address: cleared, not kept.
    await world.feed(UserContactChanged(user_id="s-1", email=None))
    assert (await _contact(world, "s-1"))["email_enc"] is None


@pytest.mark.parametrize("how", ["grade_level", "enrolment"])
async def test_a_graduate_is_reached_by_post_for_a_receipt_not_by_email(world: World, how: str) -> None:
    for s in ("s-1", "s-2"):
        await world.contact(s, school_id="sch-A", display_name=s, kind="student", email=f"{s}@school.example")
        await world.feed(
            ContactAddressSet(
                student_id=f"stu-{s}", user_id=s, school_id="sch-A", recipient=s, postal_code="100", address=ADDRESS
            )
        )
    if how == "grade_level":
        graduation: object = GradeLevelChanged(
            student_id="stu-s-2", user_id="s-2", school_id="sch-A", change="graduation", from_grade=3,
            academic_year=114, effective_on=date(2026, 6, 30),
        )  # fmt: skip
    else:
        graduation = EnrolmentChanged(
            student_id="stu-s-2", user_id="s-2", school_id="sch-A", change="graduation",
            effective_on=date(2026, 6, 30), status="graduated", grade=3,
        )  # fmt: skip
    await world.feed(graduation)  # type: ignore[arg-type]
    assert (await _contact(world, "s-2"))["left_school"] is True
    opens = datetime(2026, 7, 2, tzinfo=UTC)
    await world.feed(
        ReceiptAvailable(receipt_id="r-1", batch_id="b-1", school_id="sch-A", student_user_ids=["s-1", "s-2"])
    )
    await world.feed(
        ConfirmationWindowOpened(school_id="sch-A", receipt_id="r-1", opens_at=opens, closes_at=opens + timedelta(3))
    )
    channels = {
        (str(r["recipient_user_id"]), str(r["channel"])) for r in await rows(world, trigger="receipt_window_opened")
    }
    assert ("s-2", "postal") in channels and ("s-2", "email") not in channels
    assert ("s-1", "email") in channels and ("s-1", "postal") not in channels


async def test_a_sealed_graduate_gets_no_reminders_and_deletion_removes_their_data_once(world: World) -> None:
    world.deps.clock = lambda: NOW
    for s in ("s-1", "s-2"):
        await world.contact(s, school_id="sch-A", display_name=s, kind="student", email=f"{s}@school.example")
    await world.feed(
        ContactAddressSet(
            student_id="stu-s-2", user_id="s-2", school_id="sch-A", recipient="s-2", postal_code="100", address=ADDRESS
        )
    )
    await world.feed(
        StudentSealed(
            student_id="stu-s-2",
            user_id="s-2",
            school_id="sch-A",
            completed_on=date(2020, 6, 30),
            deletable_from=date(2025, 6, 30),
        )
    )
    await world.feed(window("outcome_upload", NOW + timedelta(days=1)))
    reminded = {str(r["recipient_user_id"]) for r in await rows(world, trigger="upload_reminder")}
    assert reminded == {"s-1"}  # not the sealed graduate (R-RET-1)
    # Something to delete: a message to the graduate in the inbox.
    await world.feed(ReceiptAvailable(receipt_id="r-1", batch_id="b-1", school_id="sch-A", student_user_ids=["s-2"]))
    await world.feed(
        ConfirmationWindowOpened(school_id="sch-A", receipt_id="r-1", opens_at=NOW, closes_at=NOW + timedelta(days=3))
    )
    async with world.runtime.uow() as uow:
        ids = (
            (await uow.session.execute(sa.select(deliveries.c.id).where(deliveries.c.recipient_user_id == "s-2")))
            .scalars()
            .all()
        )
    assert ids

    request = DeletionRequested(
        request_id="req-1", school_id="sch-A", students=[StudentRef(student_id="stu-s-2", user_id="s-2")],
        requested_by="registrar", trigger="request",
    )  # fmt: skip
    envelope = world.envelope(request)
    await world.feed(envelope)
    await world.feed(envelope)  # redelivered: the inbox drops it
    async with world.runtime.uow() as uow:
        left = (await uow.session.execute(sa.select(sa.func.count()).where(contacts.c.user_id == "s-2"))).scalar_one()
        messages = (
            await uow.session.execute(sa.select(sa.func.count()).where(deliveries.c.recipient_user_id == "s-2"))
        ).scalar_one()
        outbox = (
            (
                await uow.session.execute(
                    sa.text(
                        "SELECT body FROM outbox WHERE routing_key = 'notification.retention.deletion_confirmed.v1'"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert (left, messages) == (0, 0)
    [confirmation] = [json.loads(b)["payload"] for b in outbox]
    assert confirmation["request_id"] == "req-1" and confirmation["service"] == "notification"
    assert confirmation["counts"] == {"artifact_copies": 0, "contacts": 1, "messages": len(ids)}
    assert confirmation["digests"]["messages"] == digest(str(i) for i in ids)
    assert confirmation["digests"]["contacts"] == digest(["s-2"])
    assert ADDRESS not in json.dumps(confirmation, ensure_ascii=False)
    # The other student is untouched; a late event about the deleted graduate keeps nothing.
    assert (await _contact(world, "s-1"))["email_enc"]
    await world.feed(UserContactChanged(user_id="s-2", email="again@school.example"))
    async with world.runtime.uow() as uow:
        assert (await uow.session.execute(sa.select(contacts).where(contacts.c.user_id == "s-2"))).first() is None
