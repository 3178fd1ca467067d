"""Events published by the records service.

Never carries a national ID number or counselling content (R-DATA-5): contract tests check
that no field here is named like one.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..sealing import SEALED_PATTERN
from .base import EventPayload, event

# The one field of the platform's contracts whose content includes a national ID: sealed to the
# submission service's public key (portfolio_shared.sealing), so the bus and the broker only ever see
# ciphertext, and only submission opens it to key the central database's workbooks (design 1 of
# "Personal data in submission packages"). The pattern refuses anything but a sealed token.
SealedPersonalData = Annotated[str, Field(pattern=SEALED_PATTERN, max_length=2000)]

Phase = Literal[
    "data_entry",
    "outcome_upload",
    "outcome_certification",
    "outcome_selection",
    "performance_upload",
    "performance_selection",
    "submission",
    "receipt_confirmation",
]


@event("records.student.enrolled")
class StudentEnrolled(EventPayload):
    student_id: str
    user_id: str | None
    school_id: str
    grade: int = Field(ge=1, le=3)
    class_name: str
    seat_number: int | None = None
    admitted_on: date
    # {"national_id", "birth_date", "name"} sealed for submission alone (context "<school>/<student>").
    sealed_personal_data: SealedPersonalData | None = None


@event("records.student.enrolment_changed")
class EnrolmentChanged(EventPayload):
    """Admission, transfer, suspension, reinstatement, repeat, visiting study, graduation, leaving (R-ENR-1)."""

    student_id: str
    user_id: str | None
    school_id: str
    change: Literal[
        "admission",
        "transfer_out",
        "transfer_in",
        "suspension",
        "reinstatement",
        "repeat_grade",
        "visiting_study",
        "graduation",
        "leaving",
    ]
    effective_on: date
    status: str
    grade: int = Field(ge=1, le=3)
    from_school_id: str | None = None
    to_school_id: str | None = None


@event("records.course.offered")
class CourseOffered(EventPayload):
    course_id: str
    school_id: str
    academic_year: int
    semester: Literal[1, 2]
    course_code: str
    subject_name: str
    credits: Decimal
    co_taught: bool = False


@event("records.course.teacher_assignment_changed")
class TeacherAssignmentChanged(EventPayload):
    """Who teaches and who certifies a course (R-REC-2)."""

    course_id: str
    school_id: str
    academic_year: int
    semester: Literal[1, 2]
    teacher_user_ids: list[str]
    reviewing_teacher_user_id: str | None
    student_user_ids: list[str] = Field(default_factory=list)


class SemesterGrade(BaseModel):
    """One semester grade of a student (R-DATA-2): what the central database's grades workbook holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    course_code: str
    subject_name: str
    credits: int
    score: Decimal
    passed: bool
    makeup_score: Decimal | None = None
    qualitative: str | None = None


@event("records.grade.semester_recorded")
class SemesterGradesRecorded(EventPayload):
    """One event per student-semester, not one per grade (R-DATA-2)."""

    student_id: str
    school_id: str
    academic_year: int
    semester: Literal[1, 2]
    course_codes: list[str]
    grade_count: int
    # The grades themselves as the grades workbook needs them (學生成績名冊), one per course code.
    grades: list[SemesterGrade] = Field(default_factory=list)


@event("records.cadre.recorded")
class CadreRecorded(EventPayload):
    record_id: str
    student_id: str
    school_id: str
    academic_year: int
    semester: Literal[1, 2]
    level: Literal["school", "class", "club"]
    title: str
    unit: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None


@event("records.counselling.recorded")
class CounsellingRecorded(EventPayload):
    """Only that a record exists, never its content (R-DATA-5, R-REC-3)."""

    record_id: str
    student_id: str
    school_id: str
    counsellor_user_id: str


@event("records.schedule.window_set")
class PhaseWindowSet(EventPayload):
    """A phase window of the academic calendar was set or changed (R-SCHED-1)."""

    school_id: str
    academic_year: int
    semester: Literal[1, 2]
    phase: Phase
    starts_at: datetime
    ends_at: datetime
    self_check_at: datetime


# The one default of the upload caps, for records (what it publishes for a new school) and artifacts
# (what it enforces until the school's ArtifactCapsSet arrives). R-ART-2: the example school allows 6
# outcomes per semester. R-PERF-1 leaves the yearly performance count to the school; 30 leaves room to
# choose the 10 that R-PERF-2 lets a student select (a cap of 10 would leave no choice at all).
DEFAULT_OUTCOMES_PER_SEMESTER = 6
DEFAULT_PERFORMANCES_PER_YEAR = 30


@event("records.policy.artifact_caps_set")
class ArtifactCapsSet(EventPayload):
    """The school's per-semester outcome upload cap and yearly performance cap (R-ART-2, R-PERF-1)."""

    school_id: str
    outcomes_per_semester: int = Field(ge=1, le=50)
    performances_per_year: int = Field(ge=1, le=200)


NightlySyncFailure = Literal[
    "drop_unreadable", "no_export", "too_large", "unreadable", "window_closed", "refused", "error"
]


@event("records.grade_sync.night_failed")
class GradeSyncFailed(EventPayload):
    """The nightly SIS grade import of a school failed (R-DUTY-3): notification alerts the school's
    IT section (資訊組) and registry. ``source`` is the drop location without credentials."""

    school_id: str
    night: date
    reason: NightlySyncFailure
    detail: str = Field(max_length=500)
    source: str | None = None


@event("records.student.basic_data_changed")
class StudentBasicDataChanged(EventPayload):
    """A student's basic data changed (R-DATA-1, R-REC-2), announced once per school that holds an
    enrolment of the student: a user id linked after admission reaches artifacts with the
    enrolment's status. ``changed_fields`` names what changed; a national ID is never carried."""

    student_id: str
    school_id: str
    user_id: str | None
    previous_user_id: str | None = None
    changed_fields: list[str]
    status: str
    status_since: date
    grade: int = Field(ge=1, le=3)
    class_name: str
    seat_number: int | None = None
    # As in StudentEnrolled: the personal fields of the workbooks, sealed for submission alone.
    sealed_personal_data: SealedPersonalData | None = None


@event("records.student.grade_level_changed")
class GradeLevelChanged(EventPayload):
    """Grade level (年級): promotion at a new academic year, a repeated grade, or graduation (R-ENR-1).
    ``to_grade`` is None after graduation (R-SUB-3 and R-RET-1 depend on grade 3 and graduation)."""

    student_id: str
    user_id: str | None
    school_id: str
    change: Literal["promotion", "repeat_grade", "graduation"]
    from_grade: int = Field(ge=1, le=3)
    to_grade: int | None = Field(default=None, ge=1, le=3)
    academic_year: int
    effective_on: date


@event("records.student.contact_address_set")
class ContactAddressSet(EventPayload):
    """Where letters to a student go (R-SUB-9: a student who left is asked by post to confirm the
    receipt). Kept encrypted at rest by records; carried to notification, never with a national ID."""

    student_id: str
    user_id: str | None
    school_id: str
    recipient: str = Field(max_length=100)
    postal_code: str = Field(max_length=6)
    address: str = Field(max_length=200)
