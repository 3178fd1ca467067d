"""Import of the SIS grade export (學期成績匯入): R-DATA-2, R-DUTY-3.

Every line of the file ends up either stored or reported with its line number; an identical
file changes nothing and publishes nothing; one ``SemesterGradesRecorded`` is published per
student-semester that changed, not one per grade.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from portfolio_records.adapters.grade_store import record_import, store_grades, term_grades
from portfolio_records.adapters.orm import jobs
from portfolio_records.domain.calendar import Phase, Term
from portfolio_records.domain.grades_csv import REJECTION_REASONS, GradeRow, RejectedLine, parse_grades_csv
from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.records import SemesterGrade, SemesterGradesRecorded
from portfolio_shared.jobs import Job, Progress, enqueue
from portfolio_shared.spreadsheet import formula_warnings

from .audit import audit, now
from .windows import closed_error, settings_of, window_states


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


async def _rows_in_open_windows(
    uow: UnitOfWork, school_id: str, rows: list[GradeRow], at: datetime, nightly: bool
) -> tuple[list[GradeRow], list[RejectedLine]]:
    """Keep the rows whose semester's data-entry window is open (R-REC-1, closed by default).

    The nightly SIS import passes whole while the school's standing import window is open
    (R-DUTY-3). When no row's semester is open the import is refused with the windows' dates;
    otherwise the lines of closed semesters are reported by number and the rest is stored.
    """
    settings = await settings_of(uow, school_id)
    if not rows or (nightly and settings.sis_import_open(at)):
        return rows, []
    # Plain tuples, not Terms: this runs over every line of a nightly file of a million lines.
    keys = {(r.academic_year, r.semester) for r in rows}
    states = await window_states(uow, school_id, [Term(*k) for k in keys], Phase.DATA_ENTRY, at)
    open_keys = {(t.academic_year, t.semester) for t, state in states.items() if state.open}
    if not open_keys:
        raise closed_error(list(states.values()), settings.zone, at)
    if open_keys == keys:
        return rows, []
    kept = [r for r in rows if (r.academic_year, r.semester) in open_keys]
    closed = [
        RejectedLine(r.line_number, "academic_year", "window_closed")
        for r in rows
        if (r.academic_year, r.semester) not in open_keys
    ]
    return kept, closed


async def import_grades(
    uow: UnitOfWork,
    school_id: str,
    actor: str,
    data: bytes,
    *,
    nightly: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    # Parsing a nightly file is CPU work of seconds: keep the event loop free meanwhile.
    parsed = await asyncio.to_thread(parse_grades_csv, data)
    if progress is not None:
        await progress("parsed", 0, parsed.line_count)
    at = now()
    rows, closed = await _rows_in_open_windows(uow, school_id, parsed.rows, at, nightly)
    stored = await store_grades(uow.session, school_id, rows, at)
    if progress is not None:
        await progress("stored", parsed.line_count, parsed.line_count)
    rejected = list(parsed.rejected) + closed
    rejected += [RejectedLine(n, "student_number", "unknown_student") for n in stored.unknown_lines]
    rejected.sort(key=lambda r: r.line_number)
    accepted = len(rows) - len(stored.unknown_lines)
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
        for r in rows  # the lines of closed semesters are not stored: nothing to warn about
        if r.line_number not in unknown
    )
    term_rows = await term_grades(uow.session, list(stored.changed))
    for (student_id, year, semester), codes in stored.changed.items():
        uow.publish(
            SemesterGradesRecorded(
                student_id=str(student_id),
                school_id=school_id,
                academic_year=year,
                semester=semester,  # type: ignore[arg-type]  # 1 or 2, checked by the parser
                course_codes=codes,
                grade_count=len(codes),
                grades=[
                    SemesterGrade(
                        course_code=g.course_code,
                        subject_name=g.subject_name,
                        credits=g.credits,
                        score=g.score,
                        passed=g.passed,
                        makeup_score=g.makeup_score,
                        qualitative=g.qualitative,
                    )
                    for g in term_rows.get((student_id, year, semester), [])
                ],
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
    await record_import(
        uow.session,
        {
            "id": report.id,
            "school_id": school_id,
            "file_sha256": hashlib.sha256(data).hexdigest(),
            "encoding": report.encoding,
            "line_count": report.line_count,
            "inserted": report.inserted,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": [{k: v for k, v in r.items() if not k.startswith("message")} for r in report.rejected],
            "warnings": [{k: v for k, v in w.items() if not k.startswith("message")} for w in report.warnings],
            "imported_by": actor,
            "imported_at": at,
        },
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


# -- the import as a long job (issue 10): 202 with a job resource, the report kept in the job -----
GRADE_IMPORT = "grade_import"


def report_body(report: ImportReport) -> dict[str, Any]:
    """The report as JSON (the job's report, the nightly run's report): GradeImportPublic's shape."""
    return {**asdict(report), "id": str(report.id)}


async def queue_grade_import(uow: UnitOfWork, school_id: str, actor: str, data: bytes) -> dict[str, Any]:
    """Keep the uploaded file in a queued job (in the caller's transaction; nothing is lost if the
    process stops before the job runs). The caller has checked the permission and the size."""
    return await enqueue(uow.session, jobs, kind=GRADE_IMPORT, school_id=school_id, owner_id=actor, payload=data)


async def run_grade_import(uow: UnitOfWork, job: Job, progress: Progress) -> dict[str, Any]:
    """The job's work: the same import as before, in the job's transaction, as the person who
    started it (R-DATA-2, R-DUTY-3)."""
    if job.payload is None:
        raise RuntimeError("a grade import job without its file")  # the runner drops it only once ended
    return report_body(await import_grades(uow, job.school_id, job.owner_id, job.payload, progress=progress))
