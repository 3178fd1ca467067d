"""Freezing submitted selections (R-SUB-7, R-SUB-8).

When the central database accepts a batch of course outcomes or multiple performances, submission
publishes ``submission.selections.frozen`` with the students' platform ids and the items' ids (never
a national ID). Each named item that is still the student's is marked with the batch that carried it;
from then on a deselect (and so a withdrawal, which needs a deselect first) is refused with
``selection-frozen``. A correction goes through an objection and a correction batch.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import outcomes, performances

log = logging.getLogger(__name__)


def _ids(values: Sequence[str]) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            log.warning("freeze: ignoring an artifact id that is not ours")
    return out


async def freeze(
    session: AsyncSession,
    *,
    kind: str,
    batch_id: str,
    items: Sequence[tuple[str, Sequence[str]]],
    at: datetime,
) -> int:
    """Mark the named items of each student as frozen by ``batch_id``; returns how many rows changed.
    A row already frozen by an earlier batch keeps that batch (the first submission froze it)."""
    table = outcomes if kind == "course_outcomes" else performances
    changed = 0
    for student_user_id, artifact_ids in items:
        ids = _ids(artifact_ids)
        if not ids:
            continue
        result = await session.execute(
            update(table)
            .where(
                table.c.id.in_(ids),
                table.c.student_user_id == student_user_id,
                table.c.frozen_by_batch.is_(None),
            )
            .values(frozen_by_batch=batch_id, frozen_at=at)
        )
        changed += int(getattr(result, "rowcount", 0) or 0)
    return changed
