"""Notification tables: read copies (contacts encrypted, windows, certifiers, artifacts, receipts,
duties), school settings and wording, deliveries with their (trigger, recipient, channel) key, and
the scheduler's lease.

Revision ID: 0003
Revises: 0002

Spelled out here rather than built from ``adapters.orm`` so that this revision stays what it was
when later revisions change the tables. Plain ``sa`` types: runs on PostgreSQL and SQLite.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("school_id", sa.String(64), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("kind", sa.String(16), nullable=False, server_default="student"),
        sa.Column("left_school", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("email_enc", sa.Text, nullable=True),
        sa.Column("postal_enc", sa.Text, nullable=True),
        sa.Column("email_reminders", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_contacts_school_id", "contacts", ["school_id"])
    op.create_table(
        "windows",
        sa.Column("school_id", sa.String(64), primary_key=True),
        sa.Column("academic_year", sa.Integer, primary_key=True),
        sa.Column("semester", sa.Integer, primary_key=True),
        sa.Column("phase", sa.String(32), primary_key=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "course_teachers",
        sa.Column("course_id", sa.String(64), primary_key=True),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("certifier_user_ids", sa.JSON, nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "artifact_copies",
        sa.Column("artifact_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("student_user_id", sa.String(64), nullable=False),
        sa.Column("course_id", sa.String(64), nullable=True),
        sa.Column("academic_year", sa.Integer, nullable=True),
        sa.Column("semester", sa.Integer, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("selected", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("selected_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_artifact_copies_school_status", "artifact_copies", ["school_id", "status"])
    op.create_table(
        "receipts",
        sa.Column("receipt_id", sa.String(64), primary_key=True),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("student_user_ids", sa.JSON, nullable=True),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "duties",
        sa.Column("school_id", sa.String(64), primary_key=True),
        sa.Column("duty_code", sa.String(64), primary_key=True),
        sa.Column("responsible_user_ids", sa.JSON, nullable=False),
        sa.Column("delegate_user_ids", sa.JSON, nullable=False),
        sa.Column("acting_user_id", sa.String(64), nullable=True),
    )
    op.create_table(
        "school_settings",
        sa.Column("school_id", sa.String(64), primary_key=True),
        sa.Column("reminder_days", sa.Integer, nullable=False),
        sa.Column("school_name", sa.String(200), nullable=False),
        sa.Column("return_address", sa.String(300), nullable=False),
    )
    op.create_table(
        "template_overrides",
        sa.Column("school_id", sa.String(64), primary_key=True),
        sa.Column("trigger", sa.String(40), primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("trigger_key", sa.String(200), nullable=False),
        sa.Column("recipient_user_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(40), nullable=False),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("trigger_key", "recipient_user_id", "channel"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["channel", "status", "next_attempt_at"])
    op.create_index("ix_deliveries_recipient", "deliveries", ["recipient_user_id", "channel", "created_at"])
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "job_leases",
        "deliveries",
        "template_overrides",
        "school_settings",
        "duties",
        "receipts",
        "artifact_copies",
        "course_teachers",
        "windows",
        "contacts",
    ):
        op.drop_table(table)
