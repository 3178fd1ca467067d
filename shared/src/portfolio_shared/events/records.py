"""Events published by the records service.

Never carries a national ID number or counselling content (R-DATA-5): contract tests check
that no field here is named like one.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from .base import EventPayload, event

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


@event("records.grade.semester_recorded")
class SemesterGradesRecorded(EventPayload):
    """One event per student-semester, not one per grade (R-DATA-2)."""

    student_id: str
    school_id: str
    academic_year: int
    semester: Literal[1, 2]
    course_codes: list[str]
    grade_count: int


@event("records.cadre.recorded")
class CadreRecorded(EventPayload):
    record_id: str
    student_id: str
    school_id: str
    academic_year: int
    semester: Literal[1, 2]
    level: Literal["school", "class", "club"]
    title: str


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
