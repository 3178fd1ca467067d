"""Selection (勾選) for submission: at most 6 certified outcomes (R-ART-4) and 10 performances
(R-PERF-2) per academic year, inside the selection window, changeable while it is open.

The cap holds under concurrent requests: every change of one student's selection of one kind in one
year runs under that student-year's lock (``student_scope_lock``), and the count is read inside it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from portfolio_artifacts.adapters.orm import outcomes, performances
from portfolio_artifacts.adapters.sql import student_scope_lock
from portfolio_artifacts.domain import outcomes as lifecycle
from portfolio_artifacts.domain.errors import IllegalTransition, SelectionFrozen
from portfolio_artifacts.domain.policy import ArtifactKind, check_selection
from portfolio_shared.events.artifacts import (
    OutcomeDeselected,
    OutcomeSelected,
    PerformanceDeselected,
    PerformanceSelected,
)
from portfolio_shared.events.base import EventPayload
from portfolio_shared.permissions import Permission

from . import history
from .commands import ChangeSelection
from .context import Deps
from .enrolment import require_enrolled
from .errors import NotAllowed, NotFound
from .state import load_own, outcome_state, state_values
from .views import outcome_view, performance_view
from .windows import require_window


async def change_selection(cmd: ChangeSelection, deps: Deps) -> dict[str, Any]:
    kind = ArtifactKind(cmd.kind)
    table = outcomes if kind is ArtifactKind.OUTCOME else performances
    rule = "R-ART-4" if kind is ArtifactKind.OUTCOME else "R-PERF-2"
    me = cmd.actor.user_id
    async with deps.uow() as uow:
        s = uow.session
        probe = (
            await s.execute(
                select(table.c.student_user_id, table.c.academic_year, table.c.school_id).where(
                    table.c.id == cmd.artifact_id
                )
            )
        ).first()
        if probe is None or probe.student_user_id != me:
            raise NotFound(f"{kind.value} {cmd.artifact_id} does not exist or is not visible to you")
        if not cmd.actor.can(Permission.SELECTION_WRITE, probe.school_id):
            raise NotAllowed(f"selecting needs the permission '{Permission.SELECTION_WRITE}'", rule=rule)
        # Selecting and deselecting both change what is submitted: only during enrolment (R-DATA-6).
        await require_enrolled(s, school_id=probe.school_id, user_id=me, action="change your selection")
        await require_window(
            s,
            school_id=probe.school_id,
            academic_year=probe.academic_year,
            semester=None,
            phase=f"{kind.value}_selection",
            now=deps.now(),
            rule=rule,
        )
        async with student_scope_lock(s, f"select|{kind.value}|{me}|{probe.academic_year}"):
            row = await load_own(s, table, cmd.artifact_id, me, kind.value)
            if row.selected and not cmd.selected and row.frozen_by_batch is not None:
                # Submitted to the central database: undone only by an objection and a correction
                # batch (R-SUB-7, R-SUB-8), never by a deselect here.
                raise SelectionFrozen(
                    f"this {kind.value} was submitted to the central database (batch {row.frozen_by_batch}); "
                    "a correction goes through an objection to the receipt and a correction batch",
                    "此項目已提交至中央資料庫；如需更正，請於收訖確認期間提出異議，由學校以更正批次處理",
                    rule="R-SUB-7, R-SUB-8",
                    extra={"batch_id": row.frozen_by_batch},
                )
            if row.selected == cmd.selected:  # already as asked: nothing changes, nothing is published
                await uow.rollback()
            else:
                if cmd.selected:
                    current = await s.scalar(
                        select(func.count()).where(
                            table.c.student_user_id == me,
                            table.c.academic_year == row.academic_year,
                            table.c.selected.is_(True),
                        )
                    )
                    check_selection(kind, int(current or 0))
                values = _transition(kind, row, cmd.selected)
                now = deps.now()
                await s.execute(update(table).where(table.c.id == row.id).values(**values, updated_at=now))
                action: history.Action = "selected" if cmd.selected else "deselected"
                await history.record(s, kind=kind.value, row=row, action=action, actor=me, at=now)  # R-RET-3
                uow.publish(_event(kind, row, cmd.selected), school_id=row.school_id, actor=me)
                await uow.commit()
        fresh = await load_own(s, table, cmd.artifact_id, me, kind.value)
        if kind is ArtifactKind.OUTCOME:
            return await outcome_view(s, fresh)
        return await performance_view(s, fresh)


def _transition(kind: ArtifactKind, row: Any, selected: bool) -> dict[str, Any]:
    if kind is ArtifactKind.OUTCOME:
        state = outcome_state(row)
        state = lifecycle.select(state) if selected else lifecycle.deselect(state)  # only certified ones (R-ART-4)
        return state_values(state)
    if selected and row.status != "submitted":
        raise IllegalTransition(
            f"cannot select a multiple performance that is {row.status}", field="status", rule="R-PERF-2"
        )
    return {"selected": selected}


def _event(kind: ArtifactKind, row: Any, selected: bool) -> EventPayload:
    common = {"student_user_id": row.student_user_id, "school_id": row.school_id, "academic_year": row.academic_year}
    if kind is ArtifactKind.OUTCOME:
        return (OutcomeSelected if selected else OutcomeDeselected)(outcome_id=str(row.id), **common)
    return (PerformanceSelected if selected else PerformanceDeselected)(performance_id=str(row.id), **common)
