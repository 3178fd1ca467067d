"""Request and response schemas of the artifacts API (XCreate / XPublic families)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from portfolio_artifacts.service_layer.commands import FileDeclaration
from portfolio_shared.timefmt import SchoolTimestamp, UtcTimestamp

# No control characters in ids and one-line text; no NUL anywhere (PostgreSQL text cannot hold it).
ONE_LINE = r"^[^\x00-\x1f\x7f]+$"
NO_NUL = r"^[^\x00]+$"
Id = Field(min_length=1, max_length=64, pattern=ONE_LINE)
FieldName = Annotated[str, Field(max_length=64, pattern=ONE_LINE)]
FieldValue = Annotated[str, Field(max_length=1000, pattern=NO_NUL)] | int | None

# A person plans by it, so it is in the school's time (R-ART-2, R-PERF-1).
DraftCountsUntil = Annotated[
    SchoolTimestamp | None,
    Field(
        description="A draft (upload never completed) counts towards the cap until then, unless cancelled "
        "with DELETE on it; null once completed"
    ),
]


class FileDeclarationIn(BaseModel):
    """What the client declares before uploading (R-FILE-1); the bytes are held to it on completion."""

    model_config = ConfigDict(extra="forbid")

    slot: Literal["document", "media"]
    filename: str = Field(min_length=1, max_length=255, pattern=NO_NUL)
    content_type: str = Field(min_length=1, max_length=100, pattern=ONE_LINE)
    size: int = Field(ge=1, le=2**40)
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the file, hex")

    def to_command(self) -> FileDeclaration:
        return FileDeclaration(self.slot, self.filename, self.content_type, self.size, self.sha256)


class OutcomeUploadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    course_id: str = Id
    title: str = Field(min_length=1, max_length=100, pattern=ONE_LINE)
    description: str = Field(
        min_length=1, max_length=1000, pattern=NO_NUL, description="簡述, at most 100 characters (R-FILE-2)"
    )
    files: list[FileDeclarationIn] = Field(min_length=1, max_length=2)


class PerformanceUploadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    school_id: str = Id
    academic_year: int = Field(ge=100, le=200, description="ROC academic year, e.g. 114")
    category: str = Field(min_length=1, max_length=64, pattern=ONE_LINE)
    description: str = Field(min_length=1, max_length=1000, pattern=NO_NUL)
    fields: dict[FieldName, FieldValue] = Field(default_factory=dict, max_length=50)
    files: list[FileDeclarationIn] = Field(default_factory=list, max_length=2)


class NewFilesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: list[FileDeclarationIn] = Field(min_length=1, max_length=2)


class ReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000, pattern=NO_NUL)


class UploadTicket(BaseModel):
    file_id: str
    slot: str
    method: str
    url: str
    headers: dict[str, str]
    expires_in: int


class OutcomeUploadStarted(BaseModel):
    outcome_id: str
    status: str
    version: int
    uploads: list[UploadTicket]
    counts_until: DraftCountsUntil = None


class PerformanceUploadStarted(BaseModel):
    performance_id: str
    status: str
    version: int
    uploads: list[UploadTicket]
    counts_until: DraftCountsUntil = None


class FilePublic(BaseModel):
    file_id: str
    slot: str
    version: int
    filename: str
    status: str
    size: int
    sha256: str
    mime: str | None
    refusal: str | None
    integrity: str | None


class CertificationPublic(BaseModel):
    """Who certified, on whose behalf and on what basis (R-ART-5)."""

    certified_by: str
    on_behalf_of: str | None
    basis: str
    certified_at: UtcTimestamp


class OutcomePublic(BaseModel):
    id: str
    school_id: str  # the school the student is enrolled at now, which submits it (R-ENR-1)
    origin_school_id: str  # where it was uploaded and certified
    student_user_id: str
    course_id: str
    academic_year: int
    semester: int
    title: str
    description: str
    status: str
    version: int
    selected: bool
    # The accepted submission batch that carried this selection: it can no longer be deselected
    # (R-SUB-7, R-SUB-8); None while it was never submitted.
    frozen_by_batch: str | None = None
    certification: CertificationPublic | None
    last_certification: CertificationPublic | None = None
    return_reason: str | None
    returned_by: str | None
    created_at: UtcTimestamp
    updated_at: UtcTimestamp
    draft_counts_until: DraftCountsUntil = None
    files: list[FilePublic]


class PerformancePublic(BaseModel):
    id: str
    school_id: str  # the school the student is enrolled at now, which submits it (R-ENR-1)
    origin_school_id: str
    student_user_id: str
    academic_year: int
    category: str
    catalog_version: str
    fields: dict[str, object]
    description: str
    status: str
    version: int
    selected: bool
    # The accepted submission batch that carried this selection: it can no longer be deselected
    # (R-SUB-7, R-SUB-8); None while it was never submitted.
    frozen_by_batch: str | None = None
    created_at: UtcTimestamp
    updated_at: UtcTimestamp
    draft_counts_until: DraftCountsUntil = None
    files: list[FilePublic]


class DownloadPublic(BaseModel):
    file_id: str
    method: str
    url: str
    expires_in: int


class TeacherCourseCount(BaseModel):
    course_id: str
    uncertified: int


class UncertifiedTeacher(BaseModel):
    teacher_user_id: str
    uncertified: int
    unavailable: bool
    courses: list[TeacherCourseCount]


class UncertifiedReport(BaseModel):
    school_id: str
    academic_year: int | None
    semester: int | None
    teachers: list[UncertifiedTeacher]


class StudentSelection(BaseModel):
    student_user_id: str
    outcomes_certified: int
    outcomes_selected: int
    performances_uploaded: int
    performances_selected: int


class SelectionReport(BaseModel):
    school_id: str
    academic_year: int
    students: list[StudentSelection]


class HistoryEntryPublic(BaseModel):
    """One entry of an item's attributable history (R-RET-3): who, on whose behalf, when, what."""

    id: int
    school_id: str
    student_user_id: str
    kind: str
    artifact_id: str
    action: str
    actor_user_id: str
    on_behalf_of: str | None
    basis: str | None
    detail: dict[str, object] | None
    at: UtcTimestamp


class CatalogFieldPublic(BaseModel):
    """One field of a performance category as the central database's workbook has it (R-FILE-3);
    keys that do not apply to the field are left out of the answer."""

    name: str
    type: str
    name_zh: str
    required: bool | None = None
    max_length: int | None = None
    pattern: str | None = None
    decimal_places: int | None = None
    codes: dict[str, str] | None = None
    min: int | str | None = None  # a decimal bound is sent as text, so no digit is lost
    max: int | str | None = None


class CatalogCategoryPublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    fields: list[CatalogFieldPublic]
    date_ranges: list[list[str]]


class CatalogPublic(BaseModel):
    version: str
    categories: list[CatalogCategoryPublic]
