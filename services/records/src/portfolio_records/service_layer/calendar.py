"""Academic calendar (行事曆) and the school's artifact caps: R-SCHED-1, R-ART-2, R-PERF-1.

Each window set is validated by the domain (start < end, self-check inside, receipt confirmation
at least 3 days, R-SUB-6), stored, audited and published as ``PhaseWindowSet``; the caps are
published as ``ArtifactCapsSet``. Artifacts and submission gate every phase on these events.
"""

from __future__ import annotations

from typing import Any

from portfolio_records.adapters import calendar as calendar_store
from portfolio_records.domain.calendar import Phase, PhaseWindow, SemesterSchedule, Term
from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.records import ArtifactCapsSet, PhaseWindowSet

from .audit import audit, now
from .commands import ArtifactCapsInput, PhaseWindowInput
from .windows import aware, settings_of

DEFAULT_CAPS = ArtifactCapsInput()  # the platform's one default (portfolio_shared.events.records)


async def set_windows(
    uow: UnitOfWork, school_id: str, academic_year: int, semester: int, actor: str, windows: list[PhaseWindowInput]
) -> None:
    """Set (or replace) the given phases' windows of one semester (R-SCHED-1)."""
    term = Term(academic_year, semester)
    schedule = SemesterSchedule.of(
        term, [PhaseWindow(Phase(w.phase), w.starts_at, w.ends_at, w.self_check_at) for w in windows]
    )
    # The order is checked against the whole semester: the windows set before and these (R-SCHED-1).
    stored = {
        Phase(r["phase"]): PhaseWindow(Phase(r["phase"]), r["starts_at"], r["ends_at"], r["self_check_at"])
        for r in await _stored_windows(uow, school_id, academic_year, semester)
    }
    SemesterSchedule(term, {**stored, **schedule.windows}).check_order()
    session = uow.session
    at = now()
    for window in schedule.windows.values():
        key = {
            "school_id": school_id,
            "academic_year": academic_year,
            "semester": semester,
            "phase": window.phase.value,
        }
        await calendar_store.replace_window(
            session,
            key,
            {
                "starts_at": window.starts_at,
                "ends_at": window.ends_at,
                "self_check_at": window.self_check_at,
                "updated_by": actor,
                "updated_at": at,
            },
        )
        await audit(
            session,
            school_id=school_id,
            actor=actor,
            action="schedule.window_set",
            entity="phase_window",
            entity_id=f"{term}:{window.phase.value}",
            details={
                "starts_at": window.starts_at.isoformat(),
                "ends_at": window.ends_at.isoformat(),
                "self_check_at": window.self_check_at.isoformat(),
            },
        )
        uow.publish(
            PhaseWindowSet(
                school_id=school_id,
                academic_year=academic_year,
                semester=semester,  # type: ignore[arg-type]
                phase=window.phase.value,
                starts_at=window.starts_at,
                ends_at=window.ends_at,
                self_check_at=window.self_check_at,
            ),
            school_id=school_id,
            actor=actor,
        )


async def _stored_windows(uow: UnitOfWork, school_id: str, academic_year: int, semester: int) -> list[dict[str, Any]]:
    rows = await calendar_store.semester_windows(uow.session, school_id, academic_year, semester)
    times = ("starts_at", "ends_at", "self_check_at", "updated_at")
    return [{**r, **{k: aware(r[k]) for k in times}} for r in rows]


async def windows_of(uow: UnitOfWork, school_id: str, academic_year: int, semester: int) -> list[dict[str, Any]]:
    """The semester's windows in phase order, times in the school's time zone (RFC 3339 with offset)."""
    order = {p.value: i for i, p in enumerate(Phase)}
    zone = (await settings_of(uow, school_id)).zone
    rows = await _stored_windows(uow, school_id, academic_year, semester)
    times = ("starts_at", "ends_at", "self_check_at", "updated_at")
    shown = [{**r, **{k: r[k].astimezone(zone) for k in times}} for r in rows]
    return sorted(shown, key=lambda r: order.get(r["phase"], 99))


async def caps_of(uow: UnitOfWork, school_id: str) -> ArtifactCapsInput:
    row = await calendar_store.caps_row(uow.session, school_id)
    if row is None:
        return DEFAULT_CAPS
    return ArtifactCapsInput(
        outcomes_per_semester=row.outcomes_per_semester, performances_per_year=row.performances_per_year
    )


async def set_caps(uow: UnitOfWork, school_id: str, actor: str, caps: ArtifactCapsInput) -> None:
    session = uow.session
    await calendar_store.replace_caps(
        session, school_id, {"updated_by": actor, "updated_at": now(), **caps.model_dump()}
    )
    await audit(
        session, school_id=school_id, actor=actor, action="policy.artifact_caps_set", entity="school",
        entity_id=school_id, details=caps.model_dump(),
    )  # fmt: skip
    uow.publish(ArtifactCapsSet(school_id=school_id, **caps.model_dump()), school_id=school_id, actor=actor)
