"""School codes and the ROC academic calendar."""

from datetime import date

import pytest

from portfolio_identity.domain.errors import InvalidAcademicYear, InvalidSchoolCode
from portfolio_identity.domain.school import (
    AcademicTerm,
    School,
    academic_year_bounds,
    academic_year_of,
    is_valid_school_code,
    semester_of,
    term_of,
    to_roc_year,
    to_western_year,
    validate_school_code,
)
from portfolio_shared.testing.unicode_digits import OTHER_ZEROS, in_script, script_name


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2025, 8, 1), 114),
        (date(2026, 7, 31), 114),
        (date(2025, 7, 31), 113),
        (date(2026, 1, 15), 114),
        (date(2026, 8, 1), 115),
    ],
)
def test_academic_year_114_runs_from_august_2025_to_july_2026(day: date, year: int) -> None:
    assert academic_year_of(day) == year


def test_semesters() -> None:
    assert semester_of(date(2025, 8, 1)) == 1
    assert semester_of(date(2026, 1, 31)) == 1
    assert semester_of(date(2026, 2, 1)) == 2
    assert semester_of(date(2026, 7, 31)) == 2
    assert term_of(date(2026, 3, 1)) == AcademicTerm(114, 2)


def test_term_bounds_and_next() -> None:
    first = AcademicTerm(114, 1)
    assert (first.start, first.end) == (date(2025, 8, 1), date(2026, 1, 31))
    assert first.next() == AcademicTerm(114, 2)
    assert AcademicTerm(114, 2).end == date(2026, 7, 31)
    assert AcademicTerm(114, 2).next() == AcademicTerm(115, 1)
    assert str(first) == "114-1"
    assert academic_year_bounds(114) == (date(2025, 8, 1), date(2026, 7, 31))


def test_roc_year_conversion() -> None:
    assert to_roc_year(2025) == 114
    assert to_western_year(114) == 2025
    with pytest.raises(InvalidAcademicYear):
        to_western_year(0)
    with pytest.raises(InvalidAcademicYear):
        AcademicTerm(114, 3)


def test_school_codes_are_six_digits() -> None:
    assert is_valid_school_code("313302")
    assert validate_school_code(" 313302 ") == "313302"
    for bad in ("31330", "3133022", "31330a", "", "３１３３０２"):
        assert not is_valid_school_code(bad)
        with pytest.raises(InvalidSchoolCode):
            validate_school_code(bad)
    with pytest.raises(InvalidSchoolCode):
        School("12345", "某高中", "63")


@pytest.mark.parametrize("zero", OTHER_ZEROS, ids=script_name)
def test_school_codes_refuse_every_other_scripts_digits(zero: str) -> None:
    # R-DATA-1 care: the school code keys every submitted workbook row; "313302".isdigit() is
    # true in every script, so the check must stay an explicit ASCII class.
    code = in_script("313302", zero)
    assert code.isdigit()
    assert not is_valid_school_code(code)
    with pytest.raises(InvalidSchoolCode):
        validate_school_code(code)
