"""The ROC academic calendar (學年度 / 學期), for every service that reasons about terms.

Academic year 114 runs from 1 August 2025 to 31 July 2026; semester 1 is August to January,
semester 2 February to July. Functions take calendar dates already in the school's time zone.
"""

from __future__ import annotations

from datetime import date, timedelta

ROC_OFFSET = 1911  # ROC year = Gregorian year - 1911
FIRST_MONTH = 8  # the academic year starts in August
SECOND_SEMESTER_FIRST_MONTH = 2  # February


def academic_year_of(day: date) -> int:
    """ROC academic year of a (school-local) date: 1 Aug 2025 – 31 Jul 2026 → 114."""
    year = day.year - ROC_OFFSET
    return year if day.month >= FIRST_MONTH else year - 1


def semester_of(day: date) -> int:
    """1 for August–January, 2 for February–July."""
    return 2 if SECOND_SEMESTER_FIRST_MONTH <= day.month < FIRST_MONTH else 1


def academic_year_bounds(academic_year: int) -> tuple[date, date]:
    """First and last day of an academic year: 114 → (2025-08-01, 2026-07-31)."""
    start_year = academic_year + ROC_OFFSET
    return date(start_year, FIRST_MONTH, 1), date(start_year + 1, FIRST_MONTH, 1) - timedelta(days=1)


def semester_bounds(academic_year: int, semester: int) -> tuple[date, date]:
    """First and last day of a semester: (114, 1) → (2025-08-01, 2026-01-31)."""
    start, end = academic_year_bounds(academic_year)
    second_start = date(start.year + 1, SECOND_SEMESTER_FIRST_MONTH, 1)
    if semester == 1:
        return start, second_start - timedelta(days=1)
    if semester == 2:
        return second_start, end
    raise ValueError(f"semester must be 1 or 2, not {semester}")


def term_bounds(academic_year: int, semester: int) -> tuple[date, date]:
    """A semester's bounds, or the whole year's for semester 0 (yearly items)."""
    return academic_year_bounds(academic_year) if semester == 0 else semester_bounds(academic_year, semester)
