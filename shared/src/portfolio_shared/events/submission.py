"""Events published by the submission service (central database batches, receipts, confirmation)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import EventPayload, event

# The kinds of data submitted, named as the central database's workbooks are (portfolio_central's
# layout kinds): the one vocabulary of kinds on the bus, in submission and in notification.
DataKind = Literal["basic_data", "grades", "cadre_records", "course_outcomes", "performances"]
DATA_KINDS: tuple[DataKind, ...] = ("basic_data", "grades", "cadre_records", "course_outcomes", "performances")

# Which office submits which kind (R-SUB-4): identity's Annex-1 duty codes. Registry: enrolment data
# and grades; activities section: cadre records; IT section: course outcomes; guidance data section:
# multiple performances. The one mapping (submission authorises by it, notification routes by it).
SUBMITTING_DUTY: dict[str, str] = {
    "basic_data": "enrolment",
    "grades": "grades",
    "cadre_records": "cadre",
    "course_outcomes": "outcome_submission",
    "performances": "performance_submission",
}
KIND_TITLES: dict[str, tuple[str, str]] = {
    "basic_data": ("enrolment data", "學籍資料"),
    "grades": ("grades", "成績"),
    "cadre_records": ("cadre records", "幹部經歷"),
    "course_outcomes": ("course outcomes", "課程學習成果"),
    "performances": ("multiple performances", "多元表現"),
}


@event("submission.batch.submitted")
class BatchSubmitted(EventPayload):
    batch_id: str
    school_id: str
    kind: DataKind
    academic_year: int
    semester: int
    item_count: int


@event("submission.batch.failed")
class BatchFailed(EventPayload):
    batch_id: str
    school_id: str
    kind: DataKind
    reason: str
    will_retry: bool


@event("submission.receipt.available")
class ReceiptAvailable(EventPayload):
    """The central database's receipt (收訖明細) is ready for students (R-SUB-5)."""

    receipt_id: str
    batch_id: str
    school_id: str
    student_user_ids: list[str]
    kind: DataKind | None = None
    academic_year: int | None = None
    semester: int | None = None
    flagged_student_user_ids: list[str] = Field(default_factory=list)  # an item received different or missing (R-SUB-5)


@event("submission.confirmation.window_opened")
class ConfirmationWindowOpened(EventPayload):
    school_id: str
    receipt_id: str
    opens_at: datetime
    closes_at: datetime
    first_day: date | None = None  # the window in the school's calendar days (R-SUB-6)
    last_day: date | None = None
    time_zone: str | None = None


@event("submission.confirmation.window_closed")
class ConfirmationWindowClosed(EventPayload):
    """At closing, silence counts as confirmation (R-SUB-7)."""

    school_id: str
    receipt_id: str
    deemed_confirmed_count: int


@event("submission.objection.raised")
class ObjectionRaised(EventPayload):
    objection_id: str
    school_id: str
    student_user_id: str
    kind: DataKind
    receipt_id: str | None = None
    duty_code: str | None = None  # the office that submitted that kind (R-SUB-8)
    acting_user_id: str | None = None  # its acting person now: a delegate when the responsible one is absent (R-DUTY-2)
    acting_is_delegate: bool = False
    on_behalf_of: str | None = None
    item_count: int = 0
    by_post: bool = False  # recorded by staff from a mailed answer (R-SUB-9)


@event("submission.objection.resolved")
class ObjectionResolved(EventPayload):
    objection_id: str
    school_id: str
    student_user_id: str
    resolved_by: str
    receipt_id: str | None = None
    outcome: Literal["corrected", "rejected"] | None = None
    reason: str | None = None  # a rejection's reason, for the student
    correction_batch_id: str | None = None
    on_behalf_of: str | None = None


class FrozenSelection(BaseModel):
    """One student's selected items that went into an accepted batch (platform ids only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    student_user_id: str
    artifact_ids: list[str]


@event("submission.selections.frozen")
class SelectionsFrozen(EventPayload):
    """The central database accepted a batch of course outcomes or multiple performances: artifacts
    locks these selections, so a student cannot deselect what was submitted; a correction goes
    through a correction batch (R-SUB-7, R-SUB-8)."""

    batch_id: str
    school_id: str
    kind: Literal["course_outcomes", "performances"]
    academic_year: int
    selections: list[FrozenSelection]


class LetterItem(BaseModel):
    """One received item as a postal letter lists it: what, and how it compares with what was sent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sheet: str
    summary: str
    status: Literal["received_identical", "received_different", "missing"]
    file_names: list[str] = Field(default_factory=list)


@event("submission.receipt.letter_requested")
class ReceiptLetterRequested(EventPayload):
    """A student whose enrolment ended cannot confirm on the platform: notification prints a postal
    letter (R-SUB-9) with what the central database received, how to answer and by when. The
    address comes from records' ContactAddressSet; never a national ID here."""

    receipt_id: str
    school_id: str
    student_user_id: str
    kind: DataKind
    academic_year: int
    semester: int
    items: list[LetterItem]
    opens_at: datetime
    closes_at: datetime
    first_day: date
    last_day: date
    time_zone: str
    how_to_answer_zh: str
    how_to_answer_en: str


@event("submission.receipt.confirmation_completed")
class ReceiptConfirmationCompleted(EventPayload):
    """The guidance data section completed a receipt's confirmation: every objection settled (R-SUB-8)."""

    receipt_id: str
    school_id: str
    completed_by: str
    confirmed_count: int
    deemed_count: int
    objected_count: int
    resolved_count: int
