"""Receipts (收訖明細), reconciled items, students' answers and objections (R-SUB-5..9).

Revision ID: 0005
Revises: 0004

Spelled out here rather than built from ``adapters.orm`` so that this revision stays what it was
when later revisions change the tables. Plain ``sa`` types: runs on PostgreSQL and SQLite.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "receipts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("batch_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("school_code", sa.String(20), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("central_submission_id", sa.String(100), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("imported_by", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("student_count", sa.Integer(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=True),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("announced_by", sa.String(64), nullable=True),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deemed_count", sa.Integer(), nullable=True),
        sa.Column("completed_by", sa.String(64), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_receipts"),
        sa.UniqueConstraint("batch_id", name="uq_receipts_batch_id"),
    )
    op.create_index("ix_receipts_school_id", "receipts", ["school_id"])
    op.create_index("ix_receipts_status_closes_at", "receipts", ["status", "closes_at"])
    op.create_table(
        "receipt_items",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("receipt_id", sa.String(36), nullable=False),
        sa.Column("student_user_id", sa.String(64), nullable=True),
        sa.Column("sheet", sa.String(100), nullable=False),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("item_ref", sa.String(64), nullable=True),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("differing_fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"], name="fk_receipt_items_receipt_id_receipts"),
        sa.PrimaryKeyConstraint("id", name="pk_receipt_items"),
    )
    op.create_index("ix_receipt_items_receipt_student", "receipt_items", ["receipt_id", "student_user_id"])
    op.create_table(
        "receipt_students",
        sa.Column("receipt_id", sa.String(36), nullable=False),
        sa.Column("student_user_id", sa.String(64), nullable=False),
        sa.Column("left_school", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(64), nullable=True),
        sa.Column("letter_dated", sa.Date(), nullable=True),
        sa.Column("letter_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"], name="fk_receipt_students_receipt_id_receipts"),
        sa.PrimaryKeyConstraint("receipt_id", "student_user_id", name="pk_receipt_students"),
    )
    op.create_index("ix_receipt_students_answer", "receipt_students", ["receipt_id", "answer"])
    op.create_table(
        "objections",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("receipt_id", sa.String(36), nullable=False),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("student_user_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("duty_code", sa.String(40), nullable=False),
        sa.Column("routed_to", sa.String(64), nullable=True),
        sa.Column("routed_is_delegate", sa.Boolean(), nullable=False),
        sa.Column("on_behalf_of", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("attachment_key", sa.String(300), nullable=True),
        sa.Column("attachment_sha256", sa.String(64), nullable=True),
        sa.Column("raised_by", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("resolution", sa.String(500), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolved_on_behalf_of", sa.String(64), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("correction_batch_id", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"], name="fk_objections_receipt_id_receipts"),
        sa.PrimaryKeyConstraint("id", name="pk_objections"),
    )
    op.create_index("ix_objections_receipt_id", "objections", ["receipt_id"])
    op.create_index("ix_objections_school_status", "objections", ["school_id", "status"])
    op.create_table(
        "correction_scopes",
        sa.Column("batch_id", sa.String(36), nullable=False),
        sa.Column("correction_of", sa.String(36), nullable=False),
        sa.Column("objection_id", sa.String(36), nullable=True),
        sa.Column("student_ids", sa.JSON(), nullable=False),
        sa.Column("item_refs", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name="pk_correction_scopes"),
    )
    op.create_index("ix_correction_scopes_correction_of", "correction_scopes", ["correction_of"])


def downgrade() -> None:
    op.drop_table("correction_scopes")
    op.drop_table("objections")
    op.drop_table("receipt_students")
    op.drop_table("receipt_items")
    op.drop_table("receipts")
