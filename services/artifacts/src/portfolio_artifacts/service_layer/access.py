"""Object-level authorisation (who sees which outcome or performance).

A student reads only their own; a teacher only outcomes of courses they certify or act for (R-ART-3,
R-ART-5); staff with ``outcome:read_all`` / ``performance:read_all`` their own school's. Everything
else is 'not found', so another school's object looks exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_

from portfolio_artifacts.adapters.orm import outcomes, performances
from portfolio_artifacts.adapters.sql import Executor
from portfolio_shared.auth import Principal
from portfolio_shared.permissions import Permission

from .authority import Moment, certifiable_courses


@dataclass(frozen=True, slots=True)
class OutcomeScope:
    user_id: str
    read_all_schools: frozenset[str]
    courses: frozenset[str]

    def where(self) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = [outcomes.c.student_user_id == self.user_id]
        if self.read_all_schools:
            clauses.append(outcomes.c.school_id.in_(sorted(self.read_all_schools)))
        if self.courses:
            clauses.append(outcomes.c.course_id.in_(sorted(self.courses)))
        return or_(*clauses)

    def allows(self, row: Any) -> bool:
        return (
            row.student_user_id == self.user_id
            or row.school_id in self.read_all_schools
            or row.course_id in self.courses
        )


def _schools_with(actor: Principal, permission: Permission) -> frozenset[str]:
    return frozenset(s for s in actor.school_ids if actor.can(permission, s))


async def outcome_scope(session: Executor, actor: Principal, at: Moment) -> OutcomeScope:
    return OutcomeScope(
        user_id=actor.user_id,
        read_all_schools=_schools_with(actor, Permission.OUTCOME_READ_ALL),
        courses=frozenset(await certifiable_courses(session, actor, at)),
    )


async def can_read_outcome(session: Executor, actor: Principal, row: Any, at: Moment) -> bool:
    if row.student_user_id == actor.user_id or actor.can(Permission.OUTCOME_READ_ALL, row.school_id):
        return True
    return row.course_id in await certifiable_courses(session, actor, at)


def performance_where(actor: Principal) -> ColumnElement[bool]:
    schools = _schools_with(actor, Permission.PERFORMANCE_READ_ALL)
    clauses: list[ColumnElement[bool]] = [performances.c.student_user_id == actor.user_id]
    if schools:
        clauses.append(performances.c.school_id.in_(sorted(schools)))
    return or_(*clauses)


def can_read_performance(actor: Principal, row: Any) -> bool:
    return row.student_user_id == actor.user_id or actor.can(Permission.PERFORMANCE_READ_ALL, row.school_id)


__all__ = ["OutcomeScope", "can_read_outcome", "can_read_performance", "outcome_scope", "performance_where"]
