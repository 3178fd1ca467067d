"""Must show: no national ID in any message, e-mail or log (R-DATA-1; ARCHITECTURE "no log line or event
contains an ID"); contact data (addresses) is encrypted at rest and never logged."""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from notification_world import World
from pypdf import PdfReader

from portfolio_notification.adapters.orm import contacts, deliveries, outbox
from portfolio_shared.events.artifacts import FileIntegrityFailed
from portfolio_shared.events.identity import DelegationOrderChanged
from portfolio_shared.events.records import EnrolmentChanged
from portfolio_shared.events.submission import (
    BatchFailed,
    ConfirmationWindowOpened,
    ObjectionRaised,
    ReceiptAvailable,
)
from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.fixtures import eventually

pytestmark = pytest.mark.integration

NATIONAL_ID = re.compile(r"[A-Z][12489][0-9]{8}")  # 身分證 and resident-certificate shapes
ADDRESS = "臺北市中正區重慶南路一段122號"
EMAILS = ["s1@school.example", "s2@school.example", "reg@school.example", "it@school.example"]


async def test_no_national_id_in_messages_emails_letters_or_logs(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    office = world.minter.headers("dir-1", schools={"sch-A": [P.SCHEDULE_WRITE, P.RECEIPT_COMPLETE]})
    # a school's wording that asks for a national ID gets none: the variable does not exist, the default is used
    r = await world.client.put(
        "/api/v1/schools/sch-A/templates/objection_raised/message",
        json={"subject": "疑義 {{ national_id }}", "body": "{{ name }} {{ national_id }}"},
        headers=office,
    )
    assert r.status_code == 200
    r = await world.client.put(
        "/api/v1/schools/sch-A/templates/objection_raised/message",
        json={"subject": "疑義 {% if %}", "body": "x"},
        headers=office,
    )
    assert r.status_code == 422 and r.json()["field"] == "subject" and r.json()["title_zh"]

    await world.contact("s-1", school_id="sch-A", display_name="陳同學", kind="student", email=EMAILS[0])
    await world.contact("s-2", school_id="sch-A", display_name="王小明", kind="student", email=EMAILS[1])
    await world.contact("s-2", postal_recipient="王小明", postal_code="100", postal_address=ADDRESS)
    await world.contact("reg-1", school_id="sch-A", display_name="註冊組長", kind="staff", email=EMAILS[2])
    await world.contact("it-1", school_id="sch-A", display_name="資訊組長", kind="staff", email=EMAILS[3])
    await world.feed(
        EnrolmentChanged(
            student_id="stu-2", user_id="s-2", school_id="sch-A", change="leaving",
            effective_on=date(2026, 2, 1), status="left", grade=3,
        )
    )  # fmt: skip
    for duty, person in (("grades", "reg-1"), ("accounts", "it-1")):
        await world.feed(
            DelegationOrderChanged(
                school_id="sch-A", duty_code=duty, responsible_user_ids=[person], delegate_user_ids=[]
            )
        )
    opens = datetime(2026, 3, 2, tzinfo=UTC)
    await world.feed(
        ReceiptAvailable(receipt_id="r-1", batch_id="b-1", school_id="sch-A", student_user_ids=["s-1", "s-2"])
    )
    await world.feed(
        ConfirmationWindowOpened(
            school_id="sch-A", receipt_id="r-1", opens_at=opens, closes_at=opens + timedelta(days=3)
        )
    )
    await world.feed(ObjectionRaised(objection_id="obj-1", school_id="sch-A", student_user_id="s-1", kind="grades"))
    await world.feed(
        BatchFailed(batch_id="b-2", school_id="sch-A", kind="grades", reason="central timeout", will_retry=True)
    )
    await world.feed(
        FileIntegrityFailed(
            file_id="f-1",
            owner_kind="outcome",
            owner_id="o-1",
            student_user_id="s-1",
            school_id="sch-A",
            problem="missing",
        )
    )
    await eventually(lambda: _received(world, 5), timeout=20)  # s-1 ×3, registry ×2 … counted below

    async with world.runtime.uow() as uow:
        rows = (await uow.session.execute(sa.select(deliveries))).mappings().all()
        stored = (await uow.session.execute(sa.select(contacts.c.email_enc, contacts.c.postal_enc))).all()
        events = (await uow.session.execute(sa.select(outbox.c.body))).scalars().all()
    assert {r["trigger"] for r in rows} >= {
        "receipt_window_opened",
        "objection_raised",
        "batch_failed",
        "file_integrity_failed",
    }
    objection = next(r for r in rows if r["trigger"] == "objection_raised" and r["channel"] == "inbox")
    assert objection["recipient_user_id"] == "reg-1" and objection["subject"].startswith("【學習歷程】")
    pdf = await world.client.get(
        "/api/v1/letters/batch.pdf", params={"school_id": "sch-A", "receipt_id": "r-1"}, headers=office
    )
    letter_text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert ADDRESS in letter_text  # the letter does carry the address: it is what the letter is for

    texts = [f"{r['subject']}\n{r['body']}" for r in rows]
    texts += [m.as_string() for _, m in world.smtp.accepted]
    texts += [letter_text, *events]
    # every log record of the process but the test's own SMTP server (aiosmtpd logs what it receives)
    service_records = [rec for rec in caplog.records if not rec.name.startswith("mail.log")]
    assert any(rec.name.startswith("portfolio_notification") for rec in service_records)
    logs = "\n".join(f"{rec.getMessage()} {rec.args}" for rec in service_records)
    for text in [*texts, logs]:
        assert not NATIONAL_ID.search(text), text[:200]
    # contact data: never in a log line, never in plain text at rest, never in an event
    for secret in [*EMAILS, ADDRESS]:
        assert secret not in logs
        assert all(secret not in str(value) for pair in stored for value in pair)
        assert all(secret not in body for body in events)


async def _received(world: World, at_least: int) -> bool:
    return len(world.smtp.accepted) >= at_least
