"""Read side: lists, single items, downloads and the self-check reports (R-SCHED-2)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from portfolio_artifacts.adapters.orm import files, outcomes, performances, rc_course_members, rc_courses
from portfolio_artifacts.adapters.sql import Executor, autocommit
from portfolio_shared.auth import Principal
from portfolio_shared.permissions import Permission

from .access import can_read_outcome, can_read_performance, outcome_scope, performance_where
from .authority import unavailable
from .context import Deps
from .errors import NotAllowed, NotFound
from .views import outcome_page, outcome_view, performance_page, performance_view


async def list_outcomes(
    deps: Deps, actor: Principal, filters: dict[str, Any], limit: int, offset: int
) -> list[dict[str, Any]]:
    async with autocommit(deps.runtime.engine) as conn:  # reads only: no BEGIN/ROLLBACK round trips
        scope = await outcome_scope(conn, actor, deps.moment())
        query = select(outcomes.c.id).where(scope.where())
        for name, value in filters.items():
            if value is not None:
                query = query.where(outcomes.c[name] == value)
        query = query.order_by(outcomes.c.created_at.desc(), outcomes.c.id).limit(limit).offset(offset)
        return await outcome_page(conn, query)


async def _visible_outcome(session: Executor, deps: Deps, actor: Principal, outcome_id: uuid.UUID) -> Any:
    row = (await session.execute(select(outcomes).where(outcomes.c.id == outcome_id))).first()
    if row is None or not await can_read_outcome(session, actor, row, deps.moment()):
        raise NotFound(f"outcome {outcome_id} does not exist or is not visible to you")
    return row


async def get_outcome(deps: Deps, actor: Principal, outcome_id: uuid.UUID) -> dict[str, Any]:
    async with autocommit(deps.runtime.engine) as conn:
        return await outcome_view(conn, await _visible_outcome(conn, deps, actor, outcome_id))


async def list_performances(
    deps: Deps, actor: Principal, filters: dict[str, Any], limit: int, offset: int
) -> list[dict[str, Any]]:
    async with autocommit(deps.runtime.engine) as conn:
        query = select(performances.c.id).where(performance_where(actor))
        for name, value in filters.items():
            if value is not None:
                query = query.where(performances.c[name] == value)
        query = query.order_by(performances.c.created_at.desc(), performances.c.id).limit(limit).offset(offset)
        return await performance_page(conn, query)


async def _visible_performance(session: Executor, actor: Principal, performance_id: uuid.UUID) -> Any:
    row = (await session.execute(select(performances).where(performances.c.id == performance_id))).first()
    if row is None or not can_read_performance(actor, row):
        raise NotFound(f"performance {performance_id} does not exist or is not visible to you")
    return row


async def get_performance(deps: Deps, actor: Principal, performance_id: uuid.UUID) -> dict[str, Any]:
    async with autocommit(deps.runtime.engine) as conn:
        return await performance_view(conn, await _visible_performance(conn, actor, performance_id))


async def download(deps: Deps, actor: Principal, kind: str, owner_id: uuid.UUID, file_id: uuid.UUID) -> dict[str, Any]:
    """A short-lived presigned GET with a safe Content-Disposition, for an accepted file one may read."""
    async with deps.uow() as uow:
        s = uow.session
        if kind == "outcome":
            await _visible_outcome(s, deps, actor, owner_id)
        else:
            await _visible_performance(s, actor, owner_id)
        f = (
            await s.execute(
                select(files).where(
                    files.c.id == file_id,
                    files.c.owner_kind == kind,
                    files.c.owner_id == owner_id,
                    files.c.status.in_(["accepted", "superseded"]),
                )
            )
        ).first()
    if f is None:
        raise NotFound(f"file {file_id} does not exist or is not visible to you")
    req = await deps.storage.presign_get(
        f.object_key, filename=f.filename, content_type=f.mime or "application/octet-stream", expires=deps.download_ttl
    )
    return {"file_id": str(f.id), "method": req.method, "url": req.url, "expires_in": req.expires_in}


def _require_selfcheck(actor: Principal, school_id: str) -> None:
    if not actor.can(Permission.SELFCHECK_READ, school_id):
        raise NotAllowed(f"self-check reports need the permission '{Permission.SELFCHECK_READ}'", rule="R-SCHED-2")


async def uncertified_by_teacher(
    deps: Deps, actor: Principal, school_id: str, academic_year: int | None, semester: int | None
) -> dict[str, Any]:
    """Teachers with outcomes awaiting certification, with counts (R-SCHED-2, R-ART-3)."""
    _require_selfcheck(actor, school_id)
    async with deps.uow() as uow:
        s = uow.session
        query = (
            select(
                rc_course_members.c.user_id.label("teacher_user_id"),
                outcomes.c.course_id,
                func.count().label("n"),
            )
            .join(rc_course_members, rc_course_members.c.course_id == outcomes.c.course_id)
            .where(
                outcomes.c.school_id == school_id,
                outcomes.c.status == "submitted",
                rc_course_members.c.role == "certifier",
            )
            .group_by(rc_course_members.c.user_id, outcomes.c.course_id)
        )
        if academic_year is not None:
            query = query.where(outcomes.c.academic_year == academic_year)
        if semester is not None:
            query = query.where(outcomes.c.semester == semester)
        rows = (await s.execute(query)).all()
        teachers: dict[str, dict[str, Any]] = {}
        for r in rows:
            t = teachers.setdefault(
                r.teacher_user_id, {"teacher_user_id": r.teacher_user_id, "uncertified": 0, "courses": []}
            )
            t["uncertified"] += int(r.n)
            t["courses"].append({"course_id": r.course_id, "uncertified": int(r.n)})
        away = await unavailable(s, school_id, list(teachers), deps.today())
    items = sorted(teachers.values(), key=lambda t: (-t["uncertified"], t["teacher_user_id"]))
    for t in items:
        t["unavailable"] = t["teacher_user_id"] in away
    return {"school_id": school_id, "academic_year": academic_year, "semester": semester, "teachers": items}


async def selection_status(deps: Deps, actor: Principal, school_id: str, academic_year: int) -> dict[str, Any]:
    """Each student's selection status for outcomes and for performances (R-SCHED-2, R-ART-4, R-PERF-2)."""
    _require_selfcheck(actor, school_id)
    async with deps.uow() as uow:
        s = uow.session
        students: dict[str, dict[str, int]] = {}

        def entry(student: str) -> dict[str, int]:
            return students.setdefault(
                student,
                {
                    "outcomes_certified": 0,
                    "outcomes_selected": 0,
                    "performances_uploaded": 0,
                    "performances_selected": 0,
                },
            )

        enrolled = await s.execute(
            select(rc_course_members.c.user_id)
            .join(rc_courses, rc_courses.c.course_id == rc_course_members.c.course_id)
            .where(
                rc_courses.c.school_id == school_id,
                rc_courses.c.academic_year == academic_year,
                rc_course_members.c.role == "student",
            )
            .distinct()
        )
        for r in enrolled:
            entry(r.user_id)
        o_rows = await s.execute(
            select(outcomes.c.student_user_id, outcomes.c.selected, func.count().label("n"))
            .where(
                outcomes.c.school_id == school_id,
                outcomes.c.academic_year == academic_year,
                outcomes.c.status == "certified",
            )
            .group_by(outcomes.c.student_user_id, outcomes.c.selected)
        )
        for r in o_rows:
            e = entry(r.student_user_id)
            e["outcomes_certified"] += int(r.n)
            if r.selected:
                e["outcomes_selected"] += int(r.n)
        p_rows = await s.execute(
            select(performances.c.student_user_id, performances.c.selected, func.count().label("n"))
            .where(
                performances.c.school_id == school_id,
                performances.c.academic_year == academic_year,
                performances.c.status == "submitted",
            )
            .group_by(performances.c.student_user_id, performances.c.selected)
        )
        for r in p_rows:
            e = entry(r.student_user_id)
            e["performances_uploaded"] += int(r.n)
            if r.selected:
                e["performances_selected"] += int(r.n)
    return {
        "school_id": school_id,
        "academic_year": academic_year,
        "students": [{"student_user_id": k, **v} for k, v in sorted(students.items())],
    }
