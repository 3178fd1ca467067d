"""UTC time, once for every service (issue 10, "helpers once").

Everything is stored in UTC. PostgreSQL hands timestamps back aware; SQLite (the standalone shape)
hands them back naive — they were stored in UTC, so ``as_utc`` gives them their zone back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

from . import timefmt


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """portfolio_shared.timefmt.as_utc that lets None through (nullable columns)."""
    return None if value is None else timefmt.as_utc(value)
