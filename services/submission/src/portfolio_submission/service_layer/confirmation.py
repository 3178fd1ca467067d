"""The receipt confirmation window and students' answers (R-SUB-6, R-SUB-7, R-SUB-9).

- ``announce_window``: the guidance data section announces the window (≥ 3 calendar days in the
  school's zone); students whose enrolment ended are asked by post (``ReceiptLetterRequested``).
- ``confirm`` / an objection (``objections.raise_objection``): a student's answer inside the window.
- ``record_mailed_answer``: staff record the answer that came back by post (who, when, letter date).
- ``close_window``: the one closing of a window — every student still pending is deemed to have
  confirmed. Guarded by a conditional UPDATE of the receipt row, so it runs once however many
  replicas or retries try; an answer holds the receipt row ``FOR SHARE`` while it is written, so a
  confirmation racing the close is either counted before it or refused after it.
- ``complete``: the guidance data section completes the confirmation once every objection is settled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from portfolio_shared.clock import utcnow
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import not_found
from portfolio_shared.events.submission import (
    ConfirmationWindowClosed,
    ConfirmationWindowOpened,
    LetterItem,
    ReceiptConfirmationCompleted,
    ReceiptLetterRequested,
)

from ..adapters import receipts_sql as sql
from ..domain.confirmation import Answer, Channel, Window, answer, local_today, plan_window
from ..domain.objections import ObjectionStatus, check_all_settled
from ..domain.receipts_errors import (
    AlreadyCompleted,
    NotInReceipt,
    WindowAlreadyAnnounced,
    WindowInvalid,
    WindowNotOpen,
    WindowStillOpen,
)
from .receipts import receipt_in
from .receipts_facts import ReceiptFacts
from .retention import ensure_student_not_sealed

HOW_TO_ANSWER_ZH = (
    "請核對下列中央資料庫收訖之項目。如內容無誤，請於確認期間內簽名寄回回條；如有疑義，請於回條上勾選有誤之項目並說明理由。"
    "確認期間結束前未回覆者，視為確認無誤。"
)
HOW_TO_ANSWER_EN = (
    "Please check the items the central database received, listed below. If they are right, sign and "
    "return the reply slip within the confirmation window; if not, mark the wrong items on the slip and "
    "give your reason. A student who does not answer by the end of the window is deemed to have confirmed."
)


def window_of(receipt: dict[str, Any]) -> Window:
    if receipt["opens_at"] is None:
        raise WindowNotOpen("no confirmation window was announced for this receipt", "此收訖明細尚未公告確認期間")
    return Window(
        receipt["first_day"], receipt["last_day"], receipt["time_zone"], receipt["opens_at"], receipt["closes_at"]
    )


async def announce_window(
    uow: UnitOfWork,
    facts: ReceiptFacts,
    *,
    receipt_id: str,
    first_day: date,
    last_day: date,
    actor: str,
    school_ids: Sequence[str],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Announce the receipt's window (R-SUB-6) and ask students who left by post (R-SUB-9)."""
    await receipt_in(uow, receipt_id, school_ids)
    receipt = await sql.get_receipt(uow.session, receipt_id, lock="update")
    assert receipt is not None
    if receipt["status"] != "imported":
        raise WindowAlreadyAnnounced(f"the window was already announced (status {receipt['status']})", "確認期間已公告")
    at = now or utcnow()
    zone = await facts.school_time_zone(uow, receipt["school_id"])
    window = plan_window(first_day, last_day, zone, today=local_today(at, zone))
    await sql.update_receipt(
        uow.session,
        receipt_id,
        status="window_open",
        first_day=first_day,
        last_day=last_day,
        time_zone=zone,
        opens_at=window.opens_at,
        closes_at=window.closes_at,
        announced_by=actor,
        announced_at=at,
    )
    await sql.audit(
        uow.session,
        school_id=receipt["school_id"],
        actor=actor,
        action="receipt.window_announced",
        entity="receipt",
        entity_id=receipt_id,
        first_day=first_day.isoformat(),
        last_day=last_day.isoformat(),
        time_zone=zone,
    )
    students = [s["student_user_id"] for s in await sql.students(uow.session, receipt_id)]
    left = await facts.students_who_left(uow, receipt["school_id"], students)
    await sql.mark_left(uow.session, receipt_id, left, at)
    uow.publish(
        ConfirmationWindowOpened(
            school_id=receipt["school_id"],
            receipt_id=receipt_id,
            opens_at=window.opens_at,
            closes_at=window.closes_at,
            first_day=first_day,
            last_day=last_day,
            time_zone=zone,
        ),
        school_id=receipt["school_id"],
        actor=actor,
    )
    for user_id in sorted(left):
        items = await sql.items(uow.session, receipt_id, user_id)
        uow.publish(
            ReceiptLetterRequested(
                receipt_id=receipt_id,
                school_id=receipt["school_id"],
                student_user_id=user_id,
                kind=receipt["kind"],
                academic_year=receipt["academic_year"],
                semester=receipt["semester"],
                items=[
                    LetterItem(
                        sheet=i["sheet"],
                        summary=i["summary"],
                        status=i["status"],
                        file_names=[f["name"] for f in i["files"]],
                    )
                    for i in items
                ],
                opens_at=window.opens_at,
                closes_at=window.closes_at,
                first_day=first_day,
                last_day=last_day,
                time_zone=zone,
                how_to_answer_zh=HOW_TO_ANSWER_ZH,
                how_to_answer_en=HOW_TO_ANSWER_EN,
            ),
            school_id=receipt["school_id"],
            actor=actor,
        )
    updated = await sql.get_receipt(uow.session, receipt_id)
    assert updated is not None
    return updated


async def _answer(
    uow: UnitOfWork,
    facts: ReceiptFacts,
    *,
    receipt_id: str,
    student_user_id: str,
    target: Answer,
    recorded_by: str,
    by_post: bool,
    letter_dated: date | None,
    now: datetime | None,
) -> dict[str, Any]:
    # The receipt row FOR SHARE first: the closer's UPDATE of it waits for this answer, or this
    # answer waits for the close and then sees the window closed (one outcome).
    receipt = await sql.get_receipt(uow.session, receipt_id, lock="share")
    me = await sql.student(uow.session, receipt_id, student_user_id) if receipt else None
    if receipt is None or me is None:
        raise NotInReceipt("this student is not in the receipt")
    await ensure_student_not_sealed(uow, student_user_id, action="answer the receipt")  # R-RET-1
    at = now or utcnow()
    if receipt["status"] != "window_open":
        raise WindowNotOpen(f"the confirmation window is {receipt['status']}", "目前不在收訖確認期間內")
    window = window_of(receipt)
    left = me["left_school"] or bool(await facts.students_who_left(uow, receipt["school_id"], [student_user_id]))
    if by_post and not left:
        raise WindowInvalid(
            "a mailed answer is recorded only for a student who left and was written to (R-SUB-9)",
            "僅已離校並經郵寄通知之學生可由人員登錄郵寄回覆",
            field="student_user_id",
            rule="R-SUB-9",
        )
    if letter_dated is not None and not (window.first_day <= letter_dated <= local_today(at, window.zone)):
        raise WindowInvalid(
            "the letter's date lies between the window's first day and today",
            "回條日期須介於確認期間開始日與今日之間",
            field="letter_dated",
            rule="R-SUB-9",
        )
    answer(Answer(me["answer"]), target, window=window, now=at, left=left, by_post=by_post)
    changed = await sql.set_answer(
        uow.session,
        receipt_id,
        student_user_id,
        answer=target.value,
        channel=(Channel.POST if by_post else Channel.PLATFORM).value,
        at=at,
        recorded_by=recorded_by,
        letter_dated=letter_dated,
    )
    if not changed:  # a concurrent answer (or the close) got there first
        answer(Answer.DEEMED, target, window=window, now=at, left=left, by_post=by_post)
    if by_post:  # staff answered on the student's behalf (R-SUB-9): who, when, the letter's date
        await sql.audit(
            uow.session,
            school_id=receipt["school_id"],
            actor=recorded_by,
            action="receipt.mailed_answer_recorded",
            entity="receipt",
            entity_id=receipt_id,
            student_user_id=student_user_id,
            answer=target.value,
            letter_dated=letter_dated.isoformat() if letter_dated else None,
        )
    got = await sql.student(uow.session, receipt_id, student_user_id)
    assert got is not None
    return got


async def confirm(
    uow: UnitOfWork, facts: ReceiptFacts, *, receipt_id: str, student_user_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """A student confirms the receipt matches what they uploaded (R-SUB-7)."""
    return await _answer(
        uow,
        facts,
        receipt_id=receipt_id,
        student_user_id=student_user_id,
        target=Answer.CONFIRMED,
        recorded_by=student_user_id,
        by_post=False,
        letter_dated=None,
        now=now,
    )


async def record_answer(
    uow: UnitOfWork,
    facts: ReceiptFacts,
    *,
    receipt_id: str,
    student_user_id: str,
    target: Answer,
    recorded_by: str,
    by_post: bool,
    letter_dated: date | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    return await _answer(
        uow,
        facts,
        receipt_id=receipt_id,
        student_user_id=student_user_id,
        target=target,
        recorded_by=recorded_by,
        by_post=by_post,
        letter_dated=letter_dated,
        now=now,
    )


async def close_window(uow: UnitOfWork, receipt_id: str, *, now: datetime | None = None) -> int | None:
    """Close one due window: every pending student deemed confirmed (R-SUB-7). None when another
    closer did (or the window is not due); the number deemed otherwise. Commits."""
    at = now or utcnow()
    if not await sql.claim_close(uow.session, receipt_id, at):
        await uow.rollback()
        return None
    deemed = await sql.deem_pending(uow.session, receipt_id, at)
    await sql.update_receipt(uow.session, receipt_id, deemed_count=deemed)
    receipt = await sql.get_receipt(uow.session, receipt_id)
    assert receipt is not None
    uow.publish(
        ConfirmationWindowClosed(school_id=receipt["school_id"], receipt_id=receipt_id, deemed_confirmed_count=deemed),
        school_id=receipt["school_id"],
        actor=None,
    )
    await uow.commit()
    return deemed


async def complete(
    uow: UnitOfWork, *, receipt_id: str, actor: str, school_ids: Sequence[str], now: datetime | None = None
) -> dict[str, Any]:
    """The guidance data section completes the receipt confirmation (R-SUB-8): only after the
    window closed and once every objection is settled."""
    await receipt_in(uow, receipt_id, school_ids)
    receipt = await sql.get_receipt(uow.session, receipt_id, lock="update")
    assert receipt is not None
    if receipt["status"] == "completed":
        raise AlreadyCompleted("the receipt confirmation is already completed", "收訖確認已完成")
    if receipt["status"] != "closed":
        raise WindowStillOpen(
            f"the confirmation window has not closed (status {receipt['status']})", "收訖確認期間尚未結束"
        )
    statuses = [ObjectionStatus(s) for s in await sql.objection_statuses(uow.session, receipt_id)]
    check_all_settled(statuses)
    at = now or utcnow()
    await sql.update_receipt(uow.session, receipt_id, status="completed", completed_by=actor, completed_at=at)
    await sql.audit(
        uow.session,
        school_id=receipt["school_id"],
        actor=actor,
        action="receipt.confirmation_completed",
        entity="receipt",
        entity_id=receipt_id,
    )
    answers = (await sql.answer_counts(uow.session, [receipt_id])).get(receipt_id, {})
    uow.publish(
        ReceiptConfirmationCompleted(
            receipt_id=receipt_id,
            school_id=receipt["school_id"],
            completed_by=actor,
            confirmed_count=answers.get("confirmed", 0),
            deemed_count=answers.get("deemed", 0),
            objected_count=answers.get("objected", 0),
            resolved_count=sum(1 for s in statuses if s is not ObjectionStatus.OPEN),
        ),
        school_id=receipt["school_id"],
        actor=actor,
    )
    updated = await sql.get_receipt(uow.session, receipt_id)
    if updated is None:
        raise not_found("receipt")
    return updated
