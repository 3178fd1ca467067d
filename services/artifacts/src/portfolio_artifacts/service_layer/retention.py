"""Sealing and deletion of a graduate's items (R-RET-1).

Sealed (records' ``StudentSealed``): no upload, selection, certification, return or withdrawal of
the student's items — ``refuse_if_sealed`` runs first in every path that changes an item, so the
refusal cites R-RET-1 rather than the enrolment (R-DATA-6).

Deleted (records' ``DeletionRequested``): the outcome and performance rows, their file rows, and the
stored objects — every object a file row names, and anything left under the student's prefixes
(a draft never completed) — then the confirmation with counts and SHA-256 digests (of the object
keys with their content hashes, and of the row ids). Objects go before the transaction commits: a
crash in between leaves rows whose objects are gone, and the redelivered request deletes them again
(deleting a missing object is not an error). The history (audit trail) stays: ids and actions.
"""

from __future__ import annotations

from collections.abc import Callable

from portfolio_artifacts.adapters import retention as store
from portfolio_artifacts.adapters.orm import sealed_students
from portfolio_artifacts.adapters.sql import Executor
from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.retention import DeletionRequested
from portfolio_shared.retention import Eraser, ErasureReport, ErasureTally, ensure_not_sealed
from portfolio_shared.storage import ObjectStorage

from .files import key_prefix


async def refuse_if_sealed(session: Executor, user_id: str, action: str) -> None:
    await ensure_not_sealed(session, sealed_students, user_id=user_id, action=action)  # type: ignore[arg-type]


def eraser(storage: Callable[[], ObjectStorage]) -> Eraser:
    async def erase(uow: UnitOfWork, request: DeletionRequested) -> ErasureReport:
        users = [ref.user_id for ref in request.students if ref.user_id]
        tally = ErasureTally()
        if not users:
            return tally.report()
        store_ = storage()
        rows = await store.files_of(uow.session, users)
        objects = {row.object_key: row.sha256 or row.declared_sha256 for row in rows}
        # Anything else under the students' prefixes (an upload started and never completed).
        schools = {row.school_id for row in rows} | {request.school_id}
        for school in sorted(schools):
            for user in users:
                async for info in store_.list(key_prefix(school, user)):
                    objects.setdefault(info.key, "")
        for key in sorted(objects):
            await store_.delete(key)
        tally.add("stored_objects", (f"{key}:{sha}" for key, sha in objects.items()))
        tally.add("files", (str(row.id) for row in rows))
        for kind, ids in (await store.delete_items(uow.session, users)).items():
            tally.add(kind, ids)
        return tally.report()

    return erase
