"""Named query for the deadline-day picture (issue 17): items per school, kind, status and selection."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import outcomes, performances


async def items_by_school(session: AsyncSession) -> list[tuple[str, str, str, bool, int]]:
    """(school, kind, status, selected, count) over outcomes and performances."""
    out: list[tuple[str, str, str, bool, int]] = []
    for kind, table in (("outcome", outcomes), ("performance", performances)):
        c = table.c
        rows = await session.execute(
            select(c.school_id, c.status, c.selected, func.count()).group_by(c.school_id, c.status, c.selected)
        )
        out += [(str(school), kind, str(status), bool(selected), int(n)) for school, status, selected, n in rows]
    return out
