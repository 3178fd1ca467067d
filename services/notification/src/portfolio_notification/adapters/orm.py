"""Tables of the notification service's own database (mapping lives here, away from the domain)."""

import sqlalchemy as sa

from portfolio_shared.messaging import service_metadata
from portfolio_shared.retention import sealed_students_table

metadata, outbox, inbox = service_metadata()

# Read copy of the people this service reaches (event-carried state, never another service's DB).
# Contact data is encrypted at rest (adapters/crypto.py); the API masks it and no log line holds it.
contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("school_id", sa.String(64), nullable=True, index=True),
    sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("kind", sa.String(16), nullable=False, server_default="student"),
    sa.Column("left_school", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("email_enc", sa.Text, nullable=True),
    sa.Column("postal_enc", sa.Text, nullable=True),
    sa.Column("email_reminders", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
)

# Copies of records' phase windows (R-SCHED-1): reminders are computed from these.
windows = sa.Table(
    "windows",
    metadata,
    sa.Column("school_id", sa.String(64), primary_key=True),
    sa.Column("academic_year", sa.Integer, primary_key=True),
    sa.Column("semester", sa.Integer, primary_key=True),
    sa.Column("phase", sa.String(32), primary_key=True),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),  # newest event wins (out of order)
)

# Copies of records' teacher assignments: who certifies a course's outcomes (R-ART-3, R-REC-2).
course_teachers = sa.Table(
    "course_teachers",
    metadata,
    sa.Column("course_id", sa.String(64), primary_key=True),
    sa.Column("school_id", sa.String(64), nullable=False),
    sa.Column("certifier_user_ids", sa.JSON, nullable=False),
    sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
)

# Copies of artifacts' outcome / performance states, to count what is still uncertified or unselected.
artifact_copies = sa.Table(
    "artifact_copies",
    metadata,
    sa.Column("artifact_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # outcome | performance
    sa.Column("school_id", sa.String(64), nullable=False),
    sa.Column("student_user_id", sa.String(64), nullable=False),
    sa.Column("course_id", sa.String(64), nullable=True),
    sa.Column("academic_year", sa.Integer, nullable=True),
    sa.Column("semester", sa.Integer, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # uploaded | certified | returned | withdrawn
    sa.Column("selected", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("selected_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_artifact_copies_school_status", "school_id", "status"),
)

# Copies of submission's receipts: the students concerned and the confirmation window (R-SUB-5..7).
receipts = sa.Table(
    "receipts",
    metadata,
    sa.Column("receipt_id", sa.String(64), primary_key=True),
    sa.Column("school_id", sa.String(64), nullable=False),
    sa.Column("student_user_ids", sa.JSON, nullable=True),
    sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
)

# Copies of identity's duties: who acts for an office (R-DUTY-1, R-DUTY-2).
duties = sa.Table(
    "duties",
    metadata,
    sa.Column("school_id", sa.String(64), primary_key=True),
    sa.Column("duty_code", sa.String(64), primary_key=True),
    sa.Column("responsible_user_ids", sa.JSON, nullable=False),
    sa.Column("delegate_user_ids", sa.JSON, nullable=False),
    sa.Column("acting_user_id", sa.String(64), nullable=True),
)

school_settings = sa.Table(
    "school_settings",
    metadata,
    sa.Column("school_id", sa.String(64), primary_key=True),
    sa.Column("reminder_days", sa.Integer, nullable=False),
    sa.Column("school_name", sa.String(200), nullable=False),
    sa.Column("return_address", sa.String(300), nullable=False),
)

template_overrides = sa.Table(
    "template_overrides",
    metadata,
    sa.Column("school_id", sa.String(64), primary_key=True),
    sa.Column("trigger", sa.String(40), primary_key=True),
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

# One row per (trigger occurrence, recipient, channel): the unique key is what makes every message
# go out once, whatever the number of duplicate events, scheduler runs or replicas.
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("trigger_key", sa.String(200), nullable=False),
    sa.Column("recipient_user_id", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("trigger", sa.String(40), nullable=False),
    sa.Column("school_id", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    # inbox: sent; email: pending → sent | failed; postal: ready (in the batch PDF) | failed
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_error", sa.String(300), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("trigger_key", "recipient_user_id", "channel"),
    sa.Index("ix_deliveries_due", "channel", "status", "next_attempt_at"),
    sa.Index("ix_deliveries_recipient", "recipient_user_id", "channel", "created_at"),
)

# A lease row per scheduled job, so only one replica runs the reminders at a time.
job_leases = sa.Table(
    "job_leases",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

# Graduates sealed by records (R-RET-1): no reminders for them; revision 0004.
sealed_students = sealed_students_table(metadata)
