"""Sending's view of the core's batches: which batches are handed to sending, what a package is
for, the content (through ``content.batch_content``, the one place national IDs are joined), the
selections an accepted batch freezes, and the moves of the batch's state machine
(ready → building → sending → accepted | failed) that sending makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import not_found
from portfolio_shared.events.submission import FrozenSelection

from ..adapters import central_sendings as sendings
from ..adapters import repositories as repo
from ..domain.batches import BatchStatus
from .batches import advance
from .content import BatchContent, batch_content, gather
from .context import Deps


@dataclass(frozen=True)
class BatchInfo:
    batch_id: str
    school_id: str
    school_code: str
    kind: str
    academic_year: int
    semester: int


@dataclass(frozen=True)
class ReadyBatch:
    batch_id: str
    school_id: str
    kind: str
    idempotency_key: str | None


async def ready_batches(session: AsyncSession) -> list[ReadyBatch]:
    rows = await sendings.batches_in_status(session, BatchStatus.READY.value)
    return [ReadyBatch(r["id"], r["school_id"], r["kind"], r["idempotency_key"]) for r in rows]


async def info(session: AsyncSession, batch_id: str) -> BatchInfo:
    batch = await repo.batch(session, None, batch_id)
    if batch is None:
        raise not_found(f"batch {batch_id}")
    school = await repo.school(session, batch["school_id"])
    return BatchInfo(
        batch_id=batch_id,
        school_id=batch["school_id"],
        school_code=school["school_code"] if school else "",
        kind=batch["kind"],
        academic_year=batch["academic_year"],
        semester=batch["semester"],
    )


async def content(uow: UnitOfWork, deps: Deps, batch_id: str) -> BatchContent:
    return await batch_content(uow, deps, batch_id)


async def frozen_selections(uow: UnitOfWork, deps: Deps, batch_id: str) -> list[FrozenSelection]:
    """The outcomes or performances a batch carries, per student (platform ids only): what artifacts
    freezes once the central database accepted them (R-SUB-7, R-SUB-8)."""
    batch = await repo.batch(uow.session, None, batch_id)
    if batch is None or batch["kind"] not in ("course_outcomes", "performances"):
        return []
    excluded = [e["student_id"] for e in await repo.exclusions(uow.session, batch_id)]
    gathered = await gather(uow.session, deps, batch, excluded)
    carried = {row.source_id for row in gathered.rows}
    item_kind = "outcome" if batch["kind"] == "course_outcomes" else "performance"
    owners: dict[str, list[str]] = {}
    for item in await repo.selected_items(uow.session, batch["school_id"], item_kind, batch["academic_year"]):
        if item["item_id"] in carried:
            owners.setdefault(item["student_user_id"], []).append(item["item_id"])
    return [FrozenSelection(student_user_id=u, artifact_ids=ids) for u, ids in sorted(owners.items())]


async def set_status(
    session: AsyncSession, deps: Deps, batch_id: str, to: str, *, actor: str, reason: str | None = None
) -> None:
    """Move the batch through the core's state machine (``batches.advance``: version-guarded and
    audited); a move to where the batch already is changes nothing."""
    batch = await repo.batch(session, None, batch_id, lock=True)
    if batch is None:
        raise not_found(f"batch {batch_id}")
    target = BatchStatus(to)
    if BatchStatus(batch["status"]) is target:
        return
    values: dict[str, Any] = {}
    if target is BatchStatus.FAILED:
        values["failure_reason"] = (reason or "")[:2000] or None
    await advance(session, deps, batch_id, target, actor=actor, **values)


def serialise(selections: Sequence[FrozenSelection]) -> list[dict[str, Any]]:
    return [s.model_dump() for s in selections]
