"""Which term a page shows by default: the school year runs August–July (ROC year = AD − 1911),
semester 1 from August, semester 2 from February (the same calendar records keeps)."""

from __future__ import annotations

from datetime import date

ROC_OFFSET = 1911


def current_term(today: date) -> tuple[int, int]:
    """(academic year, semester) of a day: 2026-03-01 → (114, 2); 2025-09-01 → (114, 1)."""
    if today.month >= 8:
        return today.year - ROC_OFFSET, 1
    if today.month == 1:
        return today.year - 1 - ROC_OFFSET, 1
    return today.year - 1 - ROC_OFFSET, 2


def counts_towards_cap(item: dict[str, object], now_iso: str) -> bool:
    """An item uses one of the cap's uploads unless withdrawn; a draft only until its upload links
    lapse (artifacts' ``draft_counts_until``, R-ART-2, R-PERF-1). ``now_iso`` is UTC RFC 3339."""
    status = item.get("status")
    if status == "withdrawn":
        return False
    if status == "draft":
        until = item.get("draft_counts_until")
        return isinstance(until, str) and _utc(until) >= _utc(now_iso)
    return True


def _utc(text: str) -> str:
    from datetime import UTC, datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).isoformat()
