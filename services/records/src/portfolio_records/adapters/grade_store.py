"""Bulk writing of semester grades (R-DATA-2, R-DUTY-3): the nightly SIS import.

PostgreSQL: the parsed rows go through binary ``COPY`` into a temporary staging table, then one
``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE changed`` writes them; the statement returns
one row per changed student-semester, so a million-line file costs one round trip for the data
and one for the merge. SQLite (standalone shape): a diff in Python and batched ``executemany``.

Either way an identical file changes nothing (idempotent), and a grade recorded by another school
(before a transfer) is never overwritten by this school's file (R-ENR-1: nothing certified lost).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_records.adapters.orm import enrolments, grade_imports, grades
from portfolio_records.domain.grades_csv import GradeRow

TermKey = tuple[uuid.UUID, int, int]  # student id, academic year, semester

_STAGING_COLUMNS = (
    "line_number",
    "student_number",
    "academic_year",
    "semester",
    "course_code",
    "subject_name",
    "credits",
    "score",
    "passed",
    "makeup_score",
    "qualitative",
)
_CREATE_STAGING = """
CREATE TEMPORARY TABLE grade_staging (
    line_number integer NOT NULL, student_number varchar(20) NOT NULL, academic_year integer NOT NULL,
    semester integer NOT NULL, course_code varchar(40) NOT NULL, subject_name varchar(100) NOT NULL,
    credits integer NOT NULL, score numeric(5, 2) NOT NULL, passed boolean NOT NULL,
    makeup_score numeric(5, 2), qualitative varchar(500)
) ON COMMIT DROP
"""
_UNKNOWN = """
SELECT s.line_number FROM grade_staging s
LEFT JOIN enrolments e ON e.school_id = :school AND e.student_number = s.student_number
WHERE e.student_id IS NULL ORDER BY s.line_number
"""
_VALUES = "school_id, subject_name, credits, score, passed, makeup_score, qualitative"
_MERGE = f"""
WITH changed AS (
    INSERT INTO grades (student_id, academic_year, semester, course_code, {_VALUES}, updated_at)
    SELECT e.student_id, s.academic_year, s.semester, s.course_code, :school, s.subject_name, s.credits,
           s.score, s.passed, s.makeup_score, s.qualitative, :now
    FROM grade_staging s JOIN enrolments e ON e.school_id = :school AND e.student_number = s.student_number
    ON CONFLICT (student_id, academic_year, semester, course_code) DO UPDATE SET
        subject_name = EXCLUDED.subject_name, credits = EXCLUDED.credits, score = EXCLUDED.score,
        passed = EXCLUDED.passed, makeup_score = EXCLUDED.makeup_score, qualitative = EXCLUDED.qualitative,
        updated_at = EXCLUDED.updated_at
    WHERE grades.school_id = EXCLUDED.school_id
      AND (grades.subject_name, grades.credits, grades.score, grades.passed, grades.makeup_score, grades.qualitative)
          IS DISTINCT FROM
          (EXCLUDED.subject_name, EXCLUDED.credits, EXCLUDED.score, EXCLUDED.passed, EXCLUDED.makeup_score,
           EXCLUDED.qualitative)
    RETURNING student_id, academic_year, semester, course_code, (xmax = 0) AS inserted
)
SELECT student_id, academic_year, semester, array_agg(course_code ORDER BY course_code) AS course_codes,
       count(*) FILTER (WHERE inserted) AS inserted
FROM changed GROUP BY student_id, academic_year, semester
"""


@dataclass
class StoreResult:
    unknown_lines: list[int] = field(default_factory=list)
    changed: dict[TermKey, list[str]] = field(default_factory=dict)  # term → changed course codes
    inserted: int = 0
    updated: int = 0


async def store_grades(session: AsyncSession, school_id: str, rows: Sequence[GradeRow], at: datetime) -> StoreResult:
    if session.get_bind().dialect.name == "postgresql":
        return await _store_postgresql(session, school_id, rows, at)
    return await _store_batched(session, school_id, rows, at)


def _staging_records(rows: Sequence[GradeRow]) -> list[tuple[Any, ...]]:
    return [
        (
            r.line_number,
            r.student_number,
            r.academic_year,
            r.semester,
            r.course_code,
            r.subject_name,
            r.credits,
            r.score,
            r.passed,
            r.makeup_score,
            r.qualitative,
        )
        for r in rows
    ]


async def _store_postgresql(
    session: AsyncSession, school_id: str, rows: Sequence[GradeRow], at: datetime
) -> StoreResult:
    result = StoreResult()
    await session.execute(text(_CREATE_STAGING))
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table("grade_staging", records=_staging_records(rows), columns=_STAGING_COLUMNS)
    await session.execute(text("ANALYZE grade_staging"))
    result.unknown_lines = list((await session.execute(text(_UNKNOWN), {"school": school_id})).scalars())
    changed_count = 0
    for row in await session.execute(text(_MERGE), {"school": school_id, "now": at}):
        result.changed[(row.student_id, row.academic_year, row.semester)] = list(row.course_codes)
        result.inserted += row.inserted
        changed_count += len(row.course_codes)
    result.updated = changed_count - result.inserted
    await session.execute(text("DROP TABLE IF EXISTS grade_staging"))
    return result


_BATCH = 5000


async def _store_batched(session: AsyncSession, school_id: str, rows: Sequence[GradeRow], at: datetime) -> StoreResult:
    result = StoreResult()
    query = select(enrolments.c.student_number, enrolments.c.student_id).where(enrolments.c.school_id == school_id)
    numbers = {r.student_number: r.student_id for r in await session.execute(query)}
    existing: dict[tuple[uuid.UUID, int, int, str], tuple[Any, ...]] = {}
    query = (
        select(grades)
        .join(enrolments, enrolments.c.student_id == grades.c.student_id)
        .where(enrolments.c.school_id == school_id)
    )
    for g in await session.execute(query):
        existing[(g.student_id, g.academic_year, g.semester, g.course_code)] = (
            g.school_id,
            (g.subject_name, g.credits, g.score, g.passed, g.makeup_score, g.qualitative),
        )
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changed: defaultdict[TermKey, list[str]] = defaultdict(list)
    for r in rows:
        student_id = numbers.get(r.student_number)
        if student_id is None:
            result.unknown_lines.append(r.line_number)
            continue
        values = (r.subject_name, r.credits, r.score, r.passed, r.makeup_score, r.qualitative)
        key = (student_id, r.academic_year, r.semester, r.course_code)
        before = existing.get(key)
        record = dict(
            zip(("subject_name", "credits", "score", "passed", "makeup_score", "qualitative"), values, strict=True)
        )
        if before is None:
            inserts.append(
                {"student_id": student_id, "academic_year": r.academic_year, "semester": r.semester,
                 "course_code": r.course_code, "school_id": school_id, "updated_at": at, **record}
            )  # fmt: skip
        elif before[0] == school_id and before[1] != values:
            updates.append({"k_student": student_id, "k_year": r.academic_year, "k_semester": r.semester,
                            "k_course": r.course_code, "updated_at": at, **record})  # fmt: skip
        else:
            continue
        changed[(student_id, r.academic_year, r.semester)].append(r.course_code)
    for start in range(0, len(inserts), _BATCH):
        await session.execute(insert(grades), inserts[start : start + _BATCH])
    statement = update(grades).where(
        grades.c.student_id == bindparam("k_student"),
        grades.c.academic_year == bindparam("k_year"),
        grades.c.semester == bindparam("k_semester"),
        grades.c.course_code == bindparam("k_course"),
    )
    for start in range(0, len(updates), _BATCH):
        await session.execute(statement, updates[start : start + _BATCH])
    result.inserted, result.updated = len(inserts), len(updates)
    result.changed = {k: sorted(v) for k, v in changed.items()}
    return result


async def term_grades(
    session: AsyncSession, keys: Sequence[tuple[uuid.UUID, int, int]], chunk: int = 1000
) -> dict[tuple[uuid.UUID, int, int], list[Any]]:
    """Students' grades of given terms, by course code: what ``SemesterGradesRecorded`` carries to the
    submission service's grades workbook (R-DATA-2). A few queries for a whole nightly import."""
    wanted = set(keys)
    found: dict[tuple[uuid.UUID, int, int], list[Any]] = defaultdict(list)
    students = sorted({k[0] for k in wanted})
    for start in range(0, len(students), chunk):
        result = await session.execute(
            select(grades)
            .where(grades.c.student_id.in_(students[start : start + chunk]))
            .order_by(grades.c.student_id, grades.c.academic_year, grades.c.semester, grades.c.course_code)
        )
        for row in result.all():
            key = (row.student_id, row.academic_year, row.semester)
            if key in wanted:
                found[key].append(row)
    return found


async def record_import(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """Keep one import's report (the rejected lines and warnings without their messages)."""
    await session.execute(insert(grade_imports).values(**values))
