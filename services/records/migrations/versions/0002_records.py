"""Records tables: students and enrolments, course plan, grades, basic data, counselling, calendar, audit.

Plain SQLAlchemy types only, so it runs on PostgreSQL and on SQLite (standalone shape).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "artifact_caps",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("outcomes_per_semester", sa.Integer(), nullable=False),
        sa.Column("performances_per_year", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_artifact_caps")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_school_at", ["school_id", "at"], unique=False)

    op.create_table(
        "courses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("course_code", sa.String(length=40), nullable=False),
        sa.Column("subject_name", sa.String(length=100), nullable=False),
        sa.Column("credits", sa.Numeric(precision=4, scale=1), nullable=False),
        sa.Column("co_taught", sa.Boolean(), nullable=False),
        sa.Column("reviewing_teacher_user_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
        sa.UniqueConstraint("school_id", "academic_year", "semester", "course_code", name="uq_courses_term_code"),
    )
    op.create_table(
        "grade_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.JSON(), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_imports")),
    )
    with op.batch_alter_table("grade_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grade_imports_school_id"), ["school_id"], unique=False)

    op.create_table(
        "phase_windows",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=30), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("self_check_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "academic_year", "semester", "phase", name=op.f("pk_phase_windows")),
    )
    op.create_table(
        "students",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("national_id_encrypted", sa.Text(), nullable=False),
        sa.Column("national_id_kid", sa.String(length=32), nullable=False),
        sa.Column("national_id_index", sa.String(length=64), nullable=False),
        sa.Column("national_id_masked", sa.String(length=16), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_students")),
        sa.UniqueConstraint("national_id_index", name=op.f("uq_students_national_id_index")),
    )
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_students_user_id"), ["user_id"], unique=False)

    op.create_table(
        "cadre_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], name=op.f("fk_cadre_records_student_id_students")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cadre_records")),
    )
    with op.batch_alter_table("cadre_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cadre_records_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cadre_records_student_id"), ["student_id"], unique=False)

    op.create_table(
        "counselling_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("counsellor_user_id", sa.String(length=64), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place_encrypted", sa.Text(), nullable=False),
        sa.Column("content_encrypted", sa.Text(), nullable=False),
        sa.Column("opinions_encrypted", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_counselling_records_student_id_students")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counselling_records")),
    )
    with op.batch_alter_table("counselling_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_counselling_records_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_counselling_records_student_id"), ["student_id"], unique=False)

    op.create_table(
        "course_students",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_course_students_course_id_courses")),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], name=op.f("fk_course_students_student_id_students")),
        sa.PrimaryKeyConstraint("course_id", "student_id", name=op.f("pk_course_students")),
    )
    op.create_table(
        "course_teachers",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("teacher_user_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_course_teachers_course_id_courses")),
        sa.PrimaryKeyConstraint("course_id", "teacher_user_id", name=op.f("pk_course_teachers")),
    )
    op.create_table(
        "enrolment_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("from_school_id", sa.String(length=64), nullable=True),
        sa.Column("to_school_id", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], name=op.f("fk_enrolment_changes_student_id_students")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_changes")),
    )
    with op.batch_alter_table("enrolment_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrolment_changes_student_id"), ["student_id"], unique=False)

    op.create_table(
        "enrolments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("student_number", sa.String(length=20), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("class_name", sa.String(length=40), nullable=False),
        sa.Column("seat_number", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("repeating", sa.Boolean(), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("grade BETWEEN 1 AND 3", name=op.f("ck_enrolments_grade")),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], name=op.f("fk_enrolments_student_id_students")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
        sa.UniqueConstraint("school_id", "student_number", name="uq_enrolments_school_number"),
        sa.UniqueConstraint("student_id", "school_id", name="uq_enrolments_student_school"),
    )
    op.create_table(
        "grades",
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("course_code", sa.String(length=40), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("subject_name", sa.String(length=100), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("makeup_score", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("qualitative", sa.String(length=500), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], name=op.f("fk_grades_student_id_students")),
        sa.PrimaryKeyConstraint("student_id", "academic_year", "semester", "course_code", name=op.f("pk_grades")),
    )
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.create_index("ix_grades_school_term", ["school_id", "academic_year", "semester"], unique=False)

    op.create_table(
        "psych_tests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("test_name", sa.String(length=200), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("result_summary_encrypted", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], name=op.f("fk_psych_tests_student_id_students")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_psych_tests")),
    )
    with op.batch_alter_table("psych_tests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_psych_tests_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_psych_tests_student_id"), ["student_id"], unique=False)

    op.create_table(
        "rewards_punishments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_rewards_punishments_student_id_students")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards_punishments")),
    )
    with op.batch_alter_table("rewards_punishments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rewards_punishments_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rewards_punishments_student_id"), ["student_id"], unique=False)

    op.create_table(
        "service_learning",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("organiser", sa.String(length=100), nullable=False),
        sa.Column("activity", sa.String(length=200), nullable=False),
        sa.Column("hours", sa.Numeric(precision=6, scale=1), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], name=op.f("fk_service_learning_student_id_students")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_learning")),
    )
    with op.batch_alter_table("service_learning", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_learning_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_learning_student_id"), ["student_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_learning", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_learning_student_id"))
        batch_op.drop_index(batch_op.f("ix_service_learning_school_id"))

    op.drop_table("service_learning")
    with op.batch_alter_table("rewards_punishments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rewards_punishments_student_id"))
        batch_op.drop_index(batch_op.f("ix_rewards_punishments_school_id"))

    op.drop_table("rewards_punishments")
    with op.batch_alter_table("psych_tests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_psych_tests_student_id"))
        batch_op.drop_index(batch_op.f("ix_psych_tests_school_id"))

    op.drop_table("psych_tests")
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.drop_index("ix_grades_school_term")

    op.drop_table("grades")
    op.drop_table("enrolments")
    with op.batch_alter_table("enrolment_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_changes_student_id"))

    op.drop_table("enrolment_changes")
    op.drop_table("course_teachers")
    op.drop_table("course_students")
    with op.batch_alter_table("counselling_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counselling_records_student_id"))
        batch_op.drop_index(batch_op.f("ix_counselling_records_school_id"))

    op.drop_table("counselling_records")
    with op.batch_alter_table("cadre_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cadre_records_student_id"))
        batch_op.drop_index(batch_op.f("ix_cadre_records_school_id"))

    op.drop_table("cadre_records")
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_students_user_id"))

    op.drop_table("students")
    op.drop_table("phase_windows")
    with op.batch_alter_table("grade_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grade_imports_school_id"))

    op.drop_table("grade_imports")
    op.drop_table("courses")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_school_at")

    op.drop_table("audit_log")
    op.drop_table("artifact_caps")
