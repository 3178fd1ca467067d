"""The due calendar (R-SUB-1..3): which central window each kind of data of each cohort is due in.

Must show (issue 11): grade-3 second-semester basic data is due in that same semester's window,
grade 1 and grade 2 in the next semester's; grade-3 outcomes in the same year's window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portfolio_submission.domain.calendar import (
    CentralWindow,
    Term,
    check_window,
    deadline,
    due_term,
    in_school_zone,
    is_open,
)
from portfolio_submission.domain.errors import InvalidWindow

TAIPEI = ZoneInfo("Asia/Taipei")


@pytest.mark.parametrize("kind", ["basic_data", "grades", "cadre_records"])
@pytest.mark.parametrize("grade", [1, 2])
def test_r_sub_1_first_semester_data_is_due_in_the_next_semester(kind: str, grade: int) -> None:
    assert due_term(kind, grade, Term(114, 1)) == Term(114, 2)


@pytest.mark.parametrize("kind", ["basic_data", "grades", "cadre_records"])
@pytest.mark.parametrize("grade", [1, 2])
def test_r_sub_1_second_semester_data_is_due_in_the_next_years_first_semester(kind: str, grade: int) -> None:
    assert due_term(kind, grade, Term(114, 2)) == Term(115, 1)


@pytest.mark.parametrize("kind", ["basic_data", "grades", "cadre_records"])
def test_r_sub_3_grade_3_second_semester_data_is_due_in_the_same_semester(kind: str) -> None:
    assert due_term(kind, 3, Term(114, 2)) == Term(114, 2)


@pytest.mark.parametrize("kind", ["basic_data", "grades"])
def test_r_sub_3_does_not_touch_grade_3_first_semester(kind: str) -> None:
    # Only the SECOND semester of grade 3 is early: the first is due in the next semester (R-SUB-1).
    assert due_term(kind, 3, Term(114, 1)) == Term(114, 2)


@pytest.mark.parametrize("kind", ["course_outcomes", "performances"])
@pytest.mark.parametrize("grade", [1, 2])
def test_r_sub_2_yearly_items_are_due_in_the_next_academic_year(kind: str, grade: int) -> None:
    assert due_term(kind, grade, Term(114, 0)) == Term(115, 0)


@pytest.mark.parametrize("kind", ["course_outcomes", "performances"])
def test_r_sub_3_grade_3_outcomes_and_performances_are_due_in_the_same_year(kind: str) -> None:
    assert due_term(kind, 3, Term(114, 0)) == Term(114, 0)


@pytest.mark.parametrize(
    ("kind", "term"),
    [
        ("basic_data", Term(114, 0)),
        ("grades", Term(114, 3)),
        ("course_outcomes", Term(114, 1)),
        ("performances", Term(114, 2)),
    ],
)
def test_a_term_of_the_wrong_shape_for_the_kind_is_refused(kind: str, term: Term) -> None:
    with pytest.raises(InvalidWindow) as error:
        due_term(kind, 1, term)
    assert error.value.field == "semester"


@pytest.mark.parametrize("grade", [0, 4])
def test_grades_outside_1_to_3_are_refused(grade: int) -> None:
    with pytest.raises(InvalidWindow):
        due_term("basic_data", grade, Term(114, 1))


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TAIPEI)  # type: ignore[misc,arg-type]


def test_a_window_must_close_after_it_opens() -> None:
    opens = _at(2026, 3, 1, 8)
    check_window("basic_data", Term(114, 2), opens, opens + timedelta(seconds=1))  # one second is a window
    with pytest.raises(InvalidWindow) as error:
        check_window("basic_data", Term(114, 2), opens, opens)
    assert error.value.field == "closes_at"


def test_a_window_needs_zones_and_a_term_of_its_kind() -> None:
    with pytest.raises(InvalidWindow):
        check_window("basic_data", Term(114, 2), datetime(2026, 3, 1), datetime(2026, 3, 2))
    with pytest.raises(InvalidWindow):
        check_window("course_outcomes", Term(114, 2), _at(2026, 3, 1), _at(2026, 3, 2))
    with pytest.raises(InvalidWindow):
        check_window("basic_data", Term(99, 2), _at(2026, 3, 1), _at(2026, 3, 2))
    check_window("course_outcomes", Term(114, 0), _at(2026, 3, 1), _at(2026, 3, 2))


def test_a_time_without_offset_is_the_schools_local_time() -> None:
    local = in_school_zone(datetime(2026, 3, 1, 17, 0), TAIPEI)
    assert local.astimezone(UTC) == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    given = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    assert in_school_zone(given, TAIPEI) is given


def _window(wid: str, kind: str, term: Term, opens: datetime, closes: datetime) -> CentralWindow:
    return CentralWindow(wid, kind, term, opens, closes)


def test_the_deadline_is_the_next_window_still_open_or_to_come() -> None:
    first = _window("w1", "course_outcomes", Term(114, 0), _at(2025, 10, 1), _at(2025, 10, 31, 17))
    second = _window("w2", "course_outcomes", Term(114, 0), _at(2026, 3, 1), _at(2026, 3, 31, 17))
    other = _window("w3", "performances", Term(114, 0), _at(2025, 9, 1), _at(2025, 9, 2))
    windows = [second, other, first]
    assert deadline(windows, "course_outcomes", Term(114, 0), _at(2025, 9, 1)).window == first
    # At the very close of the first window it is over: the next one is the deadline.
    at_close = deadline(windows, "course_outcomes", Term(114, 0), _at(2025, 10, 31, 17))
    assert at_close.window == second and not at_close.missed
    late = deadline(windows, "course_outcomes", Term(114, 0), _at(2026, 4, 1))
    assert late.window == second and late.missed
    assert deadline(windows, "course_outcomes", Term(115, 0), _at(2025, 9, 1)).window is None


def test_a_window_is_open_from_its_opening_until_just_before_its_close() -> None:
    w = _window("w", "grades", Term(114, 2), _at(2026, 3, 1, 8), _at(2026, 3, 10, 17))
    assert not is_open(w, _at(2026, 3, 1, 8) - timedelta(microseconds=1))
    assert is_open(w, _at(2026, 3, 1, 8))
    assert is_open(w, _at(2026, 3, 10, 17) - timedelta(microseconds=1))
    assert not is_open(w, _at(2026, 3, 10, 17))
