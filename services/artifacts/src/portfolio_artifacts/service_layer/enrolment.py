"""The student's enrolment at a school, from records' events (read copy ``rc_enrolments``), R-DATA-6."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from portfolio_artifacts.adapters.orm import rc_enrolments
from portfolio_artifacts.adapters.sql import Executor
from portfolio_artifacts.domain.enrolment import check_may_add_data

from .retention import refuse_if_sealed


async def require_enrolled(session: Executor, *, school_id: str, user_id: str, action: str) -> None:
    """Refuse with 409 (``not-enrolled``, R-DATA-6) when the student's newest enrolment status at the
    school is not active, and with 409 ``enrolment-not-known`` when the school has no enrolment of the
    student yet (see ``domain.enrolment.check_may_add_data``). A graduate's data is sealed: 409
    ``student-sealed`` (R-RET-1) first."""
    await refuse_if_sealed(session, user_id, action)
    row = (
        await session.execute(
            select(rc_enrolments.c.status, rc_enrolments.c.since).where(
                rc_enrolments.c.school_id == school_id, rc_enrolments.c.user_id == user_id
            )
        )
    ).first()
    check_may_add_data(
        None if row is None else row.status,
        None if row is None else row.since,
        school_id=school_id,
        action=action,
    )


async def enrolment_start(session: Executor, user_id: str) -> date | None:
    """The first day of the student's enrolment known here: the earliest admission or transfer in at
    any school of the district (R-DATA-6, R-ENR-1); None when no admission date was received."""
    value = await session.scalar(
        select(func.min(rc_enrolments.c.admitted_on)).where(rc_enrolments.c.user_id == user_id)
    )
    return value if isinstance(value, date) else None
