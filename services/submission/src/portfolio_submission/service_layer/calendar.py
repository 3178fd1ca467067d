"""The central database's windows as staff enter them, and what each office has due, by when, for
how many students (R-SUB-1..4)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy.engine import RowMapping

from portfolio_shared.academic import academic_year_of, semester_of, term_bounds
from portfolio_shared.auth import Principal
from portfolio_shared.clock import as_utc
from portfolio_shared.errors import not_found
from portfolio_shared.permissions import Permission
from portfolio_submission.adapters import repositories as repo
from portfolio_submission.domain.calendar import (
    CentralWindow,
    Deadline,
    Term,
    check_window,
    deadline,
    due_term,
    in_school_zone,
)
from portfolio_submission.domain.kinds import DATA_KINDS, OFFICE_OF, SEMESTER_KINDS, office_duty

from .access import require, require_any
from .context import Deps

# Who enters the central database's windows: the offices that submit, or whoever plans the schedule.
WINDOW_WRITERS = (Permission.SUBMISSION_SUBMIT, Permission.SCHEDULE_WRITE)


@dataclass(frozen=True)
class NewWindow:
    school_id: str
    kind: str
    academic_year: int
    semester: int
    opens_at: datetime
    closes_at: datetime
    label: str = ""


def _window(row: RowMapping) -> CentralWindow:
    return CentralWindow(
        id=row["id"],
        kind=row["kind"],
        term=Term(row["academic_year"], row["semester"]),
        opens_at=as_utc(row["opens_at"]),
        closes_at=as_utc(row["closes_at"]),
        label=row["label"],
    )


async def add_window(deps: Deps, actor: Principal, cmd: NewWindow) -> RowMapping:
    require_any(actor, WINDOW_WRITERS, cmd.school_id, rule="R-SUB-1")
    opens_at, closes_at = in_school_zone(cmd.opens_at, deps.zone), in_school_zone(cmd.closes_at, deps.zone)
    check_window(cmd.kind, Term(cmd.academic_year, cmd.semester), opens_at, closes_at)
    window_id = str(uuid.uuid4())
    async with deps.uow() as uow:
        now = deps.now()
        await repo.add_window(
            uow.session,
            {
                "id": window_id,
                "school_id": cmd.school_id,
                "kind": cmd.kind,
                "academic_year": cmd.academic_year,
                "semester": cmd.semester,
                # Stored in UTC: SQLite keeps a datetime's wall time and drops its offset.
                "opens_at": opens_at.astimezone(UTC),
                "closes_at": closes_at.astimezone(UTC),
                "label": cmd.label,
                "created_by": actor.user_id,
                "created_at": now,
            },
        )
        await repo.write_audit(
            uow.session,
            entry_id=str(uuid.uuid4()),
            school_id=cmd.school_id,
            actor=actor.user_id,
            action="window.created",
            entity="central_window",
            entity_id=window_id,
            at=now,
            details={"kind": cmd.kind, "term": f"{cmd.academic_year}-{cmd.semester}"},
        )
        row = await repo.window(uow.session, cmd.school_id, window_id)
        await uow.commit()
    assert row is not None
    return row


async def list_windows(
    deps: Deps, actor: Principal, school_id: str, *, kind: str | None, academic_year: int | None
) -> Sequence[RowMapping]:
    require(actor, Permission.SUBMISSION_READ, school_id)
    async with deps.uow() as uow:
        return await repo.windows_of(uow.session, school_id, kind=kind, academic_year=academic_year)


async def delete_window(deps: Deps, actor: Principal, school_id: str, window_id: str) -> None:
    require_any(actor, WINDOW_WRITERS, school_id, rule="R-SUB-1")
    async with deps.uow() as uow:
        row = await repo.window(uow.session, school_id, window_id)
        if row is None:
            raise not_found(f"central window {window_id}")
        await repo.delete_window(uow.session, school_id, window_id)
        await repo.write_audit(
            uow.session,
            entry_id=str(uuid.uuid4()),
            school_id=school_id,
            actor=actor.user_id,
            action="window.deleted",
            entity="central_window",
            entity_id=window_id,
            at=deps.now(),
            details={"kind": row["kind"], "term": f"{row['academic_year']}-{row['semester']}"},
        )
        await uow.commit()


@dataclass(frozen=True)
class DueItem:
    """``kind`` data of ``data_term`` for ``student_count`` students of ``grades`` is due in the
    windows of ``due_term``; ``deadline`` is the next of those windows (None: not entered yet)."""

    kind: str
    office: str
    duty_code: str
    data_term: Term
    due_term: Term
    grades: tuple[int, ...]
    student_count: int
    deadline: Deadline


def data_terms(kind: str, on: date) -> list[Term]:
    """The data terms that may still be due on ``on``: the previous and the current one."""
    year, semester = academic_year_of(on), semester_of(on)
    if kind in SEMESTER_KINDS:
        previous = Term(year, 1) if semester == 2 else Term(year - 1, 2)
        return [previous, Term(year, semester)]
    return [Term(year - 1, 0), Term(year, 0)]


async def due(deps: Deps, actor: Principal, school_id: str, on: date | None = None) -> list[DueItem]:
    """Per office and kind: what is due, in which window, by when, for how many students (R-SUB-1..4)."""
    require(actor, Permission.SUBMISSION_READ, school_id)
    # As of a given school-local day: its first moment; else now.
    now = deps.now() if on is None else datetime.combine(on, time.min, deps.zone)
    on = on or deps.today()
    items: list[DueItem] = []
    async with deps.uow() as uow:
        s = uow.session
        windows = [_window(w) for w in await repo.windows_of(s, school_id)]
        accepted = await repo.accepted_terms(s, school_id)
        for kind in DATA_KINDS:
            for term in data_terms(kind, on):
                if (kind, term.academic_year, term.semester) in accepted:
                    continue
                first, last = term_bounds(term.academic_year, term.semester)
                by_grade = await repo.count_students_by_grade(s, school_id, first, last, term.academic_year)
                groups: dict[Term, list[int]] = defaultdict(list)
                for grade in sorted(by_grade):
                    if 1 <= grade <= 3:
                        groups[due_term(kind, grade, term)].append(grade)
                for target, grades in sorted(groups.items()):
                    items.append(
                        DueItem(
                            kind=kind,
                            office=OFFICE_OF[kind],
                            duty_code=office_duty(kind),
                            data_term=term,
                            due_term=target,
                            grades=tuple(grades),
                            student_count=sum(by_grade[g] for g in grades),
                            deadline=deadline(windows, kind, target, now),
                        )
                    )
    return items
