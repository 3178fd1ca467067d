"""Submission's postal letter (R-SUB-9) on the real PostgreSQL and RabbitMQ: ``ReceiptLetterRequested``
published on the broker → notification's consumer → a postal letter whose PDF text holds the
student's name, the address records sent (``ContactAddressSet``), the received items and how to answer,
in Chinese, and never a national ID. The school's batch PDF of the receipt has one page per student
(the detailed letter in place of the window notice); a student with no address is a failed letter the
office sees; the event delivered twice makes one letter."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from notification_world import World
from pypdf import PdfReader

from portfolio_notification.adapters.orm import deliveries
from portfolio_shared.events.base import envelope_for
from portfolio_shared.events.identity import UserCreated
from portfolio_shared.events.records import ContactAddressSet, EnrolmentChanged
from portfolio_shared.events.submission import (
    ConfirmationWindowOpened,
    LetterItem,
    ReceiptAvailable,
    ReceiptLetterRequested,
)
from portfolio_shared.messaging import OutgoingMessage
from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.fixtures import eventually

pytestmark = pytest.mark.integration

OPENS = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
ADDRESS = "臺北市中正區重慶南路一段122號"
NATIONAL_ID = re.compile(r"[A-Z][12]\d{8}")


def _request(user_id: str) -> ReceiptLetterRequested:
    return ReceiptLetterRequested(
        receipt_id="rcpt-1",
        school_id="sch-A",
        student_user_id=user_id,
        kind="course_outcomes",
        academic_year=114,
        semester=1,
        items=[
            LetterItem(
                sheet="課程學習成果",
                summary="國語文 閱讀心得報告",
                status="received_identical",
                file_names=["報告.pdf"],
            ),
            LetterItem(sheet="課程學習成果", summary="數學 專題", status="missing"),
        ],
        opens_at=OPENS,
        closes_at=OPENS + timedelta(days=3),
        first_day=date(2026, 3, 2),
        last_day=date(2026, 3, 4),
        time_zone="Asia/Taipei",
        how_to_answer_zh="請填寫回條寄回本校輔導室資料組，或來電告知。",
        how_to_answer_en="Return the reply slip to the guidance office, or call it.",
    )


async def _publish(world: World, payload: ReceiptLetterRequested) -> None:
    env = envelope_for(payload, school_id="sch-A", actor="submission")
    message = OutgoingMessage(env.routing_key, env.to_bytes(), str(env.event_id))
    await world.runtime.bus.publish(message)
    await world.runtime.bus.publish(message)  # delivered twice: the inbox drops the second


async def _letters(world: World) -> list[dict[str, object]]:
    async with world.runtime.uow() as uow:
        rows = await uow.session.execute(sa.select(deliveries).where(deliveries.c.trigger == "receipt_letter"))
        return [dict(r) for r in rows.mappings()]


async def test_the_letter_request_over_rabbitmq_becomes_a_printable_letter(world: World) -> None:
    for subs in world.runtime.subscriptions:  # the queues exist before anything is published
        await world.runtime.bus.declare(subs.consumer, subs.routing_keys)  # type: ignore[attr-defined]
    for user, name in (("s-left", "王小明"), ("s-nowhere", "李小華")):
        await world.feed(
            UserCreated(user_id=user, login_name=user, display_name=name, kind="student", status="active",
                        school_ids=["sch-A"])
        )  # fmt: skip
        await world.feed(
            EnrolmentChanged(student_id=f"stu-{user}", user_id=user, school_id="sch-A", change="graduation",
                             effective_on=date(2026, 1, 31), status="graduated", grade=3)
        )  # fmt: skip
    await world.feed(
        ContactAddressSet(
            student_id="stu-s-left", user_id="s-left", school_id="sch-A", recipient="王小明 同學",
            postal_code="100", address=ADDRESS,
        )
    )  # fmt: skip
    # The window notice too: the batch PDF shows the student once, with the detailed letter.
    await world.feed(
        ReceiptAvailable(receipt_id="rcpt-1", batch_id="b-1", school_id="sch-A", student_user_ids=["s-left"])
    )
    await world.feed(
        ConfirmationWindowOpened(
            school_id="sch-A", receipt_id="rcpt-1", opens_at=OPENS, closes_at=OPENS + timedelta(days=3)
        )
    )

    await _publish(world, _request("s-left"))
    await _publish(world, _request("s-nowhere"))

    async def both() -> bool:
        return len(await _letters(world)) == 2

    await eventually(both, timeout=30)
    letters = {str(r["recipient_user_id"]): r for r in await _letters(world)}
    assert (letters["s-left"]["channel"], letters["s-left"]["status"]) == ("postal", "ready")
    # No address on record: not lost, a failed letter the guidance section sees (R-SUB-9).
    assert (letters["s-nowhere"]["status"], letters["s-nowhere"]["last_error"]) == (
        "failed",
        "no postal address on record",
    )

    guidance = world.minter.headers("g-1", schools={"sch-A": [P.RECEIPT_COMPLETE]})
    r = await world.client.get(
        "/api/v1/letters/batch.pdf", params={"school_id": "sch-A", "receipt_id": "rcpt-1"}, headers=guidance
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) == 1  # one student, one page: the letter with the items
    page = reader.pages[0].extract_text()
    expected_texts = (
        *("王小明", ADDRESS, "100", "國語文 閱讀心得報告", "已收到，與提交內容相符", "未收到", "課程學習成果"),
        *("請填寫回條寄回本校輔導室資料組", "2026-03-02", "2026-03-04", "視為確認"),
    )
    for expected in expected_texts:
        assert expected in page, expected
    assert not NATIONAL_ID.search(page)

    r = await world.client.get(
        f"/api/v1/letters/{letters['s-left']['id']}.pdf", params={"school_id": "sch-A"}, headers=guidance
    )
    assert r.status_code == 200
    one = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    assert "王小明" in one and "報告.pdf" in one and not NATIONAL_ID.search(one)
