"""The archive period of graduates' data (R-RET-1), as pure rules: the boundary day and one day
before, 29 February, and the school's choice of period (5 to 30 years)."""

from __future__ import annotations

from datetime import date

import pytest

from portfolio_records.domain.retention import (
    InvalidArchivePeriod,
    RetentionPeriodRunning,
    add_years,
    check_archive_years,
    check_deletable,
    deletable_from,
)


def test_deletable_from_the_same_calendar_day_five_years_later() -> None:
    assert deletable_from(date(2026, 6, 30), 5) == date(2031, 6, 30)
    assert deletable_from(date(2026, 6, 30), 7) == date(2033, 6, 30)


def test_29_february_is_kept_until_1_march_never_a_day_less() -> None:
    assert add_years(date(2024, 2, 29), 5) == date(2029, 3, 1)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_deletion_is_refused_the_day_before_and_accepted_on_the_day() -> None:
    check_deletable(student_id="s", today=date(2031, 6, 30), completed_on=date(2026, 6, 30), archive_years=5)
    with pytest.raises(RetentionPeriodRunning) as refused:
        check_deletable(student_id="s", today=date(2031, 6, 29), completed_on=date(2026, 6, 30), archive_years=5)
    assert refused.value.rule == "R-RET-1" and refused.value.status == 409
    assert refused.value.extra == {"student_id": "s", "deletable_from": "2031-06-30"}
    with pytest.raises(RetentionPeriodRunning):  # four years after completion
        check_deletable(student_id="s", today=date(2030, 6, 30), completed_on=date(2026, 6, 30), archive_years=5)


@pytest.mark.parametrize(("years", "ok"), [(4, False), (5, True), (30, True), (31, False)])
def test_the_archive_period_is_five_to_thirty_years(years: int, ok: bool) -> None:
    if ok:
        assert check_archive_years(years) == years
    else:
        with pytest.raises(InvalidArchivePeriod) as refused:
            check_archive_years(years)
        assert (refused.value.field, refused.value.rule, refused.value.status) == ("archive_years", "R-RET-1", 422)
