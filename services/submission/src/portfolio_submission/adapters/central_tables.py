"""Tables of packaging and sending (migration 0004): one sending row per batch handed to sending.

Registered on the service's ``metadata`` (orm.py imports this module), kept apart from the batch
tables so the sending machinery stays in one place.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from .orm import metadata

TS = DateTime(timezone=True)

# One row per batch handed to sending. ``idempotency_key`` is generated once, stored before the
# first attempt, and sent with every attempt for this package; ``lease_owner``/``lease_until`` is the
# claim of the worker (replica) working on it; ``package_*`` describes the encrypted package in
# object storage (the clear text's size and SHA-256: what the central database receives).
batch_sendings = Table(
    "batch_sendings",
    metadata,
    Column("batch_id", String(36), ForeignKey("batches.id"), primary_key=True),
    Column("school_id", String(64), nullable=False),
    Column("kind", String(40), nullable=False),
    # queued → building → built → sending → accepted | refused | failed | handed_over (manual)
    Column("state", String(20), nullable=False),
    Column("idempotency_key", String(100), nullable=False, unique=True),
    Column("central_adapter", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", TS, nullable=False),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_until", TS, nullable=True),
    Column("package_key", String(400), nullable=True),
    Column("package_size", BigInteger, nullable=True),
    Column("package_sha256", String(64), nullable=True),
    Column("package_stored_size", BigInteger, nullable=True),
    Column("package_key_id", String(64), nullable=True),
    Column("package_built_at", TS, nullable=True),
    Column("package_purge_after", TS, nullable=True),
    Column("package_purged_at", TS, nullable=True),
    Column("central_submission_id", String(100), nullable=True),
    Column("central_received_at", String(40), nullable=True),  # as the central database wrote it
    Column("accepted_at", TS, nullable=True),
    Column("student_count", Integer, nullable=True),
    Column("item_count", Integer, nullable=True),
    # Why the last attempt did not succeed (our words; never a cell's value) and, for a refusal,
    # the central database's line-level reasons (workbook, sheet, row, column, rule).
    Column("last_error", Text, nullable=True),
    Column("last_error_code", String(60), nullable=True),
    Column("refusal", JSON, nullable=True),
    # The selections the package carries (student user id + artifact ids), taken when it is built
    # and frozen in artifacts when the central database accepts it (R-SUB-7, R-SUB-8).
    Column("selections", JSON, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)
Index("ix_batch_sendings_due", batch_sendings.c.state, batch_sendings.c.next_attempt_at)
