"""Tables of receipts (收訖明細), their reconciled items, each student's answer and the objections
(R-SUB-5..9). Registered on the service's one ``metadata`` (imported by ``adapters.orm``).

A receipt row also holds its confirmation window: the window's open/closed state is the row the
closing job and every answer lock, so a confirmation racing the close has one outcome.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from .orm import metadata

receipts = Table(
    "receipts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("school_id", String(64), nullable=False),
    Column("batch_id", String(64), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("school_code", String(20), nullable=False),
    Column("academic_year", Integer, nullable=False),
    Column("semester", Integer, nullable=False),
    Column("source", String(10), nullable=False),  # central | file
    Column("central_submission_id", String(100), nullable=True),
    Column("file_name", String(255), nullable=True),
    Column("file_sha256", String(64), nullable=True),
    Column("imported_by", String(64), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("student_count", Integer, nullable=False),
    Column("item_count", Integer, nullable=False),
    Column("counts", JSON, nullable=False),
    # imported → window_open → closed → completed
    Column("status", String(20), nullable=False),
    Column("first_day", Date, nullable=True),
    Column("last_day", Date, nullable=True),
    Column("time_zone", String(64), nullable=True),
    Column("opens_at", DateTime(timezone=True), nullable=True),
    Column("closes_at", DateTime(timezone=True), nullable=True),
    Column("announced_by", String(64), nullable=True),
    Column("announced_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("deemed_count", Integer, nullable=True),
    Column("completed_by", String(64), nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("batch_id", name="uq_receipts_batch_id"),
    Index("ix_receipts_school_id", "school_id"),
    Index("ix_receipts_status_closes_at", "status", "closes_at"),
)

receipt_items = Table(
    "receipt_items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("receipt_id", String(36), ForeignKey("receipts.id"), nullable=False),
    Column("student_user_id", String(64), nullable=True),  # None: not ours
    Column("sheet", String(100), nullable=False),
    Column("row", Integer, nullable=True),
    Column("item_ref", String(64), nullable=True),
    Column("summary", String(500), nullable=False),
    Column("status", String(30), nullable=False),
    Column("files", JSON, nullable=False),
    Column("differing_fields", JSON, nullable=False),
    Index("ix_receipt_items_receipt_student", "receipt_id", "student_user_id"),
)

receipt_students = Table(
    "receipt_students",
    metadata,
    Column("receipt_id", String(36), ForeignKey("receipts.id"), primary_key=True),
    Column("student_user_id", String(64), primary_key=True),
    Column("left_school", Boolean, nullable=False),
    Column("answer", String(20), nullable=False),  # pending | confirmed | objected | deemed
    Column("channel", String(20), nullable=True),  # platform | post | deemed
    Column("answered_at", DateTime(timezone=True), nullable=True),
    Column("recorded_by", String(64), nullable=True),  # the student, or staff for a mailed answer
    Column("letter_dated", Date, nullable=True),  # the mailed answer's date (R-SUB-9)
    Column("letter_requested_at", DateTime(timezone=True), nullable=True),
    Index("ix_receipt_students_answer", "receipt_id", "answer"),
)

objections = Table(
    "objections",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("receipt_id", String(36), ForeignKey("receipts.id"), nullable=False),
    Column("school_id", String(64), nullable=False),
    Column("student_user_id", String(64), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("duty_code", String(40), nullable=False),
    Column("routed_to", String(64), nullable=True),
    Column("routed_is_delegate", Boolean, nullable=False),
    Column("on_behalf_of", String(64), nullable=True),
    Column("reason", String(500), nullable=False),
    Column("item_ids", JSON, nullable=False),
    Column("attachment_key", String(300), nullable=True),
    Column("attachment_sha256", String(64), nullable=True),
    Column("raised_by", String(64), nullable=False),
    Column("channel", String(20), nullable=False),  # platform | post
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),  # open | corrected | rejected
    Column("resolution", String(500), nullable=True),
    Column("resolved_by", String(64), nullable=True),
    Column("resolved_on_behalf_of", String(64), nullable=True),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("correction_batch_id", String(64), nullable=True),
    Index("ix_objections_receipt_id", "receipt_id"),
    Index("ix_objections_school_status", "school_id", "status"),
)

# A correction batch's link to the batch it corrects (``correction_of``) and its scope: only the
# students and items an objection named (R-SUB-8). ``content.gather`` keeps only these rows, so the
# pre-check and the package see the same narrowed content.
correction_scopes = Table(
    "correction_scopes",
    metadata,
    Column("batch_id", String(36), primary_key=True),
    Column("correction_of", String(36), nullable=False),
    Column("objection_id", String(36), nullable=True),
    Column("student_ids", JSON, nullable=False),  # records' student ids
    Column("item_refs", JSON, nullable=False),  # the rows' source ids (outcome, grade, cadre record …)
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_correction_scopes_correction_of", "correction_of"),
)
