"""Windows are closed unless opened (R-REC-1, R-SCHED-1), and the school's own settings.

Staff enter a semester's basic data and course records only inside the data-entry window the
school set for that semester; a semester without one is closed, so data never arrives before the
school planned its schedule. The one exception a school may choose is a standing window for its
nightly SIS grade import (R-DUTY-3), which is not tied to a semester. Every time shown to people
(problems and the calendar API) is in the school's time zone, RFC 3339 with its offset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from portfolio_records.adapters import calendar as calendar_store
from portfolio_records.domain.calendar import DEFAULT_TIME_ZONE, Phase, Term, local_time, school_zone
from portfolio_records.domain.errors import InvalidSchoolSetting, WindowClosed
from portfolio_shared.db import UnitOfWork

from .audit import audit, now


def aware(value: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were stored in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SchoolSettings:
    time_zone: str = DEFAULT_TIME_ZONE
    sis_import_starts_at: datetime | None = None
    sis_import_ends_at: datetime | None = None

    @property
    def zone(self) -> tzinfo:
        return school_zone(self.time_zone)

    def sis_import_open(self, at: datetime) -> bool:
        """Whether the standing window of the nightly SIS import is open at ``at`` (R-DUTY-3)."""
        if self.sis_import_starts_at is None:
            return False
        return self.sis_import_starts_at <= at and (self.sis_import_ends_at is None or at < self.sis_import_ends_at)

    def as_public(self) -> dict[str, Any]:
        zone = self.zone
        return {
            "time_zone": self.time_zone,
            "sis_import_window": None
            if self.sis_import_starts_at is None
            else {
                "starts_at": local_time(self.sis_import_starts_at, zone),
                "ends_at": None if self.sis_import_ends_at is None else local_time(self.sis_import_ends_at, zone),
            },
        }


async def settings_of(uow: UnitOfWork, school_id: str) -> SchoolSettings:
    row = await calendar_store.school_settings_row(uow.session, school_id)
    if row is None:
        return SchoolSettings()
    return SchoolSettings(
        row.time_zone,
        None if row.sis_import_starts_at is None else aware(row.sis_import_starts_at),
        None if row.sis_import_ends_at is None else aware(row.sis_import_ends_at),
    )


async def set_settings(
    uow: UnitOfWork,
    school_id: str,
    actor: str,
    *,
    time_zone: str,
    sis_import_starts_at: datetime | None,
    sis_import_ends_at: datetime | None,
) -> SchoolSettings:
    """Set the school's time zone and its standing SIS import window (R-SCHED-1, R-DUTY-3)."""
    school_zone(time_zone)  # 422 for an unknown zone
    if sis_import_starts_at is None and sis_import_ends_at is not None:
        raise InvalidSchoolSetting(
            "A standing SIS import window needs a start",
            "常設校務系統匯入期間須有開始時間",
            field="sis_import_window.starts_at",
            rule="R-DUTY-3",
        )
    if (
        sis_import_starts_at is not None
        and sis_import_ends_at is not None
        and sis_import_ends_at <= sis_import_starts_at
    ):
        raise InvalidSchoolSetting(
            "The standing SIS import window must start before it ends",
            "常設校務系統匯入期間的開始時間須早於結束時間",
            field="sis_import_window.ends_at",
            rule="R-DUTY-3",
        )
    values = {
        "time_zone": time_zone,
        "sis_import_starts_at": sis_import_starts_at,
        "sis_import_ends_at": sis_import_ends_at,
    }
    await calendar_store.replace_school_settings(
        uow.session, school_id, {"updated_by": actor, "updated_at": now(), **values}
    )
    await audit(
        uow.session, school_id=school_id, actor=actor, action="school.settings_set", entity="school",
        entity_id=school_id, details={k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()},
    )  # fmt: skip
    return SchoolSettings(time_zone, sis_import_starts_at, sis_import_ends_at)


@dataclass(frozen=True, slots=True)
class WindowState:
    """One semester's window of a phase as it stands at a moment: set or not, open or not."""

    term: Term
    phase: Phase
    starts_at: datetime | None
    ends_at: datetime | None
    open: bool

    def describe(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "academic_year": self.term.academic_year,
            "semester": self.term.semester,
            "phase": self.phase.value,
            "starts_at": None if self.starts_at is None else local_time(self.starts_at, zone).isoformat(),
            "ends_at": None if self.ends_at is None else local_time(self.ends_at, zone).isoformat(),
        }


async def window_states(
    uow: UnitOfWork, school_id: str, terms: Iterable[Term], phase: Phase, at: datetime
) -> dict[Term, WindowState]:
    wanted = sorted(set(terms), key=lambda t: (t.academic_year, t.semester))
    if not wanted:
        return {}
    rows = await calendar_store.window_spans(
        uow.session, school_id, phase.value, [(t.academic_year, t.semester) for t in wanted]
    )
    found = {Term(r.academic_year, r.semester): (aware(r.starts_at), aware(r.ends_at)) for r in rows}
    states: dict[Term, WindowState] = {}
    for term in wanted:
        span = found.get(term)
        if span is None:
            states[term] = WindowState(term, phase, None, None, False)
        else:
            states[term] = WindowState(term, phase, span[0], span[1], span[0] <= at < span[1])
    return states


def closed_error(states: list[WindowState], zone: tzinfo, at: datetime) -> WindowClosed:
    """The 409 that names, per semester concerned, the window's dates or that none was set (R-REC-1)."""
    described = [s.describe(zone) for s in states]
    parts_en: list[str] = []
    parts_zh: list[str] = []
    for s, d in zip(states, described, strict=True):
        if s.starts_at is None:
            parts_en.append(f"no {s.phase.value} window is set for {s.term}")
            parts_zh.append(f"{s.term.academic_year} 學年度第 {s.term.semester} 學期尚未設定「{s.phase.value}」期間")
        else:
            parts_en.append(f"the {s.phase.value} window of {s.term} runs from {d['starts_at']} to {d['ends_at']}")
            parts_zh.append(
                f"{s.term.academic_year} 學年度第 {s.term.semester} 學期的「{s.phase.value}」期間為 "
                f"{d['starts_at']} 至 {d['ends_at']}"
            )
    first = states[0]
    extra: dict[str, Any] = {
        "phase": first.phase.value,
        "reason": "no_window" if all(s.starts_at is None for s in states) else "outside_window",
        "now": local_time(at, zone).isoformat(),
        "windows": described,
    }
    if len(states) == 1:  # the single window's dates as top-level members, as before
        extra.update(starts_at=described[0]["starts_at"], ends_at=described[0]["ends_at"])
    return WindowClosed(
        "Data entry is closed: " + "; ".join(parts_en) + " (windows are closed unless the school opens them)",
        "不在資料登錄期間：" + "；".join(parts_zh) + "（學校未開放的期間一律關閉）",
        field="academic_year",
        extra=extra,
    )


async def require_open(
    uow: UnitOfWork, school_id: str, academic_year: int, semester: int, phase: Phase, at: datetime
) -> None:
    """Refuse an entry unless the school's window of that semester's phase is open (R-REC-1).

    Closed by default: a semester with no window for the phase refuses too (R-SCHED-1).
    """
    term = Term(academic_year, semester)
    state = (await window_states(uow, school_id, [term], phase, at))[term]
    if not state.open:
        settings = await settings_of(uow, school_id)
        raise closed_error([state], settings.zone, at)


async def require_data_entry(uow: UnitOfWork, school_id: str, term: Term) -> None:
    """Staff data entry for ``term`` (enrolment, course plan, basic data), R-REC-1."""
    await require_open(uow, school_id, term.academic_year, term.semester, Phase.DATA_ENTRY, now())
