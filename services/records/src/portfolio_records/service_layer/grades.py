"""Import of the SIS grade export (學期成績匯入): R-DATA-2, R-DUTY-3.

Every line of the file ends up either stored or reported with its line number; an identical
file changes nothing and publishes nothing; one ``SemesterGradesRecorded`` is published per
student-semester that changed, not one per grade.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert

from portfolio_records.adapters.grade_store import store_grades
from portfolio_records.adapters.orm import grade_imports
from portfolio_records.domain.grades_csv import REJECTION_REASONS, RejectedLine, parse_grades_csv
from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.records import SemesterGradesRecorded
from portfolio_shared.spreadsheet import formula_warnings

from .audit import audit, now


@dataclass
class ImportReport:
    id: uuid.UUID
    encoding: str
    line_count: int
    stored: int
    inserted: int
    updated: int
    unchanged: int
    student_semesters_changed: int
    rejected: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


def rejection(line: RejectedLine) -> dict[str, Any]:
    en, zh = REJECTION_REASONS[line.reason]
    return {
        "line_number": line.line_number,
        "field": line.field,
        "reason": line.reason,
        "message": en,
        "message_zh": zh,
    }


async def import_grades(uow: UnitOfWork, school_id: str, actor: str, data: bytes) -> ImportReport:
    # Parsing a nightly file is CPU work of seconds: keep the event loop free meanwhile.
    parsed = await asyncio.to_thread(parse_grades_csv, data)
    at = now()
    stored = await store_grades(uow.session, school_id, parsed.rows, at)
    rejected = list(parsed.rejected)
    rejected += [RejectedLine(n, "student_number", "unknown_student") for n in stored.unknown_lines]
    rejected.sort(key=lambda r: r.line_number)
    accepted = len(parsed.rows) - len(stored.unknown_lines)
    # Stored as sent, but a spreadsheet would run these cells: say so, line and column.
    unknown = set(stored.unknown_lines)
    warnings = formula_warnings(
        (
            r.line_number,
            {
                "student_number": r.student_number,
                "course_code": r.course_code,
                "subject_name": r.subject_name,
                "qualitative": r.qualitative,
            },
        )
        for r in parsed.rows
        if r.line_number not in unknown
    )
    for (student_id, year, semester), codes in stored.changed.items():
        uow.publish(
            SemesterGradesRecorded(
                student_id=str(student_id),
                school_id=school_id,
                academic_year=year,
                semester=semester,  # type: ignore[arg-type]  # 1 or 2, checked by the parser
                course_codes=codes,
                grade_count=len(codes),
            ),
            school_id=school_id,
            actor=actor,
        )
    report = ImportReport(
        id=uuid.uuid4(),
        encoding=parsed.encoding,
        line_count=parsed.line_count,
        stored=accepted,
        inserted=stored.inserted,
        updated=stored.updated,
        unchanged=accepted - stored.inserted - stored.updated,
        student_semesters_changed=len(stored.changed),
        rejected=[rejection(r) for r in rejected],
        warnings=[w.as_dict() for w in warnings],
    )
    await uow.session.execute(
        insert(grade_imports).values(
            id=report.id,
            school_id=school_id,
            file_sha256=hashlib.sha256(data).hexdigest(),
            encoding=report.encoding,
            line_count=report.line_count,
            inserted=report.inserted,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=[{k: v for k, v in r.items() if not k.startswith("message")} for r in report.rejected],
            warnings=[{k: v for k, v in w.items() if not k.startswith("message")} for w in report.warnings],
            imported_by=actor,
            imported_at=at,
        )
    )
    if stored.changed:
        await audit(
            uow.session,
            school_id=school_id,
            actor=actor,
            action="grades.imported",
            entity="grade_import",
            entity_id=report.id,
            details={"inserted": report.inserted, "updated": report.updated, "rejected": len(rejected)},
        )
    return report
