"""Schools, districts and the ROC academic calendar.

A school (學校) is a tenant identified by its six-digit national school code (學校代碼); a
district (主管機關) runs many schools. The academic year (學年度) is counted in ROC years and runs
from 1 August to 31 July: academic year 114 is August 2025 to July 2026. Semester 1 (上學期) is
August to January, semester 2 (下學期) February to July.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from portfolio_identity.domain.errors import InvalidAcademicYear, InvalidSchoolCode

ROC_EPOCH_OFFSET = 1911
"""Western year = ROC year + 1911 (民國紀年)."""

ACADEMIC_YEAR_START_MONTH = 8
SECOND_SEMESTER_START_MONTH = 2

_SCHOOL_CODE = re.compile(r"[0-9]{6}")


def is_valid_school_code(code: str) -> bool:
    """True when `code` is exactly six ASCII digits (no surrounding blanks)."""
    return _SCHOOL_CODE.fullmatch(code) is not None


def validate_school_code(code: str) -> str:
    """Return the school code with surrounding blanks removed, or raise `InvalidSchoolCode`."""
    cleaned = code.strip()
    if not is_valid_school_code(cleaned):
        raise InvalidSchoolCode(f"school code must be 6 digits, got {code!r}", field="school_code")
    return cleaned


@dataclass(frozen=True, slots=True)
class District:
    """A district (主管機關), e.g. a city's education department."""

    code: str
    name_zh: str
    name_en: str = ""

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise InvalidSchoolCode("district code must not be empty", field="district_code")


@dataclass(frozen=True, slots=True)
class School:
    """A school (學校): one tenant of the platform, with its own staff, policy and deadlines."""

    code: str
    name_zh: str
    district_code: str
    name_en: str = ""

    def __post_init__(self) -> None:
        if not is_valid_school_code(self.code):
            raise InvalidSchoolCode(f"school code must be 6 digits, got {self.code!r}", field="school_code")


def to_roc_year(western_year: int) -> int:
    """Western calendar year to ROC year (2025 → 114)."""
    roc = western_year - ROC_EPOCH_OFFSET
    if roc < 1:
        raise InvalidAcademicYear(f"year {western_year} is before ROC year 1", field="year")
    return roc


def to_western_year(roc_year: int) -> int:
    """ROC year to Western calendar year (114 → 2025)."""
    if roc_year < 1:
        raise InvalidAcademicYear(f"ROC year must be positive, got {roc_year}", field="year")
    return roc_year + ROC_EPOCH_OFFSET


def academic_year_of(day: date) -> int:
    """The ROC academic year (學年度) containing `day`: 2025-08-01..2026-07-31 → 114."""
    western = day.year if day.month >= ACADEMIC_YEAR_START_MONTH else day.year - 1
    return to_roc_year(western)


def semester_of(day: date) -> int:
    """The semester (學期) containing `day`: 1 for August–January, 2 for February–July."""
    if day.month >= ACADEMIC_YEAR_START_MONTH or day.month < SECOND_SEMESTER_START_MONTH:
        return 1
    return 2


@dataclass(frozen=True, slots=True, order=True)
class AcademicTerm:
    """One semester of one academic year, e.g. 114-1."""

    academic_year: int
    semester: int

    def __post_init__(self) -> None:
        if self.academic_year < 1:
            raise InvalidAcademicYear(f"academic year must be positive, got {self.academic_year}")
        if self.semester not in (1, 2):
            raise InvalidAcademicYear(f"semester must be 1 or 2, got {self.semester}", field="semester")

    @property
    def start(self) -> date:
        first = to_western_year(self.academic_year)
        if self.semester == 1:
            return date(first, ACADEMIC_YEAR_START_MONTH, 1)
        return date(first + 1, SECOND_SEMESTER_START_MONTH, 1)

    @property
    def end(self) -> date:
        first = to_western_year(self.academic_year)
        if self.semester == 1:
            return date(first + 1, SECOND_SEMESTER_START_MONTH - 1, 31)
        return date(first + 1, ACADEMIC_YEAR_START_MONTH - 1, 31)

    def next(self) -> AcademicTerm:
        """The following semester (114-1 → 114-2 → 115-1)."""
        if self.semester == 1:
            return AcademicTerm(self.academic_year, 2)
        return AcademicTerm(self.academic_year + 1, 1)

    def __str__(self) -> str:
        return f"{self.academic_year}-{self.semester}"


def term_of(day: date) -> AcademicTerm:
    """The academic term containing `day`."""
    return AcademicTerm(academic_year_of(day), semester_of(day))


def academic_year_bounds(academic_year: int) -> tuple[date, date]:
    """First and last day (inclusive) of an academic year: 114 → (2025-08-01, 2026-07-31)."""
    first = to_western_year(academic_year)
    return date(first, ACADEMIC_YEAR_START_MONTH, 1), date(first + 1, ACADEMIC_YEAR_START_MONTH - 1, 31)
