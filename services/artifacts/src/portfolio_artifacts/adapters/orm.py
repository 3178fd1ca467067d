"""Tables of the artifacts service's own database (mapping lives here, away from the domain).

Three groups: the service's own data (outcomes, performances, files), its read copies of other
services' facts (``rc_*``, written only by ``consumers.py``), and plumbing (outbox, inbox,
idempotency keys, per-student lock rows).

The tables are grouped by the revision that introduced them (``artifact_tables``: 0002,
``enrolment_tables``: 0003, ``history_tables``: 0005; columns added later say their revision).
Migrations are written out, not built from these functions; tests/test_migrations.py checks that
the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from portfolio_shared.audit import chain_columns
from portfolio_shared.messaging import service_metadata
from portfolio_shared.retention import sealed_students_table

metadata, outbox, inbox = service_metadata()

ID = 64  # length of a user, school or course id from another service


class UTCDateTime(TypeDecorator[datetime]):
    """Always stored in UTC, always read back timezone-aware (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def artifact_tables(md: MetaData) -> dict[str, Table]:
    """All service tables on ``md`` (the migration builds them on a fresh MetaData)."""
    t: dict[str, Table] = {}
    # -- own data ---------------------------------------------------------------------------
    t["outcomes"] = Table(
        "outcomes",
        md,
        Column("id", Uuid, primary_key=True),
        Column("school_id", String(ID), nullable=False),
        Column("student_user_id", String(ID), nullable=False),
        Column("course_id", String(ID), nullable=False),
        Column("academic_year", Integer, nullable=False),
        Column("semester", Integer, nullable=False),
        Column("title", String(100), nullable=False),
        Column("description", String(1000), nullable=False),
        Column("status", String(16), nullable=False),
        Column("version", Integer, nullable=False),
        Column("selected", Boolean, nullable=False),
        Column("return_reason", Text),
        Column("returned_by", String(ID)),
        Column("certified_by", String(ID)),
        Column("on_behalf_of", String(ID)),
        Column("certification_basis", String(32)),
        Column("certified_at", UTCDateTime),
        Column("withdrawn_from", String(16)),
        Column("upload_expires_at", UTCDateTime),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        # Revision 0005: where the outcome was made; ``school_id`` is where the student now is (R-ENR-1).
        Column("origin_school_id", String(ID)),
        # Revision 0006: the accepted submission batch that froze this selection (R-SUB-7, R-SUB-8).
        Column("frozen_by_batch", String(ID)),
        Column("frozen_at", UTCDateTime),
        Index("ix_outcomes_student_term", "student_user_id", "academic_year", "semester"),
        Index("ix_outcomes_school_course", "school_id", "course_id", "status"),
    )
    t["performances"] = Table(
        "performances",
        md,
        Column("id", Uuid, primary_key=True),
        Column("school_id", String(ID), nullable=False),
        Column("student_user_id", String(ID), nullable=False),
        Column("academic_year", Integer, nullable=False),
        Column("category", String(64), nullable=False),
        Column("catalog_version", String(32), nullable=False),
        Column("fields", JSON, nullable=False),
        Column("description", String(1000), nullable=False),
        Column("status", String(16), nullable=False),  # draft | submitted | withdrawn
        Column("version", Integer, nullable=False),
        Column("selected", Boolean, nullable=False),
        Column("upload_expires_at", UTCDateTime),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        Column("origin_school_id", String(ID)),  # revision 0005, as for outcomes (R-ENR-1)
        Column("frozen_by_batch", String(ID)),  # revision 0006, as for outcomes (R-SUB-7, R-SUB-8)
        Column("frozen_at", UTCDateTime),
        Index("ix_performances_student_year", "student_user_id", "academic_year"),
        Index("ix_performances_school", "school_id", "academic_year"),
    )
    t["files"] = Table(
        "files",
        md,
        Column("id", Uuid, primary_key=True),
        Column("owner_kind", String(16), nullable=False),  # outcome | performance
        Column("owner_id", Uuid, nullable=False),
        Column("school_id", String(ID), nullable=False),
        Column("student_user_id", String(ID), nullable=False),
        Column("slot", String(16), nullable=False),
        Column("version", Integer, nullable=False),
        Column("object_key", String(300), nullable=False, unique=True),
        Column("filename", String(255), nullable=False),
        Column("declared_content_type", String(100), nullable=False),
        Column("declared_size", BigInteger, nullable=False),
        Column("declared_sha256", String(64), nullable=False),
        # pending → accepted → superseded (a newer version accepted), or pending → refused.
        Column("status", String(16), nullable=False),
        Column("size", BigInteger),
        Column("sha256", String(64)),
        Column("mime", String(100)),
        Column("refusal", Text),
        Column("created_at", UTCDateTime, nullable=False),
        Column("accepted_at", UTCDateTime),
        Column("integrity", String(16)),  # ok | missing | altered (last verification)
        Column("verified_at", UTCDateTime),
        Index("ix_files_owner", "owner_kind", "owner_id"),
        Index("ix_files_status", "status"),
    )
    # -- plumbing ---------------------------------------------------------------------------
    t["student_locks"] = Table(
        "student_locks",
        md,
        Column("scope", String(300), primary_key=True),
        Column("created_at", UTCDateTime, nullable=False),
    )
    t["idempotency_keys"] = Table(
        "idempotency_keys",
        md,
        Column("principal", String(ID), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer),  # None while the first request is still running
        Column("response", JSON),
        Column("created_at", UTCDateTime, nullable=False),
    )
    # -- read copies of other services' facts (consumers.py) ----------------------------------
    t["rc_courses"] = Table(
        "rc_courses",
        md,
        Column("course_id", String(ID), primary_key=True),
        Column("school_id", String(ID), nullable=False),
        Column("academic_year", Integer, nullable=False),
        Column("semester", Integer, nullable=False),
        Column("teacher_user_ids", JSON, nullable=False),
        Column("reviewing_teacher_user_id", String(ID)),
        Column("event_at", UTCDateTime, nullable=False),
    )
    t["rc_course_members"] = Table(
        "rc_course_members",
        md,
        Column("course_id", String(ID), primary_key=True),
        Column("user_id", String(ID), primary_key=True),
        Column("role", String(16), primary_key=True),  # student | teacher | certifier
        Index("ix_rc_course_members_user", "user_id", "role"),
    )
    t["rc_windows"] = Table(
        "rc_windows",
        md,
        Column("school_id", String(ID), primary_key=True),
        Column("academic_year", Integer, primary_key=True),
        Column("semester", Integer, primary_key=True),
        Column("phase", String(32), primary_key=True),
        Column("starts_at", UTCDateTime, nullable=False),
        Column("ends_at", UTCDateTime, nullable=False),
        Column("self_check_at", UTCDateTime, nullable=False),
        Column("event_at", UTCDateTime, nullable=False),
    )
    t["rc_caps"] = Table(
        "rc_caps",
        md,
        Column("school_id", String(ID), primary_key=True),
        Column("outcomes_per_semester", Integer, nullable=False),
        Column("performances_per_year", Integer, nullable=False),
        Column("event_at", UTCDateTime, nullable=False),
    )
    t["rc_users"] = Table(
        "rc_users",
        md,
        Column("user_id", String(ID), primary_key=True),
        Column("status", String(16), nullable=False),  # active | suspended | left
        Column("end_date", Date),
        Column("event_at", UTCDateTime, nullable=False),
    )
    t["rc_absences"] = Table(
        "rc_absences",
        md,
        Column("user_id", String(ID), primary_key=True),
        Column("school_id", String(ID), primary_key=True),
        Column("starts_on", Date, primary_key=True),
        Column("ends_on", Date, nullable=False),
        Column("cleared", Boolean, nullable=False),  # AbsenceCleared: kept as a tombstone (out-of-order events)
        Column("event_at", UTCDateTime, nullable=False),
    )
    t["rc_delegations"] = Table(
        "rc_delegations",
        md,
        Column("school_id", String(ID), primary_key=True),
        Column("duty_code", String(64), primary_key=True),
        Column("responsible_user_ids", JSON, nullable=False),
        Column("delegate_user_ids", JSON, nullable=False),
        Column("event_at", UTCDateTime, nullable=False),
    )
    t["rc_acting"] = Table(
        "rc_acting",
        md,
        Column("school_id", String(ID), primary_key=True),
        Column("duty_code", String(64), primary_key=True),
        Column("acting_user_id", String(ID)),
        Column("is_delegate", Boolean, nullable=False),
        Column("event_at", UTCDateTime, nullable=False),
    )
    t["rc_extensions"] = Table(
        "rc_extensions",
        md,
        Column("user_id", String(ID), primary_key=True),
        Column("school_id", String(ID), primary_key=True),
        Column("until", Date, nullable=False),
        Column("certification_only", Boolean, nullable=False),
        Column("event_at", UTCDateTime, nullable=False),
    )
    t["rc_on_behalf"] = Table(
        "rc_on_behalf",
        md,
        Column("authorisation_id", String(ID), primary_key=True),
        Column("school_id", String(ID), nullable=False),
        Column("teacher_user_id", String(ID), nullable=False),
        Column("staff_user_id", String(ID), nullable=False),
        Column("until", Date),
        Column("revoked", Boolean, nullable=False),
        Column("event_at", UTCDateTime, nullable=False),
        Index("ix_rc_on_behalf_staff", "staff_user_id", "school_id"),
    )
    return t


def enrolment_tables(md: MetaData) -> dict[str, Table]:
    """Revision 0003: each student's enrolment status per school, from records' ``StudentEnrolled`` and
    ``EnrolmentChanged`` (R-DATA-6, R-ENR-1)."""
    return {
        "rc_enrolments": Table(
            "rc_enrolments",
            md,
            Column("school_id", String(ID), primary_key=True),
            Column("user_id", String(ID), primary_key=True),  # the student's identity user id
            Column("student_id", String(ID), nullable=False),  # records' student id
            # enrolled | visiting | suspended | transferred_out | graduated | left
            Column("status", String(32), nullable=False),
            Column("since", Date, nullable=False),  # effective date of the change (admission date)
            Column("event_at", UTCDateTime, nullable=False),
            # Revision 0005: the first day of the enrolment at this school (StudentEnrolled), R-DATA-6.
            Column("admitted_on", Date),
            Index("ix_rc_enrolments_user", "user_id"),  # revision 0005: a student's schools (R-ENR-1)
        )
    }


def history_tables(md: MetaData) -> dict[str, Table]:
    """Revision 0005: the append-only history of what was done to each outcome and performance, by
    whom and on whose behalf (R-RET-3, R-ART-5). Rows are only ever inserted."""
    return {
        "artifact_history": Table(
            "artifact_history",
            md,
            Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
            Column("school_id", String(ID), nullable=False),  # the item's school when it happened
            Column("student_user_id", String(ID), nullable=False),
            Column("artifact_kind", String(16), nullable=False),  # outcome | performance
            Column("artifact_id", Uuid, nullable=False),
            # uploaded | certified | returned | selected | deselected | withdrawn | transferred
            Column("action", String(32), nullable=False),
            Column("actor_user_id", String(ID), nullable=False),
            Column("on_behalf_of", String(ID)),
            Column("basis", String(32)),
            Column("detail", JSON),
            Column("at", UTCDateTime, nullable=False),
            Index("ix_artifact_history_item", "artifact_kind", "artifact_id"),
            Index("ix_artifact_history_school", "school_id", "at"),
            Index("ix_artifact_history_student", "student_user_id", "at"),
            # The tamper-evident chain (R-RET-3, portfolio_shared.audit; migration 0006).
            *chain_columns("artifact_history"),
        )
    }


_tables = artifact_tables(metadata) | enrolment_tables(metadata) | history_tables(metadata)
outcomes = _tables["outcomes"]
performances = _tables["performances"]
files = _tables["files"]
student_locks = _tables["student_locks"]
idempotency_keys = _tables["idempotency_keys"]
rc_courses = _tables["rc_courses"]
rc_course_members = _tables["rc_course_members"]
rc_windows = _tables["rc_windows"]
rc_caps = _tables["rc_caps"]
rc_users = _tables["rc_users"]
rc_absences = _tables["rc_absences"]
rc_delegations = _tables["rc_delegations"]
rc_acting = _tables["rc_acting"]
rc_extensions = _tables["rc_extensions"]
rc_on_behalf = _tables["rc_on_behalf"]
rc_enrolments = _tables["rc_enrolments"]
artifact_history = _tables["artifact_history"]

# Revision 0006: graduates sealed by records (R-RET-1), the same table every service keeps.
sealed_students = sealed_students_table(metadata)
