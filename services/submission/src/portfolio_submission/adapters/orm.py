"""Tables of the submission service's own database (mapping lives here, away from the domain).

Three groups: the service's own data (central windows, batches, their exclusions and pre-check
findings, the audit chain), its read copies of other services' facts (``rc_*``, written only by
``consumers.py``), and plumbing (outbox, inbox). Read copies carry ``event_at`` (the newest fact
applied), so redelivered or out-of-order events leave the right state.

Revision 0003 created every table here; its migration is written out, and tests/test_migrations.py
checks that the two agree. No read copy holds a national ID in clear: the personal fields of the
workbooks are kept as records sealed them, for this service's private key alone.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
)

from portfolio_shared.audit import chain_columns
from portfolio_shared.messaging import service_metadata
from portfolio_shared.retention import sealed_students_table

metadata, outbox, inbox = service_metadata()

ID = String(64)  # an id from another service (school, user, student, course, outcome …)
TS = DateTime(timezone=True)

# -- own data -----------------------------------------------------------------------------------
# The central database's windows (提交期程), entered per school year by staff (R-SUB-1..3).
central_windows = Table(
    "central_windows",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("school_id", ID, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("academic_year", Integer, nullable=False),
    Column("semester", Integer, nullable=False),  # 0: a yearly window (outcomes, performances)
    Column("opens_at", TS, nullable=False),
    Column("closes_at", TS, nullable=False),
    Column("label", String(100), nullable=False),
    Column("created_by", ID, nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_central_windows_school_kind_term", "school_id", "kind", "academic_year", "semester"),
)

batches = Table(
    "batches",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("school_id", ID, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("academic_year", Integer, nullable=False),
    Column("semester", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),  # optimistic concurrency: every change bumps it
    Column("label", String(100), nullable=False),
    Column("created_by", ID, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("checked_at", TS, nullable=True),
    Column("checked_by", ID, nullable=True),
    Column("error_count", Integer, nullable=True),  # of the last pre-check (None: never checked)
    Column("student_count", Integer, nullable=True),
    Column("row_count", Integer, nullable=True),
    Column("submitted_by", ID, nullable=True),
    Column("on_behalf_of", ID, nullable=True),
    Column("submitted_at", TS, nullable=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),  # one per batch, for the central db
    Column("failure_reason", Text, nullable=True),
    Index("ix_batches_school_kind_term", "school_id", "kind", "academic_year", "semester"),
    Index("ix_batches_status", "status"),
)

# Students left out of a batch explicitly: who, when, why (recorded, never silent).
batch_exclusions = Table(
    "batch_exclusions",
    metadata,
    Column("batch_id", String(36), primary_key=True),
    Column("student_id", ID, primary_key=True),
    Column("excluded_by", ID, nullable=False),
    Column("excluded_at", TS, nullable=False),
    Column("reason", String(500), nullable=False),
)

# The findings of a batch's last pre-check (replaced by each check). Never a national ID.
batch_findings = Table(
    "batch_findings",
    metadata,
    Column("batch_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("student_id", ID, nullable=False),
    Column("student_name", String(100), nullable=True),
    Column("class_name", String(40), nullable=True),
    Column("seat_number", Integer, nullable=True),
    Column("sheet", String(50), nullable=True),
    Column("row_number", Integer, nullable=True),
    Column("field", String(100), nullable=True),
    Column("rule", String(40), nullable=False),
    Column("domain_rule", String(20), nullable=True),
    Column("message", String(500), nullable=False),
    Column("source_id", ID, nullable=True),
)

# -- audit (R-RET-3): who did what to a window or a batch, when; same transaction as the change ---
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("school_id", ID, nullable=False),
    Column("actor", ID, nullable=False),
    Column("action", String(60), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_id", String(100), nullable=False),
    Column("at", TS, nullable=False),
    Column("details", JSON, nullable=False),  # never a national ID
    *chain_columns("audit_log"),
    Index("ix_audit_log_school_at", "school_id", "at"),
)

# -- read copies: identity ------------------------------------------------------------------------
rc_schools = Table(
    "rc_schools",
    metadata,
    Column("school_id", ID, primary_key=True),
    Column("school_code", String(6), nullable=False),  # 學校代碼: the header sheet of every workbook
    Column("name", String(200), nullable=False),
    Column("event_at", TS, nullable=False),
)

rc_users = Table(
    "rc_users",
    metadata,
    Column("user_id", ID, primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("event_at", TS, nullable=False),
)

# Per school and Annex-1 duty: responsible persons, delegates and who acts now (R-DUTY-1, R-DUTY-2).
rc_duties = Table(
    "rc_duties",
    metadata,
    Column("school_id", ID, primary_key=True),
    Column("duty_code", String(40), primary_key=True),
    Column("responsible_user_ids", JSON, nullable=False),
    Column("delegate_user_ids", JSON, nullable=False),
    Column("order_event_at", TS, nullable=True),
    Column("acting_user_id", ID, nullable=True),
    Column("acting_is_delegate", Boolean, nullable=False),
    Column("acting_event_at", TS, nullable=True),
)

rc_absences = Table(
    "rc_absences",
    metadata,
    Column("absence_key", String(200), primary_key=True),  # identity's absence id, else user/days
    Column("school_id", ID, nullable=False),
    Column("user_id", ID, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("cleared", Boolean, nullable=False),
    Column("event_at", TS, nullable=False),
    Index("ix_rc_absences_school_user", "school_id", "user_id"),
)

# -- read copies: records ---------------------------------------------------------------------------
# A student's enrolment at one school (a transfer makes two rows, one per school).
rc_students = Table(
    "rc_students",
    metadata,
    Column("school_id", ID, primary_key=True),
    Column("student_id", ID, primary_key=True),
    Column("user_id", ID, nullable=True),
    Column("grade", Integer, nullable=False),
    Column("class_name", String(40), nullable=False),
    Column("seat_number", Integer, nullable=True),
    Column("status", String(32), nullable=False),
    Column("status_since", Date, nullable=True),
    Column("enrolled_on", Date, nullable=True),  # first day at this school (R-DATA-6)
    Column("left_on", Date, nullable=True),  # last change that ended the enrolment here (R-DATA-6)
    # National ID, name, birth date: as records sealed them for this service (portfolio_shared.sealing).
    Column("sealed_personal_data", Text, nullable=True),
    Column("event_at", TS, nullable=False),
    Index("ix_rc_students_user", "user_id"),
)

# The grade level per academic year (R-SUB-3 depends on grade 3 and on graduation).
rc_grade_years = Table(
    "rc_grade_years",
    metadata,
    Column("school_id", ID, primary_key=True),
    Column("student_id", ID, primary_key=True),
    Column("academic_year", Integer, primary_key=True),
    Column("grade", Integer, nullable=False),
    Column("event_at", TS, nullable=False),
)

rc_courses = Table(
    "rc_courses",
    metadata,
    Column("course_id", ID, primary_key=True),
    Column("school_id", ID, nullable=False),
    Column("academic_year", Integer, nullable=False),
    Column("semester", Integer, nullable=False),
    Column("course_code", String(40), nullable=False),
    Column("subject_name", String(100), nullable=False),
    Column("credits", Numeric(4, 1), nullable=False),
    Column("event_at", TS, nullable=False),
)

# One row per student and term: the grades as records last published them (R-DATA-2).
rc_term_grades = Table(
    "rc_term_grades",
    metadata,
    Column("school_id", ID, primary_key=True),
    Column("student_id", ID, primary_key=True),
    Column("academic_year", Integer, primary_key=True),
    Column("semester", Integer, primary_key=True),
    Column("grades", JSON, nullable=False),
    Column("event_at", TS, nullable=False),
)

rc_cadres = Table(
    "rc_cadres",
    metadata,
    Column("record_id", ID, primary_key=True),
    Column("school_id", ID, nullable=False),
    Column("student_id", ID, nullable=False),
    Column("academic_year", Integer, nullable=False),
    Column("semester", Integer, nullable=False),
    Column("level", String(10), nullable=False),
    Column("title", String(100), nullable=False),
    Column("unit", String(100), nullable=True),
    Column("starts_on", Date, nullable=True),
    Column("ends_on", Date, nullable=True),
    Column("event_at", TS, nullable=False),
    Index("ix_rc_cadres_school_term", "school_id", "academic_year", "semester"),
)

# Graduates records sealed (R-RET-1): their answers are refused; the row stays after the deletion.
sealed_students = sealed_students_table(metadata)

# -- read copies: artifacts -------------------------------------------------------------------------
# Course outcomes and multiple performances in one table (``item_kind``): their content (latest
# upload), their status (uploaded → certified / returned / withdrawn) and their selection, each
# guarded by its own event time.
rc_items = Table(
    "rc_items",
    metadata,
    Column("item_id", ID, primary_key=True),
    Column("item_kind", String(12), nullable=False),  # outcome | performance
    Column("school_id", ID, nullable=False),
    Column("student_user_id", ID, nullable=False),
    Column("course_id", ID, nullable=True),
    Column("academic_year", Integer, nullable=True),
    Column("semester", Integer, nullable=True),
    Column("category", String(60), nullable=True),
    Column("description", String(1000), nullable=True),
    Column("fields", JSON, nullable=True),
    Column("files", JSON, nullable=True),  # [{file_id, slot, object_key, filename, size, sha256, mime}]
    Column("version", Integer, nullable=False),
    Column("content_event_at", TS, nullable=True),
    Column("status", String(12), nullable=False),  # unknown | uploaded | certified | returned | withdrawn
    Column("status_event_at", TS, nullable=True),
    Column("selected", Boolean, nullable=False),
    Column("selected_year", Integer, nullable=True),
    Column("selection_event_at", TS, nullable=True),
    Index("ix_rc_items_school_kind", "school_id", "item_kind", "academic_year"),
)

# Files the integrity check found missing or altered, until a new version replaces them (R-FILE-1).
rc_file_problems = Table(
    "rc_file_problems",
    metadata,
    Column("file_id", ID, primary_key=True),
    Column("item_id", ID, nullable=False, index=True),
    Column("problem", String(10), nullable=False),
    Column("event_at", TS, nullable=False),
)

__all__ = [
    "audit_log",
    "batch_exclusions",
    "batch_findings",
    "batches",
    "central_windows",
    "inbox",
    "metadata",
    "outbox",
    "rc_absences",
    "rc_cadres",
    "rc_courses",
    "rc_duties",
    "rc_file_problems",
    "rc_grade_years",
    "rc_items",
    "rc_schools",
    "rc_students",
    "rc_term_grades",
    "rc_users",
    "sealed_students",
]

from . import central_tables as _central_tables  # noqa: E402, F401 - sending's tables on this metadata

# Receipts, confirmation and objections (R-SUB-5..9) register their tables on this metadata.
from . import receipts_orm as _receipts_orm  # noqa: E402,F401
