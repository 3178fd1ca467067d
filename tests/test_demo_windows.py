"""The demo school's windows (R-SCHED-1): every phase of the current term open now, in phase order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import get_args

import pytest

from portfolio_shared.events.records import Phase
from portfolio_standalone.demo import term_windows

# A later phase neither opens nor closes before the one whose work it takes (R-ART-1/3/4, R-PERF-1/2).
ORDER = [
    ("outcome_upload", "outcome_certification"),
    ("outcome_certification", "outcome_selection"),
    ("performance_upload", "performance_selection"),
    ("submission", "receipt_confirmation"),
]


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 8, 1, 0, 30, tzinfo=UTC),  # 08:30 in Taipei on the first day of 115-1
        datetime(2026, 11, 29, 7, 0, tzinfo=UTC),
        datetime(2027, 1, 31, 15, 0, tzinfo=UTC),  # 23:00 on the last day of 115-1
        datetime(2027, 7, 31, 15, 59, tzinfo=UTC),  # the last minute of 115-2
    ],
)
def test_every_phase_is_open_now_and_in_order(now: datetime) -> None:
    local_day = (now + timedelta(hours=8)).date()
    windows = {w["phase"]: {k: _parse(v) for k, v in w.items() if k != "phase"} for w in term_windows(local_day, now)}
    assert list(windows) == list(get_args(Phase))
    for phase, w in windows.items():
        assert w["starts_at"] <= now < w["ends_at"], phase
        assert w["starts_at"] <= w["self_check_at"] <= w["ends_at"], phase
        assert w["ends_at"] - now >= timedelta(days=7) or w["ends_at"].date() > local_day, phase
    for earlier, later in ORDER:
        assert windows[earlier]["starts_at"] <= windows[later]["starts_at"]
        assert windows[earlier]["ends_at"] <= windows[later]["ends_at"]
    assert windows["receipt_confirmation"]["ends_at"] - windows["receipt_confirmation"]["starts_at"] >= timedelta(
        days=3
    )  # R-SUB-6


def test_windows_span_the_term_in_taipei_time() -> None:
    now = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
    first = term_windows(date(2026, 11, 29), now)[0]
    assert first["starts_at"] == "2026-08-01T00:00:00+08:00"
    assert first["ends_at"] == "2027-01-31T23:53:00+08:00"  # 8 phases, a minute apart, the last at midnight


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)
