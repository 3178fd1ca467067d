"""UTC time, once for every service (issue 10, "helpers once").

Everything is stored in UTC. PostgreSQL hands timestamps back aware; SQLite (the standalone shape)
hands them back naive — they were stored in UTC, so ``as_utc`` gives them their zone back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """The same instant, aware and in UTC; a naive value is taken to be UTC already."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
