"""One time format (RFC 3339: UTC as Z, or the school's offset) and sizes in one unit (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel

from portfolio_shared.sizes import MB, format_size, over_limit
from portfolio_shared.timefmt import (
    SchoolTimestamp,
    UtcTimestamp,
    format_school,
    format_utc,
    is_rfc3339_with_offset,
    school_zone,
)


class Reply(BaseModel):
    at: UtcTimestamp
    window_ends: SchoolTimestamp
    maybe: UtcTimestamp | None = None


def test_utc_is_written_with_z_whatever_the_input() -> None:
    taipei_noon = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=8)))
    naive_utc = datetime(2026, 3, 1, 4, 0)  # how SQLite hands stored UTC back
    assert format_utc(taipei_noon) == "2026-03-01T04:00:00Z"
    assert format_utc(naive_utc) == "2026-03-01T04:00:00Z"
    assert format_utc(datetime(2026, 3, 1, 4, 0, 0, 123456, tzinfo=UTC)) == "2026-03-01T04:00:00.123456Z"


def test_school_time_carries_the_school_offset() -> None:
    assert format_school(datetime(2026, 3, 1, 4, 0, tzinfo=UTC)) == "2026-03-01T12:00:00+08:00"
    assert format_school(datetime(2026, 3, 1, 16, 30)) == "2026-03-02T00:30:00+08:00"  # naive = UTC; the next day
    assert school_zone().utcoffset(datetime(2026, 7, 1)) == timedelta(hours=8)  # no daylight saving


def test_the_shared_types_serialise_one_form_and_document_date_time() -> None:
    reply = Reply(at=datetime(2026, 3, 1, 4, 0), window_ends=datetime(2026, 3, 1, 15, 59, tzinfo=UTC))
    body = reply.model_dump(mode="json")
    assert body == {"at": "2026-03-01T04:00:00Z", "window_ends": "2026-03-01T23:59:00+08:00", "maybe": None}
    assert reply.at.tzinfo is not None  # in Python the value stays an aware datetime
    # A time a service already put in a school's own zone keeps it (a school elsewhere, say UTC+9).
    tokyo = datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=9)))
    assert Reply(at=tokyo, window_ends=tokyo).model_dump(mode="json")["window_ends"] == "2026-03-01T09:00:00+09:00"
    assert Reply(at=tokyo, window_ends=tokyo).model_dump(mode="json")["at"] == "2026-03-01T00:00:00Z"
    schema = Reply.model_json_schema(mode="serialization")
    assert schema["properties"]["at"]["format"] == "date-time"
    assert schema["properties"]["window_ends"]["format"] == "date-time"
    # A stored JSON answer (an idempotent replay) read back gives the same form again.
    assert Reply.model_validate(body).model_dump(mode="json") == body


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2026-03-01T04:00:00Z", True),
        ("2026-03-01T12:00:00.5+08:00", True),
        ("2026-03-01T04:00:00+00:00", True),
        ("2026-03-01T04:00:00", False),  # no offset: a reader cannot know the instant
        ("2026-03-01 04:00:00Z", False),
        ("2026-03-01", False),
        (None, False),
    ],
)
def test_rfc3339_with_offset(text: object, ok: bool) -> None:
    assert is_rfc3339_with_offset(text) is ok


def test_size_over_the_limit_in_the_limits_unit() -> None:
    assert over_limit(4 * MB, int(4.01 * MB)) == "4 MB limit; this file is 4.01 MB"
    assert over_limit(10 * MB, 11 * MB, what="this media file") == "10 MB limit; this media file is 11.00 MB"
    # One byte over: two decimals would show 4.00 MB, so both are in bytes.
    assert over_limit(4 * MB, 4 * MB + 1) == "4,194,304 bytes (4 MB) limit; this file is 4,194,305 bytes"
    assert over_limit(1000, 1001) == "1,000 bytes limit; this file is 1,001 bytes"
    assert over_limit(512 * 1024, 600 * 1024) == "512 KB limit; this file is 600.00 KB"
    assert (format_size(4 * MB), format_size(int(3.5 * MB)), format_size(12)) == ("4 MB", "3.50 MB", "12 bytes")


def test_the_edges_413_gives_the_limit_and_the_size_in_one_unit() -> None:
    from portfolio_shared.limits import too_large

    declared = too_large(64 * 1024, 70 * 1024)
    assert declared.status == 413 and declared.detail == "64 KB limit; this request body is 70.00 KB"
    streamed = too_large(4 * MB, int(4.5 * MB), so_far=True)
    assert streamed.detail == "4 MB limit; what was received so far is 4.50 MB"
