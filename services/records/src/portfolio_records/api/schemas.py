"""Response models of the records API (``XPublic``); requests are the commands of the service layer.

A national ID number appears masked (A12****789) in every response except the registry's own
detail view of a student (R-DATA-1).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from portfolio_shared.timefmt import SchoolTimestamp, UtcTimestamp

# RFC 3339 everywhere (portfolio_shared.timefmt): UTC with Z for records of what happened, the
# school's offset for the windows people plan by (R-SCHED-1). Both read SQLite's naive UTC as UTC.
Timestamp = UtcTimestamp


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class StudentPublic(Public):
    id: uuid.UUID
    school_id: str
    student_number: str
    name: str
    national_id: str
    national_id_masked: bool = True
    birth_date: date
    grade: int
    class_name: str
    seat_number: int | None
    status: str
    repeating: bool
    enrolled_on: date
    user_id: str | None


class StudentPage(Public):
    items: list[StudentPublic]
    total: int


class EnrolmentChangePublic(Public):
    id: uuid.UUID
    school_id: str
    change: str
    effective_on: date
    from_status: str | None
    to_status: str
    grade: int
    from_school_id: str | None
    to_school_id: str | None
    note: str | None
    recorded_by: str
    recorded_at: Timestamp


class CoursePublic(Public):
    id: uuid.UUID
    school_id: str
    academic_year: int
    semester: int
    course_code: str
    subject_name: str
    credits: Decimal
    co_taught: bool
    teacher_user_ids: list[str]
    reviewing_teacher_user_id: str | None
    student_ids: list[uuid.UUID]


class OwnCoursePublic(Public):
    """A course the caller takes, teaches or reviews: no other student's id."""

    id: uuid.UUID
    school_id: str
    academic_year: int
    semester: int
    course_code: str
    subject_name: str
    credits: Decimal
    co_taught: bool
    teacher_user_ids: list[str]
    reviewing_teacher_user_id: str | None


class GradePublic(Public):
    student_id: uuid.UUID
    school_id: str
    academic_year: int
    semester: int
    course_code: str
    subject_name: str
    credits: int
    score: Decimal
    passed: bool
    makeup_score: Decimal | None
    qualitative: str | None


class RejectedLinePublic(Public):
    line_number: int
    field: str | None
    reason: str
    message: str
    message_zh: str


class GradeImportPublic(Public):
    id: uuid.UUID
    encoding: str
    line_count: int
    stored: int
    inserted: int
    updated: int
    unchanged: int
    student_semesters_changed: int | None = None
    rejected: list[RejectedLinePublic]
    # Lines stored as sent whose text cells start like a spreadsheet formula (= + - @ tab CR).
    warnings: list[RejectedLinePublic] = []


class CounsellingPublic(Public):
    id: uuid.UUID
    student_id: uuid.UUID
    school_id: str
    counsellor_user_id: str
    held_at: Timestamp
    place: str
    content: str
    opinions: str
    recorded_at: Timestamp


class PhaseWindowPublic(Public):
    phase: str
    starts_at: SchoolTimestamp
    ends_at: SchoolTimestamp
    self_check_at: SchoolTimestamp
    updated_by: str
    updated_at: Timestamp


class SchedulePublic(Public):
    school_id: str
    academic_year: int
    semester: int
    windows: list[PhaseWindowPublic]


class StandingWindowPublic(Public):
    starts_at: SchoolTimestamp
    ends_at: SchoolTimestamp | None


class SchoolSettingsPublic(Public):
    """Times are shown in ``time_zone`` (RFC 3339 with the school's offset)."""

    school_id: str
    time_zone: str
    sis_import_window: StandingWindowPublic | None


class ArtifactCapsPublic(Public):
    school_id: str
    outcomes_per_semester: int
    performances_per_year: int


class AuditEntryPublic(Public):
    id: uuid.UUID
    actor: str
    action: str
    entity: str
    entity_id: str
    at: Timestamp
    details: dict[str, Any]


class Created(Public):
    id: uuid.UUID


class BasicDataPublic(Public):
    """What every kind of basic data carries (R-DATA-1 Annex 1); records follow the student (R-ENR-1)."""

    id: uuid.UUID
    student_id: uuid.UUID
    school_id: str
    academic_year: int
    semester: int
    recorded_by: str
    recorded_at: Timestamp


class CadreRecordPublic(BasicDataPublic):
    level: str
    unit: str
    title: str
    starts_on: date | None
    ends_on: date | None


class ServiceLearningPublic(BasicDataPublic):
    organiser: str
    activity: str
    hours: Decimal
    starts_on: date
    ends_on: date


class RewardPublic(BasicDataPublic):
    kind: str
    times: int
    reason: str
    occurred_on: date


class PsychTestPublic(BasicDataPublic):
    test_name: str
    taken_on: date
    result_summary: str | None  # decrypted for the reader (encrypted at rest, R-DATA-5)


BASIC_DATA_PUBLIC: dict[str, type[BasicDataPublic]] = {
    "cadre": CadreRecordPublic,
    "service_learning": ServiceLearningPublic,
    "rewards": RewardPublic,
    "psych_tests": PsychTestPublic,
}


class ContactPublic(Public):
    """The postal address for letters to the student (R-SUB-9)."""

    recipient: str
    postal_code: str
    address: str


class PromotionResult(Public):
    """What a year-start promotion did (升級, R-ENR-1)."""

    academic_year: int
    promoted: int
    repeating: int
    not_promoted_grade_3: int


class SelfCheckStudent(Public):
    id: uuid.UUID
    name: str
    student_number: str
    class_name: str


class SelfCheckCourse(Public):
    id: uuid.UUID
    course_code: str
    subject_name: str


class SelfCheckPublic(Public):
    """What is still missing in a semester's records (R-SCHED-2)."""

    school_id: str
    academic_year: int
    semester: int
    students_without_grades: list[SelfCheckStudent]
    classes_without_cadre: list[str]
    courses_without_teachers: list[SelfCheckCourse]
    co_taught_courses_without_reviewer: list[SelfCheckCourse]
    courses_without_students: list[SelfCheckCourse]
    phases_without_window: list[str]
