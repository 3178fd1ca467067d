"""Which central-database window a school's data is due in (R-SUB-1..3), as pure functions.

The central database announces its windows (提交期程) per school year; staff enter them. A window
belongs to a *window term*: a semester (academic year + 1/2) for basic data and course records, an
academic year (semester 0) for outcomes and performances.

- R-SUB-1: basic data and course records of a semester are due in the window of the NEXT semester.
- R-SUB-2: outcomes and performances of an academic year are due in the window of the NEXT year.
- R-SUB-3: grade 3 is earlier — its second-semester basic data and course records are due in the
  SAME semester's window, its outcomes and performances in the SAME year's.

Dates are the school's: a deadline is shown in the school's time zone, and a window entered as a
local date and time is read in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from .errors import InvalidWindow
from .kinds import is_yearly


@dataclass(frozen=True, order=True)
class Term:
    """An academic year (ROC, e.g. 114) and a semester (1, 2; 0 for a whole year)."""

    academic_year: int
    semester: int

    def __str__(self) -> str:
        return f"{self.academic_year}-{self.semester}"


@dataclass(frozen=True)
class CentralWindow:
    """One window of the central database for a kind and window term; several per term are allowed
    (grade 3's 第一梯次 / 第二梯次)."""

    id: str
    kind: str
    term: Term
    opens_at: datetime
    closes_at: datetime
    label: str = ""


def data_term_ok(kind: str, term: Term) -> bool:
    return term.semester == 0 if is_yearly(kind) else term.semester in (1, 2)


def due_term(kind: str, grade: int, data_term: Term) -> Term:
    """The window term in which ``kind`` data of ``data_term`` of a grade-``grade`` student is due."""
    if not 1 <= grade <= 3:
        raise InvalidWindow(f"grade must be 1, 2 or 3, not {grade}", field="grade")
    if not data_term_ok(kind, data_term):
        raise InvalidWindow(
            f"{kind} is submitted per {'academic year (semester 0)' if is_yearly(kind) else 'semester (1 or 2)'}",
            field="semester",
        )
    if is_yearly(kind):
        if grade == 3:  # R-SUB-3: grade 3's outcomes and performances in the SAME year's window
            return data_term
        return Term(data_term.academic_year + 1, 0)  # R-SUB-2: the NEXT academic year's window
    if grade == 3 and data_term.semester == 2:  # R-SUB-3: the SAME semester's window
        return data_term
    if data_term.semester == 1:  # R-SUB-1: the NEXT semester's window
        return Term(data_term.academic_year, 2)
    return Term(data_term.academic_year + 1, 1)


def check_window(kind: str, term: Term, opens_at: datetime, closes_at: datetime) -> None:
    """A window is for a real window term of its kind, opens before it closes, and has zones."""
    if not data_term_ok(kind, term):
        raise InvalidWindow(
            f"a {kind} window is for {'an academic year (semester 0)' if is_yearly(kind) else 'a semester (1 or 2)'}",
            field="semester",
        )
    if not 100 <= term.academic_year <= 200:
        raise InvalidWindow("academic_year is an ROC year between 100 and 200", field="academic_year")
    if opens_at.tzinfo is None or closes_at.tzinfo is None:
        raise InvalidWindow("opens_at and closes_at need a time zone", field="opens_at")
    if closes_at <= opens_at:
        raise InvalidWindow("the window must close after it opens", field="closes_at")


def in_school_zone(value: datetime, zone: tzinfo) -> datetime:
    """A window time entered without an offset is the school's local time; one with an offset is kept."""
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


@dataclass(frozen=True)
class Deadline:
    """By when ``kind`` data of a window term is due: the next window still open or to come (or, when
    all have closed, the last one, so staff see that it was missed)."""

    window: CentralWindow | None
    missed: bool


def deadline(windows: Iterable[CentralWindow], kind: str, term: Term, now: datetime) -> Deadline:
    mine = sorted((w for w in windows if w.kind == kind and w.term == term), key=lambda w: w.closes_at)
    if not mine:
        return Deadline(None, False)
    upcoming = [w for w in mine if w.closes_at > now]
    if upcoming:
        return Deadline(upcoming[0], False)
    return Deadline(mine[-1], True)


def is_open(window: CentralWindow, now: datetime) -> bool:
    return window.opens_at <= now < window.closes_at
