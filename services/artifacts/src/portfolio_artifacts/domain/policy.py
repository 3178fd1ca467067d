"""Per-school artifact policy and the national selection caps.

Upload counts are each school's choice (R-ART-2: the example school allows 6 outcomes per semester,
another public example 9; R-PERF-1: performances per year). The yearly selection caps are national
(R-ART-4: 6 certified outcomes; R-PERF-2: 10 performances) and therefore constants, not policy.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portfolio_artifacts.domain.errors import (
    PolicyInvalid,
    SelectionCapReached,
    UploadCapReached,
    WindowClosed,
)
from portfolio_shared.events.records import DEFAULT_OUTCOMES_PER_SEMESTER, DEFAULT_PERFORMANCES_PER_YEAR

OUTCOME_SELECTION_CAP_PER_YEAR = 6
"""R-ART-4: each academic year a student selects at most 6 certified outcomes (national)."""

PERFORMANCE_SELECTION_CAP_PER_YEAR = 10
"""R-PERF-2: each academic year a student selects at most 10 multiple performances (national)."""

MAX_CONFIGURABLE_UPLOADS = 1000
"""Sanity bound on a school's upload cap, so a typo cannot switch the cap off."""


class ArtifactKind(enum.StrEnum):
    OUTCOME = "outcome"  # 課程學習成果
    PERFORMANCE = "performance"  # 多元表現


@dataclass(frozen=True, slots=True)
class SchoolPolicy:
    """One school's configuration of the national rules."""

    outcomes_per_semester: int = DEFAULT_OUTCOMES_PER_SEMESTER  # R-ART-2, the example school's value
    performances_per_year: int = DEFAULT_PERFORMANCES_PER_YEAR  # R-PERF-1, the school's choice

    def __post_init__(self) -> None:
        for name in ("outcomes_per_semester", "performances_per_year"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise PolicyInvalid(f"{name} must be an integer", field=name)
            if not 1 <= value <= MAX_CONFIGURABLE_UPLOADS:
                raise PolicyInvalid(f"{name} must be between 1 and {MAX_CONFIGURABLE_UPLOADS}", field=name)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SchoolPolicy:
        known = {"outcomes_per_semester", "performances_per_year"}
        unknown = set(data) - known
        if unknown:
            raise PolicyInvalid(f"unknown policy keys: {sorted(unknown)}", field=sorted(unknown)[0])
        return cls(**{k: data[k] for k in known if k in data})


def _check_count(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PolicyInvalid(f"{name} must be a non-negative integer", field=name)


def check_outcome_upload_allowed(policy: SchoolPolicy, existing_count: int) -> None:
    """Refuse a new outcome when the student already has the school's maximum this semester (R-ART-2).

    ``existing_count`` counts the student's outcomes of the semester that are not withdrawn.
    """
    _check_count(existing_count, "existing_count")
    if existing_count >= policy.outcomes_per_semester:
        raise UploadCapReached(
            f"this school allows {policy.outcomes_per_semester} course learning outcomes per semester; "
            f"{existing_count} already uploaded",
            field="outcomes",
            rule="R-ART-2",
        )


def check_performance_upload_allowed(policy: SchoolPolicy, existing_count: int) -> None:
    """Refuse a new performance over the school's yearly maximum (R-PERF-1)."""
    _check_count(existing_count, "existing_count")
    if existing_count >= policy.performances_per_year:
        raise UploadCapReached(
            f"this school allows {policy.performances_per_year} multiple performances per academic year; "
            f"{existing_count} already uploaded",
            field="performances",
            rule="R-PERF-1",
        )


_SELECTION_CAPS: Mapping[ArtifactKind, tuple[int, str]] = {
    ArtifactKind.OUTCOME: (OUTCOME_SELECTION_CAP_PER_YEAR, "R-ART-4"),
    ArtifactKind.PERFORMANCE: (PERFORMANCE_SELECTION_CAP_PER_YEAR, "R-PERF-2"),
}


def selection_cap(kind: ArtifactKind) -> int:
    return _SELECTION_CAPS[kind][0]


def check_selection(kind: ArtifactKind, currently_selected: int, adding: int = 1) -> None:
    """Refuse a selection (勾選) that would exceed the national yearly cap (R-ART-4, R-PERF-2)."""
    _check_count(currently_selected, "currently_selected")
    _check_count(adding, "adding")
    cap, rule = _SELECTION_CAPS[ArtifactKind(kind)]
    if currently_selected + adding > cap:
        raise SelectionCapReached(
            f"at most {cap} {kind.value}s may be selected per academic year; "
            f"{currently_selected} selected, {adding} more requested",
            field="selected",
            rule=rule,
        )


def check_window(now: datetime, opens_at: datetime, closes_at: datetime, *, phase: str, rule: str) -> None:
    """Refuse an action outside the school's window for it (e.g. R-ART-1 upload, R-ART-3 certification).

    The window is half-open: ``opens_at <= now < closes_at``. All three must be timezone-aware.
    """
    if any(t.tzinfo is None or t.utcoffset() is None for t in (now, opens_at, closes_at)):
        raise ValueError("window times must be timezone-aware")
    if not opens_at <= now < closes_at:
        raise WindowClosed(
            f"the {phase} window is {opens_at.isoformat()} to {closes_at.isoformat()}; now is {now.isoformat()}",
            field=phase,
            rule=rule,
        )
