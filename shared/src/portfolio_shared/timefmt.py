"""One time format for every response: RFC 3339, always with an offset.

Two forms, chosen by who reads the value:
- :data:`UtcTimestamp` — machine-facing times (created, updated, recorded, certified …): UTC written
  with ``Z`` (``2026-03-01T02:00:00Z``), the same in every service and on every path (a JSON body
  built by hand or by ``jsonable_encoder`` would otherwise say ``+00:00``).
- :data:`SchoolTimestamp` — times a person plans by (phase windows, deadlines, receipts): the
  school's own offset (``2026-03-01T10:00:00+08:00`` in Taipei), so nobody converts from UTC. A UTC
  value is shown in the default school zone (Asia/Taipei); a value a service already put in a
  school's own zone (a per-school setting) keeps its offset.

SQLite (the standalone shape) hands back stored UTC timestamps without their zone; both types read
a naive value as UTC. Error messages use :func:`format_school` / :func:`format_utc` so a problem's
``detail`` shows the same text as the field it talks about.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, PlainSerializer, WithJsonSchema

DEFAULT_SCHOOL_ZONE = "Asia/Taipei"

# RFC 3339 date-time (section 5.6): full-date "T" full-time, where the offset is Z or ±hh:mm.
RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
)


@lru_cache(maxsize=32)
def school_zone(name: str = DEFAULT_SCHOOL_ZONE) -> tzinfo:
    """The school's time zone. Taiwan has kept UTC+8 without daylight saving since 1979, so a
    machine without the tz database (a slim container) still gets the right offset for Taipei."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == DEFAULT_SCHOOL_ZONE:
            return timezone(timedelta(hours=8), DEFAULT_SCHOOL_ZONE)
        raise


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive value is taken as UTC (how the services store times)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``: ``2026-03-01T02:00:00Z``."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


def in_school_time(value: datetime, zone: str = DEFAULT_SCHOOL_ZONE) -> datetime:
    return as_utc(value).astimezone(school_zone(zone))


def format_school(value: datetime, zone: str = DEFAULT_SCHOOL_ZONE) -> str:
    """RFC 3339 with the school's offset: ``2026-03-01T10:00:00+08:00``."""
    return in_school_time(value, zone).isoformat()


def _utc_json(value: datetime) -> str:
    return format_utc(value)


def _aware(value: datetime) -> datetime:
    return as_utc(value) if value.tzinfo is None or value.utcoffset() is None else value


def _school_json(value: datetime) -> str:
    # A time a service already put in a school's own zone (a school setting) keeps that offset;
    # a UTC (or naive, stored-UTC) one is shown in the default school zone.
    if value.utcoffset() == timedelta(0):
        return format_school(value)
    return value.isoformat()


_DATE_TIME_SCHEMA: dict[str, Any] = {"type": "string", "format": "date-time"}

UtcTimestamp = Annotated[
    datetime,
    AfterValidator(as_utc),
    PlainSerializer(_utc_json, return_type=str, when_used="json"),
    WithJsonSchema({**_DATE_TIME_SCHEMA, "description": "RFC 3339, UTC (Z)"}, mode="serialization"),
]
"""A machine-facing time: RFC 3339 in UTC with ``Z``."""

SchoolTimestamp = Annotated[
    datetime,
    AfterValidator(_aware),
    PlainSerializer(_school_json, return_type=str, when_used="json"),
    WithJsonSchema(
        {**_DATE_TIME_SCHEMA, "description": f"RFC 3339 with the school's offset ({DEFAULT_SCHOOL_ZONE})"},
        mode="serialization",
    ),
]
"""A time a person reads (windows, deadlines, receipts): RFC 3339 with the school's offset."""


def is_rfc3339_with_offset(text: object) -> bool:
    return isinstance(text, str) and RFC3339.fullmatch(text) is not None
