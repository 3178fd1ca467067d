"""Statements of the basic data (cadre, service learning, rewards, psych tests; R-DATA-1 Annex 1)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import RowMapping, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_record(session: AsyncSession, table: Table, values: Mapping[str, Any]) -> None:
    await session.execute(insert(table).values(**values))


async def records_of_student(session: AsyncSession, table: Table, student_id: uuid.UUID) -> Sequence[RowMapping]:
    """Every record of the student in ``table``, from any school, in term order."""
    rows = await session.execute(
        select(table)
        .where(table.c.student_id == student_id)
        .order_by(table.c.academic_year, table.c.semester, table.c.recorded_at)
    )
    return rows.mappings().all()
