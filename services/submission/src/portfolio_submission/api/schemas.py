"""Request and response schemas of the submission API (XCreate / XPublic families)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from portfolio_shared.timefmt import SchoolTimestamp, UtcTimestamp

ONE_LINE = r"^[^\x00-\x1f\x7f]+$"
Kind = Literal["basic_data", "grades", "cadre_records", "course_outcomes", "performances"]
Office = Literal["registry", "activities", "it", "guidance_data"]
Status = Literal["draft", "checked", "failed_check", "ready", "building", "sending", "accepted", "failed", "cancelled"]
Label = Annotated[str, Field(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
RocYear = Annotated[int, Field(ge=100, le=200, description="ROC academic year (學年度), e.g. 114")]


class WindowCreate(BaseModel):
    """A central-database window (提交期程) as the central database announced it (R-SUB-1..3)."""

    model_config = ConfigDict(extra="forbid")

    school_id: str = Field(min_length=1, max_length=64, pattern=ONE_LINE)
    kind: Kind
    academic_year: RocYear
    semester: int = Field(
        ge=0, le=2, description="1 or 2 for basic data, grades, cadre records; 0 (the year) otherwise"
    )
    opens_at: datetime = Field(description="RFC 3339; without an offset it is the school's local time")
    closes_at: datetime = Field(description="RFC 3339; without an offset it is the school's local time")
    label: Label = ""


class WindowPublic(BaseModel):
    id: str
    school_id: str
    kind: Kind
    academic_year: int
    semester: int
    opens_at: SchoolTimestamp
    closes_at: SchoolTimestamp
    label: str
    created_by: str
    created_at: UtcTimestamp


class WindowList(BaseModel):
    items: list[WindowPublic]


class DueDeadline(BaseModel):
    window_id: str
    label: str
    opens_at: SchoolTimestamp
    closes_at: SchoolTimestamp
    missed: bool = Field(description="Every window of that term has closed")


class DueItem(BaseModel):
    """``kind`` data of ``data_year``-``data_semester`` for ``student_count`` students (of ``grades``)
    is due in the central windows of ``due_year``-``due_semester`` (R-SUB-1..3)."""

    kind: Kind
    office: Office
    duty_code: str
    data_year: int
    data_semester: int
    due_year: int
    due_semester: int
    grades: list[int]
    student_count: int
    deadline: DueDeadline | None = Field(description="The next window of that term; null: not entered yet")
    rule: str


class DueOffice(BaseModel):
    office: Office
    duty_code: str
    items: list[DueItem]


class DueList(BaseModel):
    school_id: str
    on: date
    offices: list[DueOffice]


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    school_id: str = Field(min_length=1, max_length=64, pattern=ONE_LINE)
    kind: Kind
    academic_year: RocYear
    semester: int = Field(ge=0, le=2, description="1 or 2 for semester kinds; 0 for outcomes and performances")
    label: Label = ""


class PersonRef(BaseModel):
    user_id: str
    display_name: str | None


class BatchPublic(BaseModel):
    id: str
    school_id: str
    kind: Kind
    office: Office
    academic_year: int
    semester: int
    status: Status
    version: int
    label: str
    created_by: PersonRef
    created_at: UtcTimestamp
    updated_at: UtcTimestamp
    checked_at: UtcTimestamp | None
    error_count: int | None = Field(description="Errors of the last pre-check; null: never checked")
    student_count: int | None
    row_count: int | None
    excluded_count: int
    submitted_by: PersonRef | None
    on_behalf_of: PersonRef | None = Field(description="The responsible person a delegate submitted for (R-DUTY-2)")
    submitted_at: UtcTimestamp | None
    idempotency_key: str
    failure_reason: str | None


class BatchList(BaseModel):
    items: list[BatchPublic]
    limit: int
    offset: int


class ExclusionCreate(BaseModel):
    """Leave named students out of the batch (recorded: who, when, why)."""

    model_config = ConfigDict(extra="forbid")

    student_ids: list[Annotated[str, Field(min_length=1, max_length=64, pattern=ONE_LINE)]] = Field(
        min_length=1, max_length=5000
    )
    reason: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00]+$")


class FindingPublic(BaseModel):
    """One finding of the pre-check: student (platform id, name, class, seat — never a national ID),
    sheet, row, field and rule."""

    seq: int
    student_id: str
    student_name: str | None
    class_name: str | None
    seat_number: int | None
    sheet: str | None
    row: int | None
    field: str | None
    rule: str
    domain_rule: str | None
    message: str
    source_id: str | None


class ExclusionPublic(BaseModel):
    student_id: str
    excluded_by: str
    excluded_at: UtcTimestamp
    reason: str


class CheckReport(BaseModel):
    batch: BatchPublic
    findings: list[FindingPublic]
    exclusions: list[ExclusionPublic]
