"""Tables of the identity service's own database (mapping lives here, away from the domain).

Ids are UUID strings (36 characters) so that they read the same on PostgreSQL and SQLite and in
events. Every school-owned row carries `school_id`: queries filter by it (tenant isolation).
"""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from portfolio_shared.audit import chain_columns
from portfolio_shared.fieldcrypto import EncryptedText, KeyRing
from portfolio_shared.jobs import jobs_table
from portfolio_shared.messaging import service_metadata
from portfolio_shared.messaging.tables import BigId
from portfolio_shared.nightly import nightly_runs_table
from portfolio_shared.retention import sealed_students_table

metadata, outbox, inbox = service_metadata()

Id = String(36)
TS = DateTime(timezone=True)

districts = Table(
    "districts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
)

schools = Table(
    "schools",
    metadata,
    Column("id", Id, primary_key=True),
    Column("code", String(6), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("district_id", Id, ForeignKey("districts.id"), nullable=False, index=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

# The keys of users' e-mail addresses at rest; bootstrap configures them from the settings.
EMAIL_KEYS = KeyRing("identity contact_keys")

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("login_name", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("kind", String(16), nullable=False),  # student | teacher | staff | admin
    Column("password_hash", Text, nullable=True),
    Column("status", String(16), nullable=False),  # active | suspended | left
    Column("end_date", Date, nullable=True),
    Column("email", EncryptedText(EMAIL_KEYS), nullable=True),  # AES-GCM at rest, revision 0007
    Column("student_number", String(20), nullable=True),
    Column("from_sis", Boolean, nullable=False),
    Column("home_school_id", Id, ForeignKey("schools.id"), nullable=True, index=True),  # whose SIS or staff own it
    Column("deactivated", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("user_id", Id, ForeignKey("users.id"), primary_key=True),
    Column("school_id", Id, ForeignKey("schools.id"), primary_key=True),
    Column("source", String(8), nullable=False),  # sis | manual
    Column("created_at", TS, nullable=False),
    Index("ix_memberships_school", "school_id"),
)

school_roles = Table(
    "school_roles",
    metadata,
    Column("user_id", Id, ForeignKey("users.id"), primary_key=True),
    Column("school_id", Id, ForeignKey("schools.id"), primary_key=True),
    Column("role", String(32), primary_key=True),
    Column("source", String(8), nullable=False),  # sis | manual: the sync only manages its own grants
    Column("created_at", TS, nullable=False),
    Index("ix_school_roles_school", "school_id", "role"),
)

# District administrators (district_id set) and system administrators (district_id '').
platform_roles = Table(
    "platform_roles",
    metadata,
    Column("user_id", Id, ForeignKey("users.id"), primary_key=True),
    Column("role", String(32), primary_key=True),
    Column("district_id", String(36), primary_key=True),
    Column("created_at", TS, nullable=False),
)

absences = Table(
    "absences",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("school_id", Id, ForeignKey("schools.id"), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("created_by", Id, nullable=True),
    Column("created_at", TS, nullable=False),
    Index("ix_absences_school_user", "school_id", "user_id"),
)

duties = Table(
    "duties",
    metadata,
    Column("id", Id, primary_key=True),
    Column("school_id", Id, ForeignKey("schools.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("name_zh", String(200), nullable=False),
    Column("area", String(32), nullable=False),
    Column("responsible_roles", JSON, nullable=False),
    Column("default_delegate_roles", JSON, nullable=False),
    Column("permissions", JSON, nullable=False),
    Column("note", Text, nullable=False),
    Column("acting_user_id", Id, nullable=True),  # last published resolution (R-DUTY-2)
    Column("acting_grants", Boolean, nullable=False),  # the acting person holds the duty's permissions
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("school_id", "code", name="uq_duties_school_code"),
)

duty_people = Table(
    "duty_people",
    metadata,
    Column("duty_id", Id, ForeignKey("duties.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(12), primary_key=True),  # responsible | delegate
    Column("position", Integer, primary_key=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
)

account_extensions = Table(
    "account_extensions",
    metadata,
    Column("user_id", Id, ForeignKey("users.id"), primary_key=True),
    Column("school_id", Id, ForeignKey("schools.id"), primary_key=True),
    Column("until", Date, nullable=False),
    Column("certification_only", Boolean, nullable=False),
    Column("created_by", Id, nullable=True),
    Column("created_at", TS, nullable=False),
)

on_behalf = Table(
    "on_behalf_authorisations",
    metadata,
    Column("id", Id, primary_key=True),
    Column("school_id", Id, ForeignKey("schools.id"), nullable=False, index=True),
    Column("teacher_user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("staff_user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("until", Date, nullable=False),
    Column("created_by", Id, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("revoked_at", TS, nullable=True),
    Column("revoked_by", Id, nullable=True),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    Column("public_jwk", JSON, nullable=False),
    Column("private_key", LargeBinary, nullable=False),  # AES-GCM nonce + ciphertext of the PKCS#8 key
    Column("created_at", TS, nullable=False),
    Column("activates_at", TS, nullable=False),  # signs from then on (published before, for JWKS caches)
    Column("retired_at", TS, nullable=True),
    Column("publish_until", TS, nullable=True),  # retired keys stay in the JWKS until their last token expired
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Id, primary_key=True),
    Column("family_id", Id, nullable=False, index=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False, index=True),
    Column("secret_hash", String(64), nullable=False),
    Column("issued_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("rotated_at", TS, nullable=True),
    Column("revoked_at", TS, nullable=True),
    Column("revoked_reason", String(64), nullable=True),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(200), primary_key=True),  # login:<name> or ip:<address>
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", TS, nullable=False),
    Column("locked_until", TS, nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("occurred_at", TS, nullable=False),
    Column("actor_id", String(64), nullable=True),
    Column("school_id", Id, nullable=True),
    Column("action", String(64), nullable=False),
    Column("object_type", String(32), nullable=False),
    Column("object_id", String(200), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("client_ip", String(64), nullable=True),
    Index("ix_audit_log_school_time", "school_id", "occurred_at"),
    *chain_columns("audit_log"),  # tamper-evident chain (R-RET-3), see portfolio_shared.audit
)

sis_sync_runs = Table(
    "sis_sync_runs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("school_id", Id, ForeignKey("schools.id"), nullable=False, index=True),
    Column("file_sha256", String(64), nullable=False),
    Column("started_at", TS, nullable=False),
    Column("actor_id", String(64), nullable=True),
    Column("dry_run", Boolean, nullable=False),
    Column("report", JSON, nullable=False),
)

# The nightly SIS account pull: one lease-and-report row per school and night (R-DUTY-3).
nightly_runs = nightly_runs_table(metadata)

# Graduates sealed by records (R-RET-1), revision 0006: the account closes, later it is anonymised.
sealed_students = sealed_students_table(metadata)

# Long jobs (issue 10): the SIS account sync by upload answers 202 with a job (portfolio_shared.jobs).
jobs = jobs_table(metadata)
