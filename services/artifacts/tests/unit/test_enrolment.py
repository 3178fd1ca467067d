"""Which enrolment statuses may still add data (R-DATA-6, R-ENR-1)."""

from __future__ import annotations

from datetime import date

import pytest

from portfolio_artifacts.domain.enrolment import ACTIVE_STATUSES, check_dates_in_enrolment, check_may_add_data
from portfolio_artifacts.domain.errors import EnrolmentNotKnown, NotEnrolled, OutsideEnrolmentPeriod


@pytest.mark.parametrize("status", ["enrolled", "visiting"])
def test_active_enrolment_may_add_data(status: str) -> None:
    check_may_add_data(status, date(2025, 8, 1), school_id="sch-A", action="start an upload")


def test_unknown_enrolment_is_refused_with_its_own_code() -> None:
    with pytest.raises(EnrolmentNotKnown) as exc:
        check_may_add_data(None, None, school_id="sch-A", action="start an upload")
    err = exc.value
    assert (err.status, err.code, err.rule, err.status_value) == (409, "enrolment-not-known", "R-DATA-6", "unknown")
    assert "sch-A" in err.detail and err.title_zh != NotEnrolled.title_zh


def test_dates_at_the_start_of_enrolment_pass_and_one_day_before_is_refused() -> None:
    start = date(2025, 8, 1)
    check_dates_in_enrolment({"start_date": start, "name": "x", "hours": 3}, start)
    check_dates_in_enrolment({"start_date": date(2000, 1, 1)}, None)  # period start not known
    with pytest.raises(OutsideEnrolmentPeriod) as exc:
        check_dates_in_enrolment({"start_date": start, "end_date": date(2025, 7, 31)}, start)
    assert (exc.value.field, exc.value.value, exc.value.starts_on) == ("fields.end_date", "2025-07-31", "2025-08-01")
    assert (exc.value.status, exc.value.rule) == (422, "R-DATA-6")


@pytest.mark.parametrize("status", ["suspended", "transferred_out", "graduated", "left", "something_new"])
def test_inactive_enrolment_is_refused_with_status_and_date(status: str) -> None:
    with pytest.raises(NotEnrolled) as exc:
        check_may_add_data(status, date(2026, 2, 1), school_id="sch-A", action="start an upload")
    err = exc.value
    assert (err.status, err.code, err.rule) == (409, "not-enrolled", "R-DATA-6")
    assert f"'{status}'" in err.detail and "since 2026-02-01" in err.detail and "sch-A" in err.detail
    assert (err.status_value, err.since, err.school_id) == (status, "2026-02-01", "sch-A")
    assert err.title_en and err.title_zh


def test_active_statuses_are_those_of_records_that_study_here() -> None:
    assert ACTIVE_STATUSES == {"enrolled", "visiting"}
