"""Submission core (issue 11): central windows, batches with their exclusions and pre-check
findings, the audit chain, and the read copies of identity, records and artifacts.

Revision ID: 0003
Revises: 0002

Spelled out here rather than built from ``adapters.orm`` so that this revision stays what it was
when later revisions change a table. Plain ``sa`` types: runs on PostgreSQL and SQLite.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_school_at", "audit_log", ["school_id", "at"], unique=False)
    op.create_index("ux_audit_log_seq", "audit_log", ["seq"], unique=True)
    op.create_table(
        "batch_exclusions",
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("excluded_by", sa.String(length=64), nullable=False),
        sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "student_id", name=op.f("pk_batch_exclusions")),
    )
    op.create_table(
        "batch_findings",
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("student_name", sa.String(length=100), nullable=True),
        sa.Column("class_name", sa.String(length=40), nullable=True),
        sa.Column("seat_number", sa.Integer(), nullable=True),
        sa.Column("sheet", sa.String(length=50), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("domain_rule", sa.String(length=20), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("batch_id", "seq", name=op.f("pk_batch_findings")),
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_by", sa.String(length=64), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=True),
        sa.Column("student_count", sa.Integer(), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.Column("submitted_by", sa.String(length=64), nullable=True),
        sa.Column("on_behalf_of", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_batches_idempotency_key")),
    )
    op.create_index(
        "ix_batches_school_kind_term", "batches", ["school_id", "kind", "academic_year", "semester"], unique=False
    )
    op.create_index("ix_batches_status", "batches", ["status"], unique=False)
    op.create_table(
        "central_windows",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_windows")),
    )
    op.create_index(
        "ix_central_windows_school_kind_term",
        "central_windows",
        ["school_id", "kind", "academic_year", "semester"],
        unique=False,
    )
    op.create_table(
        "rc_absences",
        sa.Column("absence_key", sa.String(length=200), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("cleared", sa.Boolean(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("absence_key", name=op.f("pk_rc_absences")),
    )
    op.create_index("ix_rc_absences_school_user", "rc_absences", ["school_id", "user_id"], unique=False)
    op.create_table(
        "rc_cadres",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_rc_cadres")),
    )
    op.create_index("ix_rc_cadres_school_term", "rc_cadres", ["school_id", "academic_year", "semester"], unique=False)
    op.create_table(
        "rc_courses",
        sa.Column("course_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("course_code", sa.String(length=40), nullable=False),
        sa.Column("subject_name", sa.String(length=100), nullable=False),
        sa.Column("credits", sa.Numeric(precision=4, scale=1), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_rc_courses")),
    )
    op.create_table(
        "rc_duties",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("duty_code", sa.String(length=40), nullable=False),
        sa.Column("responsible_user_ids", sa.JSON(), nullable=False),
        sa.Column("delegate_user_ids", sa.JSON(), nullable=False),
        sa.Column("order_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acting_user_id", sa.String(length=64), nullable=True),
        sa.Column("acting_is_delegate", sa.Boolean(), nullable=False),
        sa.Column("acting_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("school_id", "duty_code", name=op.f("pk_rc_duties")),
    )
    op.create_table(
        "rc_file_problems",
        sa.Column("file_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("problem", sa.String(length=10), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_rc_file_problems")),
    )
    op.create_index(op.f("ix_rc_file_problems_item_id"), "rc_file_problems", ["item_id"], unique=False)
    op.create_table(
        "rc_grade_years",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "student_id", "academic_year", name=op.f("pk_rc_grade_years")),
    )
    op.create_table(
        "rc_items",
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("item_kind", sa.String(length=12), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_user_id", sa.String(length=64), nullable=False),
        sa.Column("course_id", sa.String(length=64), nullable=True),
        sa.Column("academic_year", sa.Integer(), nullable=True),
        sa.Column("semester", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.Column("files", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("selected_year", sa.Integer(), nullable=True),
        sa.Column("selection_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_rc_items")),
    )
    op.create_index("ix_rc_items_school_kind", "rc_items", ["school_id", "item_kind", "academic_year"], unique=False)
    op.create_table(
        "rc_schools",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("school_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_rc_schools")),
    )
    op.create_table(
        "rc_students",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("class_name", sa.String(length=40), nullable=False),
        sa.Column("seat_number", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_since", sa.Date(), nullable=True),
        sa.Column("enrolled_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("sealed_personal_data", sa.Text(), nullable=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "student_id", name=op.f("pk_rc_students")),
    )
    op.create_index("ix_rc_students_user", "rc_students", ["user_id"], unique=False)
    op.create_table(
        "rc_term_grades",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "student_id", "academic_year", "semester", name=op.f("pk_rc_term_grades")),
    )
    op.create_table(
        "rc_users",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_rc_users")),
    )


def downgrade() -> None:
    op.drop_table("rc_users")
    op.drop_table("rc_term_grades")
    op.drop_index("ix_rc_students_user", table_name="rc_students")
    op.drop_table("rc_students")
    op.drop_table("rc_schools")
    op.drop_index("ix_rc_items_school_kind", table_name="rc_items")
    op.drop_table("rc_items")
    op.drop_table("rc_grade_years")
    op.drop_index(op.f("ix_rc_file_problems_item_id"), table_name="rc_file_problems")
    op.drop_table("rc_file_problems")
    op.drop_table("rc_duties")
    op.drop_table("rc_courses")
    op.drop_index("ix_rc_cadres_school_term", table_name="rc_cadres")
    op.drop_table("rc_cadres")
    op.drop_index("ix_rc_absences_school_user", table_name="rc_absences")
    op.drop_table("rc_absences")
    op.drop_index("ix_central_windows_school_kind_term", table_name="central_windows")
    op.drop_table("central_windows")
    op.drop_index("ix_batches_status", table_name="batches")
    op.drop_index("ix_batches_school_kind_term", table_name="batches")
    op.drop_table("batches")
    op.drop_table("batch_findings")
    op.drop_table("batch_exclusions")
    op.drop_index("ux_audit_log_seq", table_name="audit_log")
    op.drop_index("ix_audit_log_school_at", table_name="audit_log")
    op.drop_table("audit_log")
