"""Must show: a receipt window of 50 students → exactly one e-mail per student at the real SMTP server;
a student who left gets no e-mail but is in the school's batch PDF, whose extracted text holds their
name and address in Chinese (R-SUB-5, R-SUB-6, R-SUB-7, R-SUB-9)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from notification_world import World
from pypdf import PdfReader

from portfolio_shared.events.records import EnrolmentChanged
from portfolio_shared.events.submission import ConfirmationWindowOpened, ReceiptAvailable
from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.fixtures import eventually

pytestmark = pytest.mark.integration

OPENS = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
STUDENTS = [f"s-{n:02d}" for n in range(50)]
LEFT = "s-07"  # left the school: reached by post only
LEFT_NO_ADDRESS = "s-08"  # left, and no address on record: a failed letter, listed for the office


async def test_receipt_window_of_fifty_students(world: World) -> None:
    for s in STUDENTS:
        await world.contact(s, school_id="sch-A", display_name=f"學生{s}", kind="student", email=f"{s}@school.example")
    await world.contact(
        LEFT,
        display_name="王小明",
        postal_recipient="王小明 同學",
        postal_code="100",
        postal_address="臺北市中正區重慶南路一段122號",
    )
    for s in (LEFT, LEFT_NO_ADDRESS):
        await world.feed(
            EnrolmentChanged(
                student_id=f"stu-{s}",
                user_id=s,
                school_id="sch-A",
                change="leaving",
                effective_on=date(2026, 2, 1),
                status="left",
                grade=3,
            )
        )
    # the window event first, the students second: either order works
    opened = ConfirmationWindowOpened(
        school_id="sch-A", receipt_id="rcpt-1", opens_at=OPENS, closes_at=OPENS + timedelta(days=3)
    )
    await world.feed(opened)
    await world.feed(
        ReceiptAvailable(receipt_id="rcpt-1", batch_id="b-1", school_id="sch-A", student_user_ids=STUDENTS)
    )
    await world.feed(opened)  # the same occurrence published again (a new event id): nothing is resent

    active = [s for s in STUDENTS if s not in (LEFT, LEFT_NO_ADDRESS)]
    await eventually(lambda: _all_received(world, active), timeout=30)
    await asyncio.sleep(0.5)  # time for any duplicate to arrive, were there one
    received = world.smtp.recipients()
    assert len(received) == 48
    assert all(received[f"{s}@school.example"] == 1 for s in active)
    assert received[f"{LEFT}@school.example"] == 0 and received[f"{LEFT_NO_ADDRESS}@school.example"] == 0
    one = next(m for rcpt, m in world.smtp.accepted if rcpt == ["s-00@school.example"])
    assert one["Message-ID"].endswith("@portfolio.invalid>")
    text = one.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert "收訖明細" in text and "deemed to have confirmed" in text and "學生s-00" in text

    guidance = world.minter.headers("g-1", schools={"sch-A": [P.RECEIPT_COMPLETE]})
    r = await world.client.get(
        "/api/v1/letters/batch.pdf", params={"school_id": "sch-A", "receipt_id": "rcpt-1"}, headers=guidance
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) == 1  # one letter: the student who left with an address
    page = reader.pages[0].extract_text()
    assert "王小明" in page and "臺北市中正區重慶南路一段122號" in page and "100" in page
    assert "收訖明細" in page
    assert reader.pages[0].mediabox.width == pytest.approx(595.27, abs=0.1)  # A4

    # the letter that could not be made is not lost: it is a failed delivery the office sees
    r = await world.client.get(
        "/api/v1/deliveries", params={"school_id": "sch-A", "status": "failed"}, headers=guidance
    )
    assert [(d["recipient_user_id"], d["channel"]) for d in r.json()["items"]] == [(LEFT_NO_ADDRESS, "postal")]

    # a student may not print the school's letters; another school's office sees none
    student = world.minter.headers("s-00", roles={"sch-A": ["student"]}, kind="student")
    r = await world.client.get(
        "/api/v1/letters/batch.pdf", params={"school_id": "sch-A", "receipt_id": "rcpt-1"}, headers=student
    )
    assert r.status_code == 403 and r.json()["title_zh"]
    other = world.minter.headers("g-2", schools={"sch-B": [P.RECEIPT_COMPLETE]})
    r = await world.client.get(
        "/api/v1/letters/batch.pdf", params={"school_id": "sch-B", "receipt_id": "rcpt-1"}, headers=other
    )
    assert r.status_code == 404


async def _all_received(world: World, students: list[str]) -> bool:
    received = world.smtp.recipients()
    return all(received[f"{s}@school.example"] >= 1 for s in students)
