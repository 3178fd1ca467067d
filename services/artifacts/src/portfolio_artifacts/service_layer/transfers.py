"""Transfers inside the district (轉學, R-ENR-1): a student's certified outcomes and submitted
performances follow them to the school they are enrolled at.

Records publishes a transfer as ``EnrolmentChanged`` (``transferred_out`` at the old school) and an
arrival at the new school (``EnrolmentChanged`` ``transfer_in`` and ``StudentEnrolled``). Once the read
copy shows the student ``transferred_out`` at a school and ``enrolled`` at exactly one other, what the
old school holds that is final — certified outcomes, submitted performances — moves to the new one:
its staff see it, the student selects it there, and it is submitted by the school the student belongs
to (``school_id``); ``origin_school_id`` keeps where it was made. The old school can no longer change
it. An outcome still awaiting certification stays at the old school, whose teacher certifies it
(R-ART-5); it follows on certification. One deployment serves one district (shared/ARCHITECTURE.md),
so every school known here is of the district. A visiting student (借讀) keeps everything at home.

Order-insensitive and idempotent: it looks at the read copy as it is, whichever event came last.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, func, select, update

from portfolio_artifacts.adapters.orm import outcomes, performances, rc_enrolments
from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.artifacts import ArtifactsTransferred

from . import history

# What is final at the old school, per kind: it follows the student (R-ENR-1).
_FINAL: tuple[tuple[history.Kind, Table, str], ...] = (
    ("outcome", outcomes, "certified"),
    ("performance", performances, "submitted"),
)


async def follow_transfer(uow: UnitOfWork, user_id: str, *, actor: str, at: datetime) -> list[ArtifactsTransferred]:
    """Move the student's final items from the schools they transferred out of to the school they are
    enrolled at; record and publish each move. Returns the published events."""
    s = uow.session
    rows = (
        await s.execute(
            select(rc_enrolments.c.school_id, rc_enrolments.c.status).where(rc_enrolments.c.user_id == user_id)
        )
    ).all()
    enrolled_at = [r.school_id for r in rows if r.status == "enrolled"]
    if len(enrolled_at) != 1:  # not enrolled anywhere (yet), or records' events still in flight
        return []
    to_school = enrolled_at[0]
    published: list[ArtifactsTransferred] = []
    for from_school in sorted(r.school_id for r in rows if r.status == "transferred_out" and r.school_id != to_school):
        moved: dict[str, list[str]] = {}
        for kind, table, final in _FINAL:
            items = (
                await s.execute(
                    select(table)
                    .where(
                        table.c.student_user_id == user_id, table.c.school_id == from_school, table.c.status == final
                    )
                    .order_by(table.c.created_at, table.c.id)
                    .with_for_update()
                )
            ).all()
            for item in items:
                await history.record(
                    s,
                    kind=kind,
                    row=item,
                    action="transferred",
                    actor=actor,
                    at=at,
                    school_id=to_school,
                    detail={"from_school_id": from_school, "to_school_id": to_school},
                )
            ids = [item.id for item in items]
            if ids:
                await s.execute(
                    update(table)
                    .where(table.c.id.in_(ids))
                    .values(
                        school_id=to_school,
                        origin_school_id=func.coalesce(table.c.origin_school_id, from_school),
                        updated_at=at,
                    )
                )
            moved[kind] = [str(i) for i in ids]
        if moved.get("outcome") or moved.get("performance"):
            event = ArtifactsTransferred(
                student_user_id=user_id,
                from_school_id=from_school,
                to_school_id=to_school,
                outcome_ids=moved.get("outcome", []),
                performance_ids=moved.get("performance", []),
            )
            uow.publish(event, school_id=to_school, actor=actor)
            published.append(event)
    return published
