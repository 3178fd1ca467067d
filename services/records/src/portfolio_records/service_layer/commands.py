"""Commands of the records service: what a caller asks for, validated at the edge.

The API takes these as request bodies; the handlers in this package carry them out. Bounds are
strict so nothing the database cannot hold (NUL characters, out-of-range dates or numbers)
reaches it: bad input is a 422 problem naming the field, never a server error.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from portfolio_shared.events.records import DEFAULT_OUTCOMES_PER_SEMESTER, DEFAULT_PERFORMANCES_PER_YEAR, Phase
from portfolio_shared.identifiers import fold_full_width, non_ascii_digits


def _printable(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValueError("control characters are not allowed")
    return value


def _class_name(value: str) -> str:
    # Class names are matched (lists, self-check by class) and may hold CJK (高三忠班), so they
    # are not ASCII-only; but their digits are: ３０１ is folded to 301 (the documented
    # normalisation), and any other script's digits (٣٠١, 𝟑𝟎𝟏) are refused (R-DATA-1).
    value = fold_full_width(value)
    if non_ascii_digits(value):
        raise ValueError("digits must be ASCII 0-9")
    return value


def _plausible_date(value: date) -> date:
    if not 1900 <= value.year <= 2200:
        raise ValueError("the date must lie between 1900 and 2200")
    return value


def _plausible_time(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2200:
        raise ValueError("the time must lie between 2000 and 2200")
    # Stored in UTC: SQLite (standalone shape) keeps no zone, so a local time would shift.
    return value.astimezone(UTC)


_Printable = AfterValidator(_printable)
Text40 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), _Printable]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _Printable]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _Printable]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), _Printable]
Text2000 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), _Printable]
Text5000 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), _Printable]
OptionalText5000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), _Printable]
ClassName = Annotated[Text40, AfterValidator(_class_name)]


Day = Annotated[date, AfterValidator(_plausible_date)]
Moment = Annotated[AwareDatetime, AfterValidator(_plausible_time)]
AcademicYear = Annotated[int, Field(ge=100, le=299, description="ROC academic year, e.g. 114")]
Semester = Literal[1, 2]
UserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:@-]{1,64}$")]
SchoolRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
# Explicit ASCII classes, never \d or \w: those admit every script's digits and letters (R-DATA-1).
StudentNumber = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z-]{1,20}$")]
CourseCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_.-]{1,40}$")]
NationalIdInput = Annotated[str, StringConstraints(max_length=32)]  # checked by the domain (R-DATA-1)


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- students and enrolment (R-DATA-1, R-ENR-1) --------------------------------------------------
class StudentArrival(Command):
    """A student arrives at the school: admission (入學), transfer in (轉入) or visiting study (借讀)."""

    change: Literal["admission", "transfer_in", "visiting_study"] = "admission"
    name: Text100
    national_id: NationalIdInput
    birth_date: Day
    student_number: StudentNumber
    grade: int | None = Field(default=None, ge=1, le=3)
    class_name: ClassName
    seat_number: int | None = Field(default=None, ge=1, le=99)
    user_id: UserId | None = None
    effective_on: Day
    from_school_id: SchoolRef | None = None
    note: Text500 | None = None


class StudentUpdate(Command):
    """Corrections of basic data by the registry section (R-REC-2)."""

    name: Text100 | None = None
    national_id: NationalIdInput | None = None
    birth_date: Day | None = None
    class_name: ClassName | None = None
    seat_number: int | None = Field(default=None, ge=1, le=99)
    user_id: UserId | None = None


class EnrolmentChangeRequest(Command):
    """A change of a student enrolled here (學籍異動, R-ENR-1)."""

    change: Literal["transfer_out", "suspension", "reinstatement", "repeat_grade", "graduation", "leaving"]
    effective_on: Day
    grade: int | None = Field(default=None, ge=1, le=3)
    to_school_id: SchoolRef | None = None
    note: Text500 | None = None


class PromotionRequest(Command):
    """Year-start promotion (升級) of the school's enrolled students into the year of ``effective_on``."""

    effective_on: Day


class ContactInput(Command):
    """Postal address for letters to the student (R-SUB-9)."""

    recipient: Text100
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{3}([0-9]{2,3})?$")]  # 3, 5 or 6 digits
    address: Text200


class NationalIdLookup(Command):
    national_id: NationalIdInput


# -- course plan (R-DATA-2, R-REC-2) -------------------------------------------------------------
class CourseCreate(Command):
    academic_year: AcademicYear
    semester: Semester
    course_code: CourseCode
    subject_name: Text100
    credits: Decimal = Field(ge=0, le=30, max_digits=3, decimal_places=1)
    co_taught: bool = False


class TeacherAssignment(Command):
    """Course teachers; a co-taught course (合開課程) names its reviewing teacher (R-REC-2)."""

    teacher_user_ids: list[UserId] = Field(min_length=1, max_length=10)
    reviewing_teacher_user_id: UserId | None = None


class CourseStudents(Command):
    student_ids: list[uuid.UUID] = Field(max_length=2000)


# -- other basic data (R-DATA-1, Annex 1) --------------------------------------------------------
class TermCommand(Command):
    academic_year: AcademicYear
    semester: Semester


class CadreCreate(TermCommand):
    level: Literal["school", "class", "club"]
    unit: Text100
    title: Text100
    starts_on: Day | None = None
    ends_on: Day | None = None


class ServiceLearningCreate(TermCommand):
    organiser: Text100
    activity: Text200
    hours: Decimal = Field(gt=0, le=1000, max_digits=5, decimal_places=1)
    starts_on: Day
    ends_on: Day


RewardKind = Literal["commendation", "minor_merit", "major_merit", "admonition", "minor_demerit", "major_demerit"]


class RewardCreate(TermCommand):
    """嘉獎 / 小功 / 大功 / 警告 / 小過 / 大過."""

    kind: RewardKind
    times: int = Field(ge=1, le=10)
    reason: Text500
    occurred_on: Day


class PsychTestCreate(TermCommand):
    test_name: Text200
    taken_on: Day
    result_summary: Text2000 | None = None


# -- counselling (R-DATA-2, R-REC-3) -------------------------------------------------------------
class CounsellingCreate(Command):
    held_at: Moment
    place: Text100
    content: Text5000
    opinions: OptionalText5000 = ""


# -- calendar and caps (R-SCHED-1, R-ART-2, R-PERF-1) --------------------------------------------


class WindowTimes(Command):
    starts_at: Moment
    ends_at: Moment
    self_check_at: Moment


class PhaseWindowInput(WindowTimes):
    phase: Phase


class ScheduleSet(Command):
    windows: list[PhaseWindowInput] = Field(min_length=1, max_length=8)


class ArtifactCapsInput(Command):
    outcomes_per_semester: int = Field(default=DEFAULT_OUTCOMES_PER_SEMESTER, ge=1, le=50)
    performances_per_year: int = Field(default=DEFAULT_PERFORMANCES_PER_YEAR, ge=1, le=200)


class StandingWindow(Command):
    """The nightly SIS import's standing window (R-DUTY-3): not per semester; no end = open-ended."""

    starts_at: Moment
    ends_at: Moment | None = None


class SchoolSettingsInput(Command):
    """The school's time zone (for every time shown) and its standing SIS import window."""

    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$")] = (
        "Asia/Taipei"
    )
    sis_import_window: StandingWindow | None = None


class RetentionPolicyInput(Command):
    """The school's archive period after completion (R-RET-1: at least 5 years) and its nightly purge."""

    archive_years: int = Field(ge=1, le=100, description="Years after completion; 5 to 30 (R-RET-1)")
    scheduled_purge: bool = False


class DeletionRequestInput(Command):
    """Delete these graduates' data at every service, after the archive period (R-RET-1)."""

    student_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
