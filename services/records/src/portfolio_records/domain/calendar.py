"""Academic calendar: ROC academic years, semesters and the phase windows of a semester.

R-SCHED-1: each semester the guidance director plans the schedule (時程); every phase has a
start, an end and a self-check time (自我檢核時間), and the schedule is published.
R-SUB-6: the receipt confirmation window (收訖確認) lasts at least 3 days.

Academic year 114 (學年度) runs from 1 August 2025 to 31 July 2026; semester 1 is August to
January, semester 2 is February to July. Dates are taken in Taiwan time (UTC+8, no daylight
saving since 1979), so an aware datetime is converted before its date is read.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portfolio_records.domain.errors import InvalidPhaseWindow, InvalidSchoolSetting, PhasesOutOfOrder
from portfolio_shared import academic

TAIPEI = timezone(timedelta(hours=8), "Asia/Taipei")
DEFAULT_TIME_ZONE = "Asia/Taipei"
ROC_OFFSET = academic.ROC_OFFSET
MIN_RECEIPT_CONFIRMATION = timedelta(days=3)  # R-SUB-6


class Phase(enum.StrEnum):
    """The phases of a semester's schedule (R-SCHED-1)."""

    DATA_ENTRY = "data_entry"  # 基本資料、修課紀錄登錄 (R-REC-1)
    OUTCOME_UPLOAD = "outcome_upload"  # 課程學習成果上傳 (R-ART-1)
    OUTCOME_CERTIFICATION = "outcome_certification"  # 教師認證 (R-ART-3)
    OUTCOME_SELECTION = "outcome_selection"  # 學生勾選 (R-ART-4)
    PERFORMANCE_UPLOAD = "performance_upload"  # 多元表現上傳 (R-PERF-1)
    PERFORMANCE_SELECTION = "performance_selection"  # 多元表現勾選 (R-PERF-2)
    SUBMISSION = "submission"  # 提交中央資料庫 (R-SUB-1, R-SUB-2)
    RECEIPT_CONFIRMATION = "receipt_confirmation"  # 收訖確認 (R-SUB-6, R-SUB-7)


# R-SCHED-1: within one semester a later phase works on what the earlier one produced, so it may
# neither open before nor close before it: certification follows upload, selection follows
# certification (R-ART-1, R-ART-3, R-ART-4), performance selection follows performance upload
# (R-PERF-1, R-PERF-2), and receipt confirmation follows submission (R-SUB-5, R-SUB-7).
PHASE_ORDER: tuple[tuple[Phase, Phase], ...] = (
    (Phase.OUTCOME_UPLOAD, Phase.OUTCOME_CERTIFICATION),
    (Phase.OUTCOME_CERTIFICATION, Phase.OUTCOME_SELECTION),
    (Phase.OUTCOME_UPLOAD, Phase.OUTCOME_SELECTION),
    (Phase.PERFORMANCE_UPLOAD, Phase.PERFORMANCE_SELECTION),
    (Phase.SUBMISSION, Phase.RECEIPT_CONFIRMATION),
)


def school_zone(name: str) -> tzinfo:
    """The school's time zone (a school setting; Asia/Taipei by default).

    Taiwan has kept UTC+8 without daylight saving since 1979, so an image without the IANA
    database still shows Taipei times correctly.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == DEFAULT_TIME_ZONE:
            return TAIPEI
        raise InvalidSchoolSetting(
            f"{name!r} is not a known IANA time zone", f"{name!r} 不是有效的時區名稱", field="time_zone"
        ) from None


def local_time(value: datetime, zone: tzinfo) -> datetime:
    """``value`` shown in the school's zone: an RFC 3339 time with the school's offset."""
    _require_aware("value", value)
    return value.astimezone(zone)


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidPhaseWindow(
            f"{name} must carry a time zone",
            f"{name} 必須包含時區",
            field=name,
        )


@dataclass(frozen=True, slots=True)
class PhaseWindow:
    """When one phase is open: ``starts_at <= t < ends_at``; self-check reports at ``self_check_at``."""

    phase: Phase
    starts_at: datetime
    ends_at: datetime
    self_check_at: datetime

    def __post_init__(self) -> None:
        _require_aware("starts_at", self.starts_at)
        _require_aware("ends_at", self.ends_at)
        _require_aware("self_check_at", self.self_check_at)
        if self.starts_at >= self.ends_at:
            raise InvalidPhaseWindow(
                f"The {self.phase} window must start before it ends",
                f"「{self.phase}」時程的開始時間須早於結束時間",
                field="ends_at",
            )
        if not self.starts_at <= self.self_check_at <= self.ends_at:
            raise InvalidPhaseWindow(
                f"The self-check time of {self.phase} must lie within its window",
                f"「{self.phase}」的自我檢核時間須在開放期間內",
                field="self_check_at",
            )
        if self.phase is Phase.RECEIPT_CONFIRMATION and self.duration < MIN_RECEIPT_CONFIRMATION:
            raise InvalidPhaseWindow(
                "The receipt confirmation window must last at least 3 days",
                "收訖確認期間至少須 3 天",
                field="ends_at",
                rule="R-SUB-6",
            )

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    def is_open(self, at: datetime) -> bool:
        """Whether the phase accepts actions at ``at`` (start inclusive, end exclusive)."""
        _require_aware("at", at)
        return self.starts_at <= at < self.ends_at

    def has_ended(self, at: datetime) -> bool:
        _require_aware("at", at)
        return at >= self.ends_at


@dataclass(frozen=True, slots=True)
class Term:
    """A semester of an academic year, e.g. ``Term(114, 1)`` (114 學年度第 1 學期)."""

    academic_year: int
    semester: int

    def __post_init__(self) -> None:
        if self.semester not in (1, 2):
            raise ValueError(f"semester must be 1 or 2, not {self.semester}")
        if self.academic_year < 1:
            raise ValueError(f"academic year must be positive, not {self.academic_year}")

    def next(self) -> Term:
        """The following semester (R-SUB-1 submits in the NEXT semester's window)."""
        if self.semester == 1:
            return Term(self.academic_year, 2)
        return Term(self.academic_year + 1, 1)

    def first_day(self) -> date:
        return semester_bounds(self.academic_year, self.semester)[0]

    def last_day(self) -> date:
        return semester_bounds(self.academic_year, self.semester)[1]

    def __str__(self) -> str:
        return f"{self.academic_year}-{self.semester}"


def _local_date(when: date) -> date:
    if isinstance(when, datetime):
        if when.tzinfo is not None and when.utcoffset() is not None:
            return when.astimezone(TAIPEI).date()
        return when.date()
    return when


def academic_year_of(when: date) -> int:
    """ROC academic year of a date: 1 Aug 2025 – 31 Jul 2026 → 114."""
    return academic.academic_year_of(_local_date(when))


def semester_of(when: date) -> int:
    """1 for August–January, 2 for February–July."""
    return academic.semester_of(_local_date(when))


def term_of(when: date) -> Term:
    return Term(academic_year_of(when), semester_of(when))


academic_year_bounds = academic.academic_year_bounds
semester_bounds = academic.semester_bounds


def roc_to_gregorian(roc_year: int) -> int:
    return roc_year + ROC_OFFSET


def gregorian_to_roc(year: int) -> int:
    return year - ROC_OFFSET


@dataclass(frozen=True, slots=True)
class SemesterSchedule:
    """The published schedule of one semester: at most one window per phase (R-SCHED-1)."""

    term: Term
    windows: Mapping[Phase, PhaseWindow]

    @classmethod
    def of(cls, term: Term, windows: Iterable[PhaseWindow]) -> SemesterSchedule:
        by_phase: dict[Phase, PhaseWindow] = {}
        for window in windows:
            if window.phase in by_phase:
                raise InvalidPhaseWindow(
                    f"The schedule has two windows for {window.phase}",
                    f"時程中「{window.phase}」重複設定",
                    field="phase",
                )
            by_phase[window.phase] = window
        return cls(term, by_phase)

    def check_order(self) -> None:
        """Refuse phases set out of order (R-SCHED-1): see ``PHASE_ORDER``."""
        for earlier, later in PHASE_ORDER:
            first, then = self.windows.get(earlier), self.windows.get(later)
            if first is None or then is None:
                continue
            if then.starts_at < first.starts_at or then.ends_at < first.ends_at:
                raise PhasesOutOfOrder(earlier.value, later.value)

    def window(self, phase: Phase) -> PhaseWindow | None:
        return self.windows.get(phase)

    def is_open(self, phase: Phase, at: datetime) -> bool:
        window = self.windows.get(phase)
        return window is not None and window.is_open(at)

    def open_phases(self, at: datetime) -> list[Phase]:
        return [phase for phase in Phase if self.is_open(phase, at)]

    def self_checks_due(self, after: datetime, until: datetime) -> list[PhaseWindow]:
        """Windows whose self-check time falls in ``(after, until]`` (R-SCHED-2 reports)."""
        _require_aware("after", after)
        _require_aware("until", until)
        return sorted(
            (w for w in self.windows.values() if after < w.self_check_at <= until),
            key=lambda w: w.self_check_at,
        )
