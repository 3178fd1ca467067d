"""Outcomes, performances, files, idempotency keys, lock rows and the read copies.

Frozen history (written out, not built from adapters/orm.py): a later change to a table is a new
revision; tests/test_migrations.py checks migrations and code agree.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_user_id", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("object_key", sa.String(length=300), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("declared_content_type", sa.String(length=100), nullable=False),
        sa.Column("declared_size", sa.BigInteger(), nullable=False),
        sa.Column("declared_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("mime", sa.String(length=100), nullable=True),
        sa.Column("refusal", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("integrity", sa.String(length=16), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("object_key", name=op.f("uq_files_object_key")),
    )
    op.create_index("ix_files_owner", "files", ["owner_kind", "owner_id"], unique=False)
    op.create_index("ix_files_status", "files", ["status"], unique=False)
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_user_id", sa.String(length=64), nullable=False),
        sa.Column("course_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("returned_by", sa.String(length=64), nullable=True),
        sa.Column("certified_by", sa.String(length=64), nullable=True),
        sa.Column("on_behalf_of", sa.String(length=64), nullable=True),
        sa.Column("certification_basis", sa.String(length=32), nullable=True),
        sa.Column("certified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_from", sa.String(length=16), nullable=True),
        sa.Column("upload_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
    )
    op.create_index("ix_outcomes_school_course", "outcomes", ["school_id", "course_id", "status"], unique=False)
    op.create_index(
        "ix_outcomes_student_term", "outcomes", ["student_user_id", "academic_year", "semester"], unique=False
    )
    op.create_table(
        "performances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_user_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("catalog_version", sa.String(length=32), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("upload_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performances")),
    )
    op.create_index("ix_performances_school", "performances", ["school_id", "academic_year"], unique=False)
    op.create_index("ix_performances_student_year", "performances", ["student_user_id", "academic_year"], unique=False)
    op.create_table(
        "rc_absences",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("cleared", sa.Boolean(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "school_id", "starts_on", name=op.f("pk_rc_absences")),
    )
    op.create_table(
        "rc_acting",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("duty_code", sa.String(length=64), nullable=False),
        sa.Column("acting_user_id", sa.String(length=64), nullable=True),
        sa.Column("is_delegate", sa.Boolean(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "duty_code", name=op.f("pk_rc_acting")),
    )
    op.create_table(
        "rc_caps",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("outcomes_per_semester", sa.Integer(), nullable=False),
        sa.Column("performances_per_year", sa.Integer(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_rc_caps")),
    )
    op.create_table(
        "rc_course_members",
        sa.Column("course_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("course_id", "user_id", "role", name=op.f("pk_rc_course_members")),
    )
    op.create_index("ix_rc_course_members_user", "rc_course_members", ["user_id", "role"], unique=False)
    op.create_table(
        "rc_courses",
        sa.Column("course_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("teacher_user_ids", sa.JSON(), nullable=False),
        sa.Column("reviewing_teacher_user_id", sa.String(length=64), nullable=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_rc_courses")),
    )
    op.create_table(
        "rc_delegations",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("duty_code", sa.String(length=64), nullable=False),
        sa.Column("responsible_user_ids", sa.JSON(), nullable=False),
        sa.Column("delegate_user_ids", sa.JSON(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "duty_code", name=op.f("pk_rc_delegations")),
    )
    op.create_table(
        "rc_extensions",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("certification_only", sa.Boolean(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "school_id", name=op.f("pk_rc_extensions")),
    )
    op.create_table(
        "rc_on_behalf",
        sa.Column("authorisation_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("teacher_user_id", sa.String(length=64), nullable=False),
        sa.Column("staff_user_id", sa.String(length=64), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("authorisation_id", name=op.f("pk_rc_on_behalf")),
    )
    op.create_index("ix_rc_on_behalf_staff", "rc_on_behalf", ["staff_user_id", "school_id"], unique=False)
    op.create_table(
        "rc_users",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_rc_users")),
    )
    op.create_table(
        "rc_windows",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("self_check_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "academic_year", "semester", "phase", name=op.f("pk_rc_windows")),
    )
    op.create_table(
        "student_locks",
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_student_locks")),
    )


def downgrade() -> None:
    op.drop_table("student_locks")
    op.drop_table("rc_windows")
    op.drop_table("rc_users")
    op.drop_index("ix_rc_on_behalf_staff", table_name="rc_on_behalf")
    op.drop_table("rc_on_behalf")
    op.drop_table("rc_extensions")
    op.drop_table("rc_delegations")
    op.drop_table("rc_courses")
    op.drop_index("ix_rc_course_members_user", table_name="rc_course_members")
    op.drop_table("rc_course_members")
    op.drop_table("rc_caps")
    op.drop_table("rc_acting")
    op.drop_table("rc_absences")
    op.drop_index("ix_performances_student_year", table_name="performances")
    op.drop_index("ix_performances_school", table_name="performances")
    op.drop_table("performances")
    op.drop_index("ix_outcomes_student_term", table_name="outcomes")
    op.drop_index("ix_outcomes_school_course", table_name="outcomes")
    op.drop_table("outcomes")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_files_status", table_name="files")
    op.drop_index("ix_files_owner", table_name="files")
    op.drop_table("files")
