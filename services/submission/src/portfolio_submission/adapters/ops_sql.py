"""Named query for the operations signals (issue 17): batches by status."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import batches


async def batches_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(batches.c.status, func.count()).group_by(batches.c.status))
    return {str(status): int(n) for status, n in rows}
