"""The SQL of retention (R-RET-1): seals, the school's archive period, deletion requests, their
confirmations, and the deletion of a student's records here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared.dialect import insert_for
from portfolio_shared.retention import ErasureReport, ErasureTally

from .orm import (
    cadre_records,
    counselling_records,
    course_students,
    deletion_confirmations,
    deletion_requests,
    enrolment_changes,
    enrolments,
    grades,
    psych_tests,
    retention_settings,
    rewards_punishments,
    sealed_students,
    service_learning,
    student_contacts,
    students,
)

# --- seals ------------------------------------------------------------------------------------------


async def seal_of(session: AsyncSession, student_id: uuid.UUID) -> Row[Any] | None:
    stmt = select(sealed_students).where(sealed_students.c.student_id == str(student_id))
    return (await session.execute(stmt)).first()


async def seals_of(session: AsyncSession, student_ids: Sequence[uuid.UUID]) -> dict[str, Row[Any]]:
    stmt = select(sealed_students).where(sealed_students.c.student_id.in_([str(s) for s in student_ids]))
    return {row.student_id: row for row in (await session.execute(stmt)).all()}


async def sealed_not_deleted(session: AsyncSession, school_id: str) -> list[Row[Any]]:
    """The school's graduates whose data is still here (the nightly purge's candidates)."""
    stmt = (
        select(sealed_students)
        .where(sealed_students.c.school_id == school_id, sealed_students.c.deleted_at.is_(None))
        .order_by(sealed_students.c.completed_on, sealed_students.c.student_id)
    )
    return list((await session.execute(stmt)).all())


async def mark_seals_deleted(
    session: AsyncSession, student_ids: Sequence[str], request_id: uuid.UUID, at: datetime
) -> None:
    await session.execute(
        update(sealed_students)
        .where(sealed_students.c.student_id.in_(list(student_ids)))
        .values(deleted_at=at, deletion_request_id=str(request_id))
    )


# --- the school's archive period --------------------------------------------------------------------


async def retention_settings_of(session: AsyncSession, school_id: str) -> Row[Any] | None:
    stmt = select(retention_settings).where(retention_settings.c.school_id == school_id)
    return (await session.execute(stmt)).first()


async def put_retention_settings(
    session: AsyncSession, school_id: str, *, archive_years: int, scheduled_purge: bool, actor: str, at: datetime
) -> None:
    stmt = insert_for(session, retention_settings).values(
        school_id=school_id,
        archive_years=archive_years,
        scheduled_purge=scheduled_purge,
        updated_by=actor,
        updated_at=at,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[retention_settings.c.school_id],
            set_={k: stmt.excluded[k] for k in ("archive_years", "scheduled_purge", "updated_by", "updated_at")},
        )
    )


async def purging_schools(session: AsyncSession) -> list[str]:
    stmt = select(retention_settings.c.school_id).where(retention_settings.c.scheduled_purge.is_(True))
    return sorted((await session.execute(stmt)).scalars().all())


# --- deleting a student's records here --------------------------------------------------------------

# Every table holding a student's records, children first (foreign keys), and how a row is named in
# the digest (its primary key).
_PER_STUDENT: tuple[tuple[str, Table, tuple[str, ...]], ...] = (
    ("grades", grades, ("student_id", "academic_year", "semester", "course_code")),
    ("cadre_records", cadre_records, ("id",)),
    ("service_learning", service_learning, ("id",)),
    ("rewards_punishments", rewards_punishments, ("id",)),
    ("psych_tests", psych_tests, ("id",)),
    ("counselling_records", counselling_records, ("id",)),
    ("course_memberships", course_students, ("course_id", "student_id")),
    ("contacts", student_contacts, ("student_id",)),
    ("enrolment_changes", enrolment_changes, ("id",)),
    ("enrolments", enrolments, ("id",)),
)


async def erase_students(session: AsyncSession, student_ids: Sequence[uuid.UUID]) -> ErasureReport:
    """Delete every record of these students here, the person row last (R-RET-1). The audit trail
    stays (R-RET-3): it names ids and field names, never the data."""
    tally = ErasureTally()
    ids = list(student_ids)
    for kind, table, key in _PER_STUDENT:
        column = table.c.student_id
        rows = (await session.execute(select(*[table.c[k] for k in key]).where(column.in_(ids)))).all()
        tally.add(kind, ("|".join(str(v) for v in row) for row in rows))
        await session.execute(delete(table).where(column.in_(ids)))
    gone = (await session.execute(select(students.c.id).where(students.c.id.in_(ids)))).scalars().all()
    tally.add("students", gone)
    await session.execute(delete(students).where(students.c.id.in_(ids)))
    return tally.report()


# --- deletion requests and their proof --------------------------------------------------------------


async def insert_request(
    session: AsyncSession,
    *,
    request_id: uuid.UUID,
    school_id: str,
    trigger: str,
    requested_by: str,
    requested_at: datetime,
    students_: list[dict[str, str | None]],
    expected_services: list[str],
) -> None:
    await session.execute(
        insert(deletion_requests).values(
            id=request_id,
            school_id=school_id,
            trigger=trigger,
            requested_by=requested_by,
            requested_at=requested_at,
            students=students_,
            expected_services=expected_services,
        )
    )


async def insert_confirmation(
    session: AsyncSession,
    *,
    request_id: uuid.UUID,
    service: str,
    deleted_at: datetime,
    confirmed_at: datetime,
    counts: dict[str, int],
    digests: dict[str, str],
) -> bool:
    """False when this service had confirmed already (a redelivered or repeated confirmation)."""
    stmt = (
        insert_for(session, deletion_confirmations)
        .values(
            request_id=request_id,
            service=service,
            deleted_at=deleted_at,
            confirmed_at=confirmed_at,
            counts=counts,
            digests=digests,
        )
        .on_conflict_do_nothing()
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0) == 1)


async def request_row(session: AsyncSession, request_id: uuid.UUID, *, lock: bool = False) -> Row[Any] | None:
    stmt = select(deletion_requests).where(deletion_requests.c.id == request_id)
    return (await session.execute(stmt.with_for_update() if lock else stmt)).first()


async def confirmations_of(session: AsyncSession, request_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Row[Any]]]:
    stmt = (
        select(deletion_confirmations)
        .where(deletion_confirmations.c.request_id.in_(list(request_ids)))
        .order_by(deletion_confirmations.c.confirmed_at, deletion_confirmations.c.service)
    )
    found: dict[uuid.UUID, list[Row[Any]]] = {rid: [] for rid in request_ids}
    for row in (await session.execute(stmt)).all():
        found[row.request_id].append(row)
    return found


async def requests_page(
    session: AsyncSession, school_id: str, *, limit: int, offset: int
) -> tuple[int, list[Row[Any]]]:
    where = deletion_requests.c.school_id == school_id
    total = (await session.execute(select(func.count()).select_from(deletion_requests).where(where))).scalar_one()
    stmt = (
        select(deletion_requests)
        .where(where)
        .order_by(deletion_requests.c.requested_at.desc(), deletion_requests.c.id)
        .limit(limit)
        .offset(offset)
    )
    return int(total), list((await session.execute(stmt)).all())


async def mark_request_complete(session: AsyncSession, request_id: uuid.UUID, at: datetime) -> None:
    await session.execute(
        update(deletion_requests)
        .where(deletion_requests.c.id == request_id, deletion_requests.c.completed_at.is_(None))
        .values(completed_at=at)
    )
