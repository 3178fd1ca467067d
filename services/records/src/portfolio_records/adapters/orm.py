"""Tables of the records service's own database (mapping lives here, away from the domain).

A student (the person) is one row of ``students`` for the whole district; each school where the
student is or was enrolled has one row of ``enrolments``. Records (grades, cadre, counselling…)
hang off the student and name the school that made them, so after a transfer the new school sees
the whole history and nothing certified at the old school is lost (R-ENR-1).
"""

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from portfolio_shared.audit import chain_columns
from portfolio_shared.jobs import jobs_table
from portfolio_shared.messaging import service_metadata
from portfolio_shared.nightly import nightly_runs_table
from portfolio_shared.retention import sealed_students_table

metadata, outbox, inbox = service_metadata()

TS = DateTime(timezone=True)
SCHOOL = String(64)
USER = String(64)

# -- basic data (R-DATA-1) -----------------------------------------------------------------------
students = Table(
    "students",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(100), nullable=False),
    # AES-256-GCM token "v1.<kid>.<nonce>.<ct>" bound to the row id; never the plain number.
    Column("national_id_encrypted", Text, nullable=False),
    Column("national_id_kid", String(32), nullable=False),  # which rows a key rotation must touch
    Column("national_id_index", String(64), nullable=False, unique=True),  # HMAC blind index
    Column("national_id_masked", String(16), nullable=False),  # A12****789, safe to show
    Column("birth_date", Date, nullable=False),
    Column("user_id", USER, nullable=True, index=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

enrolments = Table(
    "enrolments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("student_id", Uuid, ForeignKey("students.id"), nullable=False),
    Column("school_id", SCHOOL, nullable=False),
    Column("student_number", String(20), nullable=False),
    Column("grade", Integer, nullable=False),
    Column("class_name", String(40), nullable=False),
    Column("seat_number", Integer, nullable=True),
    Column("status", String(20), nullable=False),
    Column("repeating", Boolean, nullable=False, default=False),
    Column("enrolled_on", Date, nullable=False),
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("school_id", "student_number", name="uq_enrolments_school_number"),
    UniqueConstraint("student_id", "school_id", name="uq_enrolments_student_school"),
    CheckConstraint("grade BETWEEN 1 AND 3", name="grade"),
)

# Postal contact of a student for letters (R-SUB-9: a student who left is asked by post); the
# recipient, postal code and address are one AES-GCM token, never stored or logged in the clear.
student_contacts = Table(
    "student_contacts",
    metadata,
    Column("student_id", Uuid, ForeignKey("students.id"), primary_key=True),
    Column("contact_encrypted", Text, nullable=False),
    Column("updated_by", USER, nullable=False),
    Column("updated_at", TS, nullable=False),
)

enrolment_changes = Table(
    "enrolment_changes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("student_id", Uuid, ForeignKey("students.id"), nullable=False, index=True),
    Column("school_id", SCHOOL, nullable=False),
    Column("change", String(20), nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("from_status", String(20), nullable=True),
    Column("to_status", String(20), nullable=False),
    Column("grade", Integer, nullable=False),
    Column("from_school_id", SCHOOL, nullable=True),
    Column("to_school_id", SCHOOL, nullable=True),
    Column("note", String(500), nullable=True),
    Column("recorded_by", USER, nullable=False),
    Column("recorded_at", TS, nullable=False),
)

# -- course plan (R-DATA-2, R-REC-2) -------------------------------------------------------------
courses = Table(
    "courses",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("school_id", SCHOOL, nullable=False),
    Column("academic_year", Integer, nullable=False),
    Column("semester", Integer, nullable=False),
    Column("course_code", String(40), nullable=False),
    Column("subject_name", String(100), nullable=False),
    Column("credits", Numeric(4, 1), nullable=False),
    Column("co_taught", Boolean, nullable=False, default=False),
    Column("reviewing_teacher_user_id", USER, nullable=True),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("school_id", "academic_year", "semester", "course_code", name="uq_courses_term_code"),
)

course_teachers = Table(
    "course_teachers",
    metadata,
    Column("course_id", Uuid, ForeignKey("courses.id"), primary_key=True),
    Column("teacher_user_id", USER, primary_key=True),
)

course_students = Table(
    "course_students",
    metadata,
    Column("course_id", Uuid, ForeignKey("courses.id"), primary_key=True),
    Column("student_id", Uuid, ForeignKey("students.id"), primary_key=True),
)

# -- grades (R-DATA-2): one row per student, term and course code ---------------------------------
grades = Table(
    "grades",
    metadata,
    Column("student_id", Uuid, ForeignKey("students.id"), primary_key=True),
    Column("academic_year", Integer, primary_key=True),
    Column("semester", Integer, primary_key=True),
    Column("course_code", String(40), primary_key=True),
    Column("school_id", SCHOOL, nullable=False),
    Column("subject_name", String(100), nullable=False),
    Column("credits", Integer, nullable=False),
    Column("score", Numeric(5, 2), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("makeup_score", Numeric(5, 2), nullable=True),
    Column("qualitative", String(500), nullable=True),
    Column("updated_at", TS, nullable=False),
)
Index("ix_grades_school_term", grades.c.school_id, grades.c.academic_year, grades.c.semester)

grade_imports = Table(
    "grade_imports",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("school_id", SCHOOL, nullable=False, index=True),
    Column("file_sha256", String(64), nullable=False),
    Column("encoding", String(20), nullable=False),
    Column("line_count", Integer, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("rejected", JSON, nullable=False),  # [{line_number, field, reason}]
    Column("imported_by", USER, nullable=False),
    Column("imported_at", TS, nullable=False),
    # Kept cells a spreadsheet would run as formulas: [{line_number, field, reason}] (migration 0004).
    Column("warnings", JSON, nullable=True),
)

# -- other basic data, each entered by its office (R-DATA-1 Annex 1, R-REC-2) --------------------


def _basic(name: str, *columns: Column[Any]) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("student_id", Uuid, ForeignKey("students.id"), nullable=False, index=True),
        Column("school_id", SCHOOL, nullable=False, index=True),
        Column("academic_year", Integer, nullable=False),
        Column("semester", Integer, nullable=False),
        *columns,
        Column("recorded_by", USER, nullable=False),
        Column("recorded_at", TS, nullable=False),
    )


cadre_records = _basic(
    "cadre_records",
    Column("level", String(10), nullable=False),  # school | class | club
    Column("unit", String(100), nullable=False),
    Column("title", String(100), nullable=False),
    Column("starts_on", Date, nullable=True),
    Column("ends_on", Date, nullable=True),
)
service_learning = _basic(
    "service_learning",
    Column("organiser", String(100), nullable=False),
    Column("activity", String(200), nullable=False),
    Column("hours", Numeric(6, 1), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
)
rewards_punishments = _basic(
    "rewards_punishments",
    Column("kind", String(20), nullable=False),  # commendation … major_demerit
    Column("times", Integer, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("occurred_on", Date, nullable=False),
)
psych_tests = _basic(
    "psych_tests",
    Column("test_name", String(200), nullable=False),
    Column("taken_on", Date, nullable=False),
    Column("result_summary_encrypted", Text, nullable=True),
)

# -- counselling (R-DATA-2, R-DATA-5, R-REC-3): place, content, opinions encrypted at rest --------
counselling_records = Table(
    "counselling_records",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("student_id", Uuid, ForeignKey("students.id"), nullable=False, index=True),
    Column("school_id", SCHOOL, nullable=False, index=True),
    Column("counsellor_user_id", USER, nullable=False),
    Column("held_at", TS, nullable=False),
    Column("place_encrypted", Text, nullable=False),
    Column("content_encrypted", Text, nullable=False),
    Column("opinions_encrypted", Text, nullable=False),
    Column("recorded_at", TS, nullable=False),
)

# -- calendar and policy (R-SCHED-1, R-ART-2, R-PERF-1) --------------------------------------------
phase_windows = Table(
    "phase_windows",
    metadata,
    Column("school_id", SCHOOL, primary_key=True),
    Column("academic_year", Integer, primary_key=True),
    Column("semester", Integer, primary_key=True),
    Column("phase", String(30), primary_key=True),
    Column("starts_at", TS, nullable=False),
    Column("ends_at", TS, nullable=False),
    Column("self_check_at", TS, nullable=False),
    Column("updated_by", USER, nullable=False),
    Column("updated_at", TS, nullable=False),
)

# Read copy of identity's schools (SchoolCreated/SchoolUpdated): the code names the SIS drop folder.
known_schools = Table(
    "known_schools",
    metadata,
    Column("school_id", SCHOOL, primary_key=True),
    Column("school_code", String(6), nullable=False),
    Column("name", String(200), nullable=False),
    Column("updated_at", TS, nullable=False),
)
# The nightly SIS grade import: one lease-and-report row per school and night (R-DUTY-3).
nightly_runs = nightly_runs_table(metadata)

# One row per school that changed a setting; a school without a row has the defaults.
school_settings = Table(
    "school_settings",
    metadata,
    Column("school_id", SCHOOL, primary_key=True),
    Column("time_zone", String(64), nullable=False),  # IANA name, Asia/Taipei by default
    # The standing window of the nightly SIS grade import (R-DUTY-3, R-REC-1): not per semester.
    Column("sis_import_starts_at", TS, nullable=True),
    Column("sis_import_ends_at", TS, nullable=True),  # NULL: open-ended
    Column("updated_by", USER, nullable=False),
    Column("updated_at", TS, nullable=False),
)
artifact_caps = Table(
    "artifact_caps",
    metadata,
    Column("school_id", SCHOOL, primary_key=True),
    Column("outcomes_per_semester", Integer, nullable=False),
    Column("performances_per_year", Integer, nullable=False),
    Column("updated_by", USER, nullable=False),
    Column("updated_at", TS, nullable=False),
)

# -- audit (R-RET-3): who changed what, when; written in the same transaction ---------------------
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("school_id", SCHOOL, nullable=False),
    Column("actor", USER, nullable=False),
    Column("action", String(60), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_id", String(100), nullable=False),
    Column("at", TS, nullable=False),
    Column("details", JSON, nullable=False),  # never a national ID or counselling content
    *chain_columns("audit_log"),  # tamper-evident chain (R-RET-3), see portfolio_shared.audit
)
Index("ix_audit_log_school_at", audit_log.c.school_id, audit_log.c.at)

# -- retention (R-RET-1), revision 0007 ----------------------------------------------------------
# Who is sealed since graduation (the same table every service keeps, portfolio_shared.retention);
# the row stays after the deletion as its tombstone (ids and dates only).
sealed_students = sealed_students_table(metadata)

# The school's archive period (years after completion; 5 by default) and whether a nightly purge
# deletes what has passed it without a request.
retention_settings = Table(
    "retention_settings",
    metadata,
    Column("school_id", SCHOOL, primary_key=True),
    Column("archive_years", Integer, nullable=False),
    Column("scheduled_purge", Boolean, nullable=False),
    Column("updated_by", USER, nullable=False),
    Column("updated_at", TS, nullable=False),
)

# The proof of deletion: who asked, when, for whom (platform ids), which services are expected to
# confirm; each confirmation with counts and digests per kind. Never the deleted data.
deletion_requests = Table(
    "deletion_requests",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("school_id", SCHOOL, nullable=False, index=True),
    Column("trigger", String(20), nullable=False),  # request | scheduled_purge
    Column("requested_by", USER, nullable=False),
    Column("requested_at", TS, nullable=False),
    Column("students", JSON, nullable=False),  # [{student_id, user_id}]
    Column("expected_services", JSON, nullable=False),
    Column("completed_at", TS, nullable=True),
)
deletion_confirmations = Table(
    "deletion_confirmations",
    metadata,
    Column("request_id", Uuid, ForeignKey("deletion_requests.id"), primary_key=True),
    Column("service", String(20), primary_key=True),
    Column("deleted_at", TS, nullable=False),
    Column("confirmed_at", TS, nullable=False),
    Column("counts", JSON, nullable=False),
    Column("digests", JSON, nullable=False),
)

# -- long jobs (issue 10): the grade import answers 202 with a job resource (portfolio_shared.jobs) -
jobs = jobs_table(metadata)
