"""Statements over the encrypted columns (R-DATA-1, R-REC-3): the batches key rotation re-seals.

``SEALED`` names every table with sealed text and, per column, the name its associated data was
bound to; the rows are addressed by the id the tokens are bound to (``id``, or ``student_id``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Row, Table, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import counselling_records, psych_tests, student_contacts, students

# table → {encrypted column: the column name its associated data was bound to}
SEALED: list[tuple[Table, dict[str, str]]] = [
    (
        counselling_records,
        {"place_encrypted": "place", "content_encrypted": "content", "opinions_encrypted": "opinions"},
    ),
    (psych_tests, {"result_summary_encrypted": "result_summary"}),
    (student_contacts, {"contact_encrypted": "contact"}),  # keyed (and bound) by student_id
]


async def national_ids_not_under(session: AsyncSession, kid: str, batch: int) -> Sequence[Row[Any]]:
    """(id, national_id_encrypted) of up to ``batch`` students whose national ID is under another key."""
    query = select(students.c.id, students.c.national_id_encrypted).where(students.c.national_id_kid != kid)
    return (await session.execute(query.limit(batch))).all()


async def set_national_id(session: AsyncSession, student_id: uuid.UUID, token: str, kid: str) -> None:
    await session.execute(
        update(students).where(students.c.id == student_id).values(national_id_encrypted=token, national_id_kid=kid)
    )


def _key(table: Table) -> Column[Any]:
    return table.c.id if "id" in table.c else table.c.student_id  # the row id the tokens are bound to


async def rows_not_under(
    session: AsyncSession, table: Table, columns: Sequence[str], kid: str, batch: int
) -> Sequence[Row[Any]]:
    """(row_id, *columns) of up to ``batch`` rows with a token sealed under another key than ``kid``."""
    prefix = f"v1.{kid}.%"
    stale = or_(*(and_(table.c[c].is_not(None), table.c[c].not_like(prefix)) for c in columns))
    query = select(_key(table).label("row_id"), *(table.c[c] for c in columns)).where(stale).limit(batch)
    return (await session.execute(query)).all()


async def set_tokens(session: AsyncSession, table: Table, row_id: uuid.UUID, values: Mapping[str, str]) -> None:
    await session.execute(update(table).where(_key(table) == row_id).values(**values))
