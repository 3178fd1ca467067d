"""Events published by the artifacts service (course learning outcomes, multiple performances)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import EventPayload, event

CertificationBasis = Literal["teacher", "reviewing_teacher", "delegate", "on_behalf_authorisation", "extended_account"]


@event("artifacts.outcome.uploaded")
class OutcomeUploaded(EventPayload):
    outcome_id: str
    student_user_id: str
    school_id: str
    course_id: str
    academic_year: int
    semester: Literal[1, 2]
    version: int
    files: list[dict[str, str | int]]
    description: str | None = None  # 成果簡述 (R-FILE-2), as the course-outcomes workbook needs it


@event("artifacts.outcome.certified")
class OutcomeCertified(EventPayload):
    """Certification records who certified and on whose behalf (R-ART-3, R-ART-5)."""

    outcome_id: str
    student_user_id: str
    school_id: str
    course_id: str
    certified_by: str
    on_behalf_of: str | None
    basis: CertificationBasis


@event("artifacts.outcome.returned")
class OutcomeReturned(EventPayload):
    outcome_id: str
    student_user_id: str
    school_id: str
    returned_by: str
    reason: str


@event("artifacts.outcome.selected")
class OutcomeSelected(EventPayload):
    outcome_id: str
    student_user_id: str
    school_id: str
    academic_year: int


@event("artifacts.outcome.deselected")
class OutcomeDeselected(EventPayload):
    outcome_id: str
    student_user_id: str
    school_id: str
    academic_year: int


@event("artifacts.outcome.withdrawn")
class OutcomeWithdrawn(EventPayload):
    outcome_id: str
    student_user_id: str
    school_id: str


@event("artifacts.performance.uploaded")
class PerformanceUploaded(EventPayload):
    performance_id: str
    student_user_id: str
    school_id: str
    academic_year: int
    category: str
    catalog_version: str
    files: list[dict[str, str | int]]
    # The category's fields as the student filled them (R-FILE-3), keyed by the workbook's column keys.
    fields: dict[str, str | int | float | None] = Field(default_factory=dict)
    description: str | None = None  # 內容簡述 (R-FILE-2)


@event("artifacts.performance.selected")
class PerformanceSelected(EventPayload):
    performance_id: str
    student_user_id: str
    school_id: str
    academic_year: int


@event("artifacts.performance.deselected")
class PerformanceDeselected(EventPayload):
    performance_id: str
    student_user_id: str
    school_id: str
    academic_year: int


@event("artifacts.performance.withdrawn")
class PerformanceWithdrawn(EventPayload):
    performance_id: str
    student_user_id: str
    school_id: str


@event("artifacts.file.integrity_failed")
class FileIntegrityFailed(EventPayload):
    """The verification job found a stored file missing or altered."""

    file_id: str
    owner_kind: Literal["outcome", "performance"]
    owner_id: str
    student_user_id: str
    school_id: str
    problem: Literal["missing", "altered"]


@event("artifacts.student.items_transferred")
class ArtifactsTransferred(EventPayload):
    """A student transferred inside the district: their certified outcomes and submitted performances
    now belong to the school they are enrolled at, which submits them (R-ENR-1). The items keep their
    ids and their school of origin; ``school_id`` of later events is the new school."""

    student_user_id: str
    from_school_id: str
    to_school_id: str
    outcome_ids: list[str]
    performance_ids: list[str]
