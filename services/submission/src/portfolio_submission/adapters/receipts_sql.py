"""Named queries of receipts, students' answers and objections (the SQL of R-SUB-5..9).

The receipt row is the lock of its confirmation window: closing takes it with a conditional
UPDATE (one closer wins, on PostgreSQL and SQLite alike) and every answer reads it ``FOR SHARE``
first, so a confirmation racing the close is either in before the close (and counted) or refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared.clock import as_utc, utcnow

from .central_tables import batch_sendings
from .receipts_orm import correction_scopes, objections, receipt_items, receipt_students, receipts
from .repositories import write_audit

_TIMES = ("imported_at", "opens_at", "closes_at", "announced_at", "closed_at", "completed_at")


def _receipt(row: Mapping[Any, Any]) -> dict[str, Any]:
    out = dict(row)
    for k in _TIMES:
        out[k] = as_utc(out[k])
    return out


async def add_receipt(
    session: AsyncSession,
    receipt: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    students: Iterable[str],
) -> None:
    await session.execute(insert(receipts).values(**receipt))
    if items:
        await session.execute(insert(receipt_items), [dict(i) for i in items])
    rows = [
        {"receipt_id": receipt["id"], "student_user_id": s, "left_school": False, "answer": "pending"} for s in students
    ]
    if rows:
        await session.execute(insert(receipt_students), rows)


async def receipt_for_batch(session: AsyncSession, batch_id: str) -> dict[str, Any] | None:
    row = (await session.execute(select(receipts).where(receipts.c.batch_id == batch_id))).mappings().first()
    return _receipt(row) if row else None


async def get_receipt(session: AsyncSession, receipt_id: str, *, lock: str | None = None) -> dict[str, Any] | None:
    """``lock``: None, "share" (an answer) or "update" (announcing, completing)."""
    stmt = select(receipts).where(receipts.c.id == receipt_id)
    if lock == "share":
        stmt = stmt.with_for_update(read=True)
    elif lock == "update":
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).mappings().first()
    return _receipt(row) if row else None


async def list_receipts(session: AsyncSession, school_ids: Sequence[str]) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(receipts).where(receipts.c.school_id.in_(school_ids)).order_by(receipts.c.imported_at.desc())
    )
    return [_receipt(r) for r in rows.mappings()]


async def update_receipt(session: AsyncSession, receipt_id: str, **values: Any) -> None:
    await session.execute(update(receipts).where(receipts.c.id == receipt_id).values(**values))


async def items(session: AsyncSession, receipt_id: str, student_user_id: str | None = None) -> list[dict[str, Any]]:
    stmt = select(receipt_items).where(receipt_items.c.receipt_id == receipt_id)
    if student_user_id is not None:
        stmt = stmt.where(receipt_items.c.student_user_id == student_user_id)
    rows = await session.execute(stmt.order_by(receipt_items.c.sheet, receipt_items.c.row, receipt_items.c.id))
    return [dict(r) for r in rows.mappings()]


async def student(session: AsyncSession, receipt_id: str, user_id: str) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(receipt_students).where(
                    receipt_students.c.receipt_id == receipt_id, receipt_students.c.student_user_id == user_id
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    out = dict(row)
    out["answered_at"] = as_utc(out["answered_at"])
    out["letter_requested_at"] = as_utc(out["letter_requested_at"])
    return out


async def students(session: AsyncSession, receipt_id: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(receipt_students)
        .where(receipt_students.c.receipt_id == receipt_id)
        .order_by(receipt_students.c.student_user_id)
    )
    return [dict(r) for r in rows.mappings()]


async def receipts_of_student(session: AsyncSession, user_id: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(receipts, receipt_students.c.answer, receipt_students.c.left_school)
        .join(receipt_students, receipt_students.c.receipt_id == receipts.c.id)
        .where(receipt_students.c.student_user_id == user_id)
        .order_by(receipts.c.imported_at.desc())
    )
    return [_receipt(r) for r in rows.mappings()]


async def mark_left(session: AsyncSession, receipt_id: str, user_ids: Iterable[str], at: datetime) -> None:
    ids = list(user_ids)
    if ids:
        await session.execute(
            update(receipt_students)
            .where(receipt_students.c.receipt_id == receipt_id, receipt_students.c.student_user_id.in_(ids))
            .values(left_school=True, letter_requested_at=at)
        )


async def set_answer(
    session: AsyncSession,
    receipt_id: str,
    user_id: str,
    *,
    answer: str,
    channel: str,
    at: datetime,
    recorded_by: str,
    letter_dated: Any = None,
) -> bool:
    """Only a pending student's answer changes (the row lock orders two writers): False if not pending."""
    result = await session.execute(
        update(receipt_students)
        .where(
            receipt_students.c.receipt_id == receipt_id,
            receipt_students.c.student_user_id == user_id,
            receipt_students.c.answer == "pending",
        )
        .values(answer=answer, channel=channel, answered_at=at, recorded_by=recorded_by, letter_dated=letter_dated)
    )
    return getattr(result, "rowcount", 0) == 1


async def claim_close(session: AsyncSession, receipt_id: str, now: datetime) -> bool:
    """The one closer: open → closed only while open and due (atomic; a second closer gets False)."""
    result = await session.execute(
        update(receipts)
        .where(receipts.c.id == receipt_id, receipts.c.status == "window_open", receipts.c.closes_at <= now)
        .values(status="closed", closed_at=now)
    )
    return getattr(result, "rowcount", 0) == 1


async def deem_pending(session: AsyncSession, receipt_id: str, now: datetime) -> int:
    result = await session.execute(
        update(receipt_students)
        .where(receipt_students.c.receipt_id == receipt_id, receipt_students.c.answer == "pending")
        .values(answer="deemed", channel="deemed", answered_at=now, recorded_by=None)
    )
    return int(getattr(result, "rowcount", 0))


async def due_windows(session: AsyncSession, now: datetime, limit: int = 100) -> list[str]:
    rows = await session.execute(
        select(receipts.c.id)
        .where(receipts.c.status == "window_open", receipts.c.closes_at <= now)
        .order_by(receipts.c.closes_at)
        .limit(limit)
    )
    return [r for (r,) in rows]


async def answer_counts(session: AsyncSession, receipt_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    rows = await session.execute(
        select(receipt_students.c.receipt_id, receipt_students.c.answer, func.count())
        .where(receipt_students.c.receipt_id.in_(receipt_ids))
        .group_by(receipt_students.c.receipt_id, receipt_students.c.answer)
    )
    out: dict[str, dict[str, int]] = {}
    for rid, answer, n in rows:
        out.setdefault(rid, {})[answer] = int(n)
    return out


async def objection_counts(session: AsyncSession, receipt_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    rows = await session.execute(
        select(objections.c.receipt_id, objections.c.status, func.count())
        .where(objections.c.receipt_id.in_(receipt_ids))
        .group_by(objections.c.receipt_id, objections.c.status)
    )
    out: dict[str, dict[str, int]] = {}
    for rid, status, n in rows:
        out.setdefault(rid, {})[status] = int(n)
    return out


# -- objections -------------------------------------------------------------------------------------


def _objection(row: Mapping[Any, Any]) -> dict[str, Any]:
    out = dict(row)
    out["raised_at"] = as_utc(out["raised_at"])
    out["resolved_at"] = as_utc(out["resolved_at"])
    return out


async def add_objection(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(objections).values(**values))


async def get_objection(session: AsyncSession, objection_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    stmt = select(objections).where(objections.c.id == objection_id)
    if lock:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).mappings().first()
    return _objection(row) if row else None


async def list_objections(
    session: AsyncSession,
    school_ids: Sequence[str],
    *,
    status: str | None = None,
    receipt_id: str | None = None,
    student_user_id: str | None = None,
) -> list[dict[str, Any]]:
    stmt = select(objections).where(objections.c.school_id.in_(school_ids))
    if status is not None:
        stmt = stmt.where(objections.c.status == status)
    if receipt_id is not None:
        stmt = stmt.where(objections.c.receipt_id == receipt_id)
    if student_user_id is not None:
        stmt = stmt.where(objections.c.student_user_id == student_user_id)
    rows = await session.execute(stmt.order_by(objections.c.raised_at, objections.c.id))
    return [_objection(r) for r in rows.mappings()]


async def objection_statuses(session: AsyncSession, receipt_id: str) -> list[str]:
    rows = await session.execute(select(objections.c.status).where(objections.c.receipt_id == receipt_id))
    return [s for (s,) in rows]


async def settle_objection(session: AsyncSession, objection_id: str, **values: Any) -> bool:
    result = await session.execute(
        update(objections).where(objections.c.id == objection_id, objections.c.status == "open").values(**values)
    )
    return getattr(result, "rowcount", 0) == 1


# -- correction batches (R-SUB-8) -----------------------------------------------------------------


async def add_correction_scope(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(correction_scopes).values(**values))


async def correction_scope(session: AsyncSession, batch_id: str) -> dict[str, Any] | None:
    row = (
        (await session.execute(select(correction_scopes).where(correction_scopes.c.batch_id == batch_id)))
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def central_submission_id(session: AsyncSession, batch_id: str) -> str | None:
    """The central database's id of an accepted batch's submission (the sending's record), if any."""
    row = await session.execute(
        select(batch_sendings.c.central_submission_id).where(
            batch_sendings.c.batch_id == batch_id, batch_sendings.c.state == "accepted"
        )
    )
    return row.scalar_one_or_none()


async def audit(
    session: AsyncSession, *, school_id: str, actor: str, action: str, entity: str, entity_id: str, **details: Any
) -> None:
    """Who did what to a receipt or an objection, when (R-RET-3), in the change's own transaction."""
    await write_audit(
        session,
        entry_id=str(uuid.uuid4()),
        school_id=school_id,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        at=utcnow(),
        details=details,
    )
