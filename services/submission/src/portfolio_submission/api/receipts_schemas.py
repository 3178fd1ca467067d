"""Typed bodies and answers of the receipt and objection routes (R-SUB-5..9)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from portfolio_shared.timefmt import SchoolTimestamp, UtcTimestamp

ItemStatusName = Literal["received_identical", "received_different", "missing", "not_ours"]
AnswerName = Literal["pending", "confirmed", "objected", "deemed"]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ReceiptCounts(_Out):
    received_identical: int
    received_different: int
    missing: int
    not_ours: int


class WindowPublic(_Out):
    first_day: date
    last_day: date
    time_zone: str
    opens_at: SchoolTimestamp
    closes_at: SchoolTimestamp
    announced_by: str
    announced_at: UtcTimestamp


class ReceiptPublic(_Out):
    id: str
    school_id: str
    batch_id: str
    kind: str
    academic_year: int
    semester: int
    source: Literal["central", "file"]
    file_name: str | None
    imported_by: str
    imported_at: UtcTimestamp
    student_count: int
    item_count: int
    counts: ReceiptCounts
    status: Literal["imported", "window_open", "closed", "completed"]
    window: WindowPublic | None
    closed_at: UtcTimestamp | None
    deemed_count: int | None
    completed_by: str | None
    completed_at: UtcTimestamp | None


class ReceiptList(_Out):
    items: list[ReceiptPublic]


class FileCheckPublic(_Out):
    column: str
    name: str
    expected_sha256: str | None
    received_sha256: str | None
    identical: bool


class ReceiptItemPublic(_Out):
    id: str
    student_user_id: str | None
    sheet: str
    row: int | None
    item_ref: str | None
    summary: str
    status: ItemStatusName
    files: list[FileCheckPublic]
    differing_fields: list[str]


class ReceiptItemList(_Out):
    items: list[ReceiptItemPublic]


class MyAnswer(_Out):
    answer: AnswerName
    channel: Literal["platform", "post", "deemed"] | None
    answered_at: UtcTimestamp | None
    left_school: bool


class MyReceipt(_Out):
    """What a student sees: their items with a status each, the window and their answer."""

    receipt: ReceiptPublic
    answer: MyAnswer
    items: list[ReceiptItemPublic]
    flagged: int = Field(description="items received different or missing")


class MyReceiptSummary(_Out):
    id: str
    kind: str
    academic_year: int
    semester: int
    status: str
    answer: AnswerName
    window: WindowPublic | None


class MyReceiptList(_Out):
    items: list[MyReceiptSummary]


class WindowInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first_day: date = Field(description="First day of the window, in the school's calendar")
    last_day: date = Field(description="Last day of the window (inclusive); at least 3 days in all (R-SUB-6)")


class MailedAnswerInput(BaseModel):
    """An answer that came back by post from a student who left (R-SUB-9)."""

    model_config = ConfigDict(extra="forbid")
    answer: Literal["confirmed", "objected"]
    letter_dated: date = Field(description="The date on the student's reply")
    item_ids: list[str] = Field(default_factory=list, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)


class StudentAnswerPublic(_Out):
    receipt_id: str
    student_user_id: str
    answer: AnswerName
    channel: Literal["platform", "post", "deemed"] | None
    answered_at: UtcTimestamp | None
    recorded_by: str | None
    letter_dated: date | None
    left_school: bool


class ReportRow(_Out):
    receipt_id: str
    batch_id: str
    kind: str
    academic_year: int
    semester: int
    status: str
    students: int
    pending: int
    confirmed: int
    deemed: int
    objected: int
    objections_open: int
    objections_resolved: int


class SchoolReport(_Out):
    school_id: str
    receipts: list[ReportRow]


class ObjectionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_ids: list[str] = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    attachment_key: str | None = Field(default=None, max_length=300)


class AttachmentInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content_type: Literal["application/pdf", "image/jpeg", "image/png"]
    size: int = Field(gt=0, le=4 * 1024 * 1024)


class AttachmentUpload(_Out):
    attachment_key: str
    url: str
    method: str
    headers: dict[str, str]
    expires_in: int


class ObjectionPublic(_Out):
    id: str
    receipt_id: str
    school_id: str
    student_user_id: str
    kind: str
    duty_code: str
    routed_to: str | None
    routed_is_delegate: bool
    on_behalf_of: str | None
    reason: str
    item_ids: list[str]
    attachment_key: str | None
    attachment_sha256: str | None
    raised_by: str
    channel: Literal["platform", "post"]
    raised_at: UtcTimestamp
    status: Literal["open", "corrected", "rejected"]
    resolution: str | None
    resolved_by: str | None
    resolved_on_behalf_of: str | None
    resolved_at: UtcTimestamp | None
    correction_batch_id: str | None


class ObjectionList(_Out):
    items: list[ObjectionPublic]


class RejectionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class CorrectionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=500)
