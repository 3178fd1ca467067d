"""Windows and caps from records' events (read copies): R-SCHED-1, R-ART-1..4, R-PERF-1..2."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portfolio_artifacts.adapters.orm import rc_caps, rc_windows
from portfolio_artifacts.adapters.sql import Executor
from portfolio_artifacts.domain.policy import SchoolPolicy
from portfolio_shared.timefmt import format_school

from .errors import OutsideWindow

PHASE_NAMES = {
    "outcome_upload": "course learning outcome upload (課程學習成果上傳)",
    "outcome_certification": "outcome certification (任課教師認證)",
    "outcome_selection": "outcome selection (勾選課程學習成果)",
    "performance_upload": "multiple performance upload (多元表現上傳)",
    "performance_selection": "multiple performance selection (勾選多元表現)",
}


async def require_window(
    session: Executor,
    *,
    school_id: str,
    academic_year: int,
    semester: int | None,
    phase: str,
    now: datetime,
    rule: str,
) -> None:
    """Refuse with 409 unless ``now`` is inside the school's window for ``phase``.

    Semester phases (outcome upload and certification) use that semester's window; yearly phases
    (selections, performance upload: ``semester=None``) any window the school set in that year.
    The refusal states the window's dates, or that none is set.
    """
    query = select(rc_windows).where(
        rc_windows.c.school_id == school_id,
        rc_windows.c.academic_year == academic_year,
        rc_windows.c.phase == phase,
    )
    if semester is not None:
        query = query.where(rc_windows.c.semester == semester)
    rows = (await session.execute(query.order_by(rc_windows.c.semester))).all()
    if any(r.starts_at <= now < r.ends_at for r in rows):
        return
    name = PHASE_NAMES.get(phase, phase)
    term = f"{academic_year}" + (f"-{semester}" if semester is not None else "")
    # People in the school read these: its own offset, not UTC (portfolio_shared.timefmt).
    windows = [
        {"semester": r.semester, "starts_at": format_school(r.starts_at), "ends_at": format_school(r.ends_at)}
        for r in rows
    ]
    if not rows:
        detail = f"the school has set no {name} window for {term}; the action is not open"
    else:
        spans = "; ".join(f"{w['starts_at']} to {w['ends_at']}" for w in windows)
        detail = f"the {name} window for {term} is {spans}; now is {format_school(now)}"
    raise OutsideWindow(detail, field=phase, rule=rule, windows=windows)


async def school_policy(session: Executor, school_id: str, default: SchoolPolicy) -> SchoolPolicy:
    """The school's caps from ArtifactCapsSet, else the deployment default (R-ART-2, R-PERF-1)."""
    row = (await session.execute(select(rc_caps).where(rc_caps.c.school_id == school_id))).first()
    if row is None:
        return default
    return SchoolPolicy(
        outcomes_per_semester=row.outcomes_per_semester, performances_per_year=row.performances_per_year
    )
