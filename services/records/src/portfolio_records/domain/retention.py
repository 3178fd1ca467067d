"""Retention of graduates' data (R-RET-1): sealed (封存) for the school's archive period after the
student completed senior high, deletable from the first school-local day after it. Pure rules."""

from __future__ import annotations

from datetime import date

from portfolio_shared.errors import Conflict, InvalidInput

# R-RET-1 keeps graduates' data for 5 years after completion: the national floor. A school may keep
# it longer (its own configuration of the rule), never shorter; 30 years bounds a typo.
DEFAULT_ARCHIVE_YEARS = 5
MIN_ARCHIVE_YEARS = 5
MAX_ARCHIVE_YEARS = 30


class RetentionPeriodRunning(Conflict):
    code = "retention-period-running"
    title_en = "The archive period has not ended yet"
    title_zh = "封存期間尚未屆滿"
    default_rule = "R-RET-1"


class NotSealed(Conflict):
    code = "student-not-sealed"
    title_en = "Only a graduate's sealed data can be deleted"
    title_zh = "僅能刪除已畢業並封存之學生資料"
    default_rule = "R-RET-1"


class AlreadyDeleted(Conflict):
    code = "student-data-deleted"
    title_en = "The student's data was deleted already"
    title_zh = "學生資料已刪除"
    default_rule = "R-RET-1"


class InvalidArchivePeriod(InvalidInput):
    code = "invalid-archive-period"
    title_en = "Invalid archive period"
    title_zh = "封存年限不符規定"
    default_field = "archive_years"
    default_rule = "R-RET-1"


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 1 March (kept one day longer,
    never shorter than the rule)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return date(day.year + years, 3, 1)


def deletable_from(completed_on: date, archive_years: int) -> date:
    """The first day on which the data may be deleted: completion + the archive period (R-RET-1)."""
    return add_years(completed_on, archive_years)


def check_archive_years(years: int) -> int:
    if not MIN_ARCHIVE_YEARS <= years <= MAX_ARCHIVE_YEARS:
        raise InvalidArchivePeriod(
            f"The archive period is {MIN_ARCHIVE_YEARS} to {MAX_ARCHIVE_YEARS} years after completion "
            f"(R-RET-1 keeps graduates' data {MIN_ARCHIVE_YEARS} years); got {years}",
            f"封存年限須為畢業後 {MIN_ARCHIVE_YEARS} 至 {MAX_ARCHIVE_YEARS} 年",
        )
    return years


def check_deletable(*, student_id: str, today: date, completed_on: date, archive_years: int) -> None:
    """Refuse a deletion before the archive period ended (``today`` is the school-local date)."""
    first_day = deletable_from(completed_on, archive_years)
    if today < first_day:
        raise RetentionPeriodRunning(
            f"Student {student_id} completed senior high on {completed_on.isoformat()}; the data is sealed "
            f"for {archive_years} years and may be deleted from {first_day.isoformat()} (R-RET-1)",
            f"該生於 {completed_on.isoformat()} 畢業，資料封存 {archive_years} 年，{first_day.isoformat()} 起始得刪除",
            field="student_ids",
            extra={"student_id": student_id, "deletable_from": first_day.isoformat()},
        )
