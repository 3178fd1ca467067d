"""File sizes in messages a person can act on: the limit and the actual size in the same unit.

"4 MB limit; this file is 4.01 MB" tells a student how much to shrink; "at most 4 MB; declared
4.00 MB (4194305 bytes)" makes them compare two units and still shows two equal-looking numbers.
Sizes are binary (1 MB = 1,048,576 bytes), as the central database's limits are (R-FILE-1).
"""

from __future__ import annotations

KB = 1024
MB = 1024 * 1024

_UNITS = ((MB, "MB"), (KB, "KB"), (1, "bytes"))


def _unit_for(limit: int) -> tuple[int, str]:
    return next((size, name) for size, name in _UNITS if limit >= size)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def format_size(size: int) -> str:
    """``4 MB``, ``3.50 MB``, ``512 KB``, ``12 bytes``."""
    unit, name = _unit_for(size)
    return f"{_number(size / unit)} {name}"


def over_limit(limit: int, size: int, *, what: str = "this file") -> str:
    """``4 MB limit; this file is 4.01 MB`` — both in the limit's unit, with two decimals. When
    two decimals would hide the excess (4.00 MB for 4,194,305 bytes), both are given in bytes."""
    unit, name = _unit_for(limit)
    shown = f"{size / unit:,.2f}"
    if unit > 1 and float(shown.replace(",", "")) > limit / unit:
        return f"{_number(limit / unit)} {name} limit; {what} is {shown} {name}"
    if unit == 1:
        return f"{limit:,} bytes limit; {what} is {size:,} bytes"
    return f"{limit:,} bytes ({format_size(limit)}) limit; {what} is {size:,} bytes"
