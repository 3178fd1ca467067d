"""Events published by the submission service (central database batches, receipts, confirmation)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from .base import EventPayload, event

DataKind = Literal["enrolment", "grades", "cadre", "outcomes", "performances"]


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


@event("submission.confirmation.window_opened")
class ConfirmationWindowOpened(EventPayload):
    school_id: str
    receipt_id: str
    opens_at: datetime
    closes_at: datetime


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


@event("submission.objection.resolved")
class ObjectionResolved(EventPayload):
    objection_id: str
    school_id: str
    student_user_id: str
    resolved_by: str
