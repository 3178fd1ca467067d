"""Named queries of the submission service (all its SQL outside the read-copy consumers).

Every query takes the school it serves: objects of another school are never read (they answer 404
upstream, so their existence does not leak).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared import audit

from .orm import (
    audit_log,
    batch_exclusions,
    batch_findings,
    batches,
    central_windows,
    rc_absences,
    rc_cadres,
    rc_courses,
    rc_duties,
    rc_file_problems,
    rc_grade_years,
    rc_items,
    rc_schools,
    rc_students,
    rc_term_grades,
    rc_users,
)

# -- central windows --------------------------------------------------------------------------------


async def add_window(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(central_windows).values(**values))


async def windows_of(
    session: AsyncSession, school_id: str, *, kind: str | None = None, academic_year: int | None = None
) -> Sequence[RowMapping]:
    stmt = select(central_windows).where(central_windows.c.school_id == school_id)
    if kind is not None:
        stmt = stmt.where(central_windows.c.kind == kind)
    if academic_year is not None:
        stmt = stmt.where(central_windows.c.academic_year == academic_year)
    stmt = stmt.order_by(central_windows.c.opens_at, central_windows.c.id)
    return (await session.execute(stmt)).mappings().all()


async def window(session: AsyncSession, school_id: str, window_id: str) -> RowMapping | None:
    stmt = select(central_windows).where(central_windows.c.school_id == school_id, central_windows.c.id == window_id)
    return (await session.execute(stmt)).mappings().first()


async def delete_window(session: AsyncSession, school_id: str, window_id: str) -> None:
    await session.execute(
        delete(central_windows).where(central_windows.c.school_id == school_id, central_windows.c.id == window_id)
    )


# -- batches ----------------------------------------------------------------------------------------


async def add_batch(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(batches).values(**values))


async def batch(
    session: AsyncSession, school_id: str | None, batch_id: str, *, lock: bool = False
) -> RowMapping | None:
    stmt = select(batches).where(batches.c.id == batch_id)
    if school_id is not None:
        stmt = stmt.where(batches.c.school_id == school_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def batches_of(
    session: AsyncSession,
    school_id: str,
    *,
    kinds: Iterable[str] | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[RowMapping]:
    stmt = select(batches).where(batches.c.school_id == school_id)
    if kinds is not None:
        stmt = stmt.where(batches.c.kind.in_(list(kinds)))
    if status is not None:
        stmt = stmt.where(batches.c.status == status)
    stmt = stmt.order_by(batches.c.created_at.desc(), batches.c.id).limit(limit).offset(offset)
    return (await session.execute(stmt)).mappings().all()


async def open_batch_for(
    session: AsyncSession, school_id: str, kind: str, academic_year: int, semester: int, states: Iterable[str]
) -> RowMapping | None:
    stmt = select(batches).where(
        batches.c.school_id == school_id,
        batches.c.kind == kind,
        batches.c.academic_year == academic_year,
        batches.c.semester == semester,
        batches.c.status.in_(list(states)),
    )
    return (await session.execute(stmt.limit(1))).mappings().first()


async def accepted_terms(session: AsyncSession, school_id: str) -> set[tuple[str, int, int]]:
    stmt = select(batches.c.kind, batches.c.academic_year, batches.c.semester).where(
        batches.c.school_id == school_id, batches.c.status == "accepted"
    )
    return {(r.kind, r.academic_year, r.semester) for r in (await session.execute(stmt)).all()}


async def update_batch(session: AsyncSession, batch_id: str, expected_version: int, values: Mapping[str, Any]) -> bool:
    """Write ``values`` if the batch is still at ``expected_version`` (optimistic concurrency)."""
    result = await session.execute(
        update(batches)
        .where(batches.c.id == batch_id, batches.c.version == expected_version)
        .values(version=expected_version + 1, **values)
    )
    return bool(getattr(result, "rowcount", 0))


async def exclusions(session: AsyncSession, batch_id: str) -> Sequence[RowMapping]:
    stmt = (
        select(batch_exclusions).where(batch_exclusions.c.batch_id == batch_id).order_by(batch_exclusions.c.student_id)
    )
    return (await session.execute(stmt)).mappings().all()


async def add_exclusions(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(insert(batch_exclusions), list(rows))


async def replace_findings(session: AsyncSession, batch_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
    await session.execute(delete(batch_findings).where(batch_findings.c.batch_id == batch_id))
    if rows:
        await session.execute(insert(batch_findings), list(rows))


async def findings(
    session: AsyncSession, batch_id: str, *, limit: int | None = None, offset: int = 0
) -> Sequence[RowMapping]:
    stmt = select(batch_findings).where(batch_findings.c.batch_id == batch_id).order_by(batch_findings.c.seq)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return (await session.execute(stmt)).mappings().all()


async def write_audit(
    session: AsyncSession,
    *,
    entry_id: str,
    school_id: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    at: datetime,
    details: Mapping[str, Any],
) -> None:
    row = {
        "id": entry_id,
        "school_id": school_id,
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "at": at,
        "details": dict(details),
    }
    await audit.append(session, audit_log, [row])


# -- read copies, as the use cases read them --------------------------------------------------------


async def school(session: AsyncSession, school_id: str) -> RowMapping | None:
    return (await session.execute(select(rc_schools).where(rc_schools.c.school_id == school_id))).mappings().first()


async def duty(session: AsyncSession, school_id: str, duty_code: str) -> RowMapping | None:
    stmt = select(rc_duties).where(rc_duties.c.school_id == school_id, rc_duties.c.duty_code == duty_code)
    return (await session.execute(stmt)).mappings().first()


async def absences(session: AsyncSession, school_id: str, user_ids: Iterable[str]) -> Sequence[RowMapping]:
    stmt = select(rc_absences).where(
        rc_absences.c.school_id == school_id,
        rc_absences.c.user_id.in_(list(user_ids)),
        rc_absences.c.cleared.is_(False),
    )
    return (await session.execute(stmt)).mappings().all()


async def users_left(session: AsyncSession, user_ids: Iterable[str]) -> set[str]:
    stmt = select(rc_users.c.user_id).where(rc_users.c.user_id.in_(list(user_ids)), rc_users.c.status == "left")
    return set((await session.execute(stmt)).scalars().all())


async def display_names(session: AsyncSession, user_ids: Iterable[str]) -> dict[str, str]:
    ids = [u for u in user_ids if u]
    if not ids:
        return {}
    stmt = select(rc_users.c.user_id, rc_users.c.display_name).where(rc_users.c.user_id.in_(ids))
    return {r.user_id: r.display_name for r in (await session.execute(stmt)).all()}


async def students_during(session: AsyncSession, school_id: str, first: date, last: date) -> Sequence[RowMapping]:
    """Students whose enrolment at the school overlaps [first, last] (R-DATA-6)."""
    stmt = (
        select(rc_students)
        .where(
            rc_students.c.school_id == school_id,
            or_(rc_students.c.enrolled_on.is_(None), rc_students.c.enrolled_on <= last),
            or_(rc_students.c.left_on.is_(None), rc_students.c.left_on >= first),
        )
        .order_by(rc_students.c.class_name, rc_students.c.seat_number, rc_students.c.student_id)
    )
    return (await session.execute(stmt)).mappings().all()


async def students_by_id(session: AsyncSession, school_id: str, student_ids: Iterable[str]) -> dict[str, RowMapping]:
    stmt = select(rc_students).where(
        rc_students.c.school_id == school_id, rc_students.c.student_id.in_(list(student_ids))
    )
    return {r["student_id"]: r for r in (await session.execute(stmt)).mappings().all()}


async def students_by_user(session: AsyncSession, school_id: str, user_ids: Iterable[str]) -> dict[str, RowMapping]:
    stmt = select(rc_students).where(rc_students.c.school_id == school_id, rc_students.c.user_id.in_(list(user_ids)))
    return {r["user_id"]: r for r in (await session.execute(stmt)).mappings().all()}


async def grade_years(session: AsyncSession, school_id: str, student_ids: Iterable[str]) -> dict[tuple[str, int], int]:
    stmt = select(rc_grade_years).where(
        rc_grade_years.c.school_id == school_id, rc_grade_years.c.student_id.in_(list(student_ids))
    )
    return {(r.student_id, r.academic_year): r.grade for r in (await session.execute(stmt)).all()}


async def term_grades(session: AsyncSession, school_id: str, academic_year: int, semester: int) -> Sequence[RowMapping]:
    stmt = select(rc_term_grades).where(
        rc_term_grades.c.school_id == school_id,
        rc_term_grades.c.academic_year == academic_year,
        rc_term_grades.c.semester == semester,
    )
    return (await session.execute(stmt)).mappings().all()


async def cadres(session: AsyncSession, school_id: str, academic_year: int, semester: int) -> Sequence[RowMapping]:
    stmt = (
        select(rc_cadres)
        .where(
            rc_cadres.c.school_id == school_id,
            rc_cadres.c.academic_year == academic_year,
            rc_cadres.c.semester == semester,
        )
        .order_by(rc_cadres.c.student_id, rc_cadres.c.starts_on, rc_cadres.c.record_id)
    )
    return (await session.execute(stmt)).mappings().all()


async def selected_items(
    session: AsyncSession, school_id: str, item_kind: str, academic_year: int
) -> Sequence[RowMapping]:
    """Items selected for submission in an academic year (R-ART-4, R-PERF-2), withdrawn ones left out."""
    stmt = (
        select(rc_items)
        .where(
            rc_items.c.school_id == school_id,
            rc_items.c.item_kind == item_kind,
            rc_items.c.selected.is_(True),
            rc_items.c.selected_year == academic_year,
            rc_items.c.status != "withdrawn",
        )
        .order_by(rc_items.c.student_user_id, rc_items.c.academic_year, rc_items.c.semester, rc_items.c.item_id)
    )
    return (await session.execute(stmt)).mappings().all()


async def courses(session: AsyncSession, course_ids: Iterable[str]) -> dict[str, RowMapping]:
    stmt = select(rc_courses).where(rc_courses.c.course_id.in_(list(course_ids)))
    return {r["course_id"]: r for r in (await session.execute(stmt)).mappings().all()}


async def file_problems(session: AsyncSession, item_ids: Iterable[str]) -> dict[str, list[RowMapping]]:
    stmt = select(rc_file_problems).where(rc_file_problems.c.item_id.in_(list(item_ids)))
    found: dict[str, list[RowMapping]] = {}
    for row in (await session.execute(stmt)).mappings().all():
        found.setdefault(row["item_id"], []).append(row)
    return found


async def count_students_by_grade(
    session: AsyncSession, school_id: str, first: date, last: date, academic_year: int
) -> dict[int, int]:
    """How many students of each grade (in ``academic_year``) were enrolled during [first, last]."""
    grade = func.coalesce(rc_grade_years.c.grade, rc_students.c.grade)
    stmt = (
        select(grade.label("grade"), func.count().label("n"))
        .select_from(
            rc_students.outerjoin(
                rc_grade_years,
                and_(
                    rc_grade_years.c.school_id == rc_students.c.school_id,
                    rc_grade_years.c.student_id == rc_students.c.student_id,
                    rc_grade_years.c.academic_year == academic_year,
                ),
            )
        )
        .where(
            rc_students.c.school_id == school_id,
            or_(rc_students.c.enrolled_on.is_(None), rc_students.c.enrolled_on <= last),
            or_(rc_students.c.left_on.is_(None), rc_students.c.left_on >= first),
        )
        .group_by(grade)
    )
    return {int(r.grade): int(r.n) for r in (await session.execute(stmt)).all()}
