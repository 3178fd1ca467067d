"""Statements of the counselling records (R-DATA-2, R-REC-3); the text columns arrive sealed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import counselling_records


async def insert_record(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(counselling_records).values(**values))


async def records_at_school(
    session: AsyncSession, school_id: str, student_id: uuid.UUID, record_id: uuid.UUID | None = None
) -> Sequence[Row[Any]]:
    """The student's records made at ``school_id`` (one of them when ``record_id`` is given)."""
    query = select(counselling_records).where(
        counselling_records.c.school_id == school_id, counselling_records.c.student_id == student_id
    )
    if record_id is not None:
        query = query.where(counselling_records.c.id == record_id)
    return (await session.execute(query.order_by(counselling_records.c.held_at))).all()
