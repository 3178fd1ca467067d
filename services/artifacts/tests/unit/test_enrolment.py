"""Which enrolment statuses may still add data (R-DATA-6, R-ENR-1)."""

from __future__ import annotations

from datetime import date

import pytest

from portfolio_artifacts.domain.enrolment import ACTIVE_STATUSES, check_may_add_data
from portfolio_artifacts.domain.errors import NotEnrolled


@pytest.mark.parametrize("status", [None, "enrolled", "visiting"])
def test_active_or_unknown_enrolment_may_add_data(status: str | None) -> None:
    check_may_add_data(status, date(2025, 8, 1), school_id="sch-A", action="start an upload")


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
