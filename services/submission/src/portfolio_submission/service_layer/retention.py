"""Sealing and deletion at the submission service (R-RET-1).

A sealed graduate's receipt answers and objections are refused (409 ``student-sealed``); records'
deletion request deletes this service's copies of their data in the event's transaction and the
confirmation (counts and SHA-256 digests of the deleted keys, never the data) goes to the outbox
with it (``portfolio_shared.retention.join_retention``).

Kept on purpose: the audit chain (hash-chained, it names ids, never personal data), the receipts'
aggregate counts, and the encrypted packages already sent to the central database (the central
database's copy is the legal record; the package objects here are keyed by batch, not student).
Not yet deleted: the files attached to the objections (their rows go; the stored objects stay until
a storage sweep deletes them — the consumer has no storage handle yet).
"""

from __future__ import annotations

from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.retention import DeletionRequested
from portfolio_shared.retention import ErasureReport, ErasureTally, ensure_not_sealed

from ..adapters import retention_sql
from ..adapters.orm import sealed_students


async def ensure_student_not_sealed(uow: UnitOfWork, user_id: str, *, action: str) -> None:
    """Refuse ``action`` on a sealed graduate's data (R-RET-1)."""
    await ensure_not_sealed(uow.session, sealed_students, user_id=user_id, action=action)


async def erase(uow: UnitOfWork, request: DeletionRequested) -> ErasureReport:
    tally = ErasureTally()
    student_ids = sorted({str(ref.student_id) for ref in request.students})
    user_ids = sorted({ref.user_id for ref in request.students if ref.user_id})
    deleted, _attachments = await retention_sql.erase_students(uow.session, student_ids=student_ids, user_ids=user_ids)
    for kind, keys in deleted.items():
        tally.add(kind, keys)
    return tally.report()
