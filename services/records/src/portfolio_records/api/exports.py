"""Spreadsheet downloads (CSV) of the records' reports; every text cell neutralised against formulas.

Staff open these in Excel; a subject name ``=HYPERLINK("http://…")`` from a grade file or a
course plan must show as text there, never run (``portfolio_shared.spreadsheet``). Numbers
(scores, credits, line numbers) stay numbers. The JSON endpoints keep values as stored.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from portfolio_records.domain.grades_csv import REJECTION_REASONS
from portfolio_records.service_layer import queries as reads
from portfolio_records.service_layer.access import require_any
from portfolio_records.service_layer.selfcheck import self_check
from portfolio_shared.permissions import Permission
from portfolio_shared.spreadsheet import CSV_MEDIA_TYPE, WARNING_EN, WARNING_ZH, csv_response

from .deps import AcademicYearQuery, CurrentPrincipal, SchoolId, SemesterQuery, UowDep
from .students import StudentId, student_grades

router = APIRouter(prefix="/api/v1/schools/{school_id}", tags=["reports"])

_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV_MEDIA_TYPE: {}}, "description": "CSV (UTF-8 with BOM), formula-safe"}
}

SELF_CHECK_COLUMNS = (
    "section", "student_id", "student_number", "name", "class_name", "course_id", "course_code", "subject_name",
    "phase",
)  # fmt: skip


def self_check_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The self-check report flattened: one row per missing item, its list named in ``section``."""
    rows: list[dict[str, Any]] = []
    for student in report["students_without_grades"]:
        rows.append({"section": "students_without_grades", "student_id": student["id"], **student})
    rows += [{"section": "classes_without_cadre", "class_name": name} for name in report["classes_without_cadre"]]
    for section in ("courses_without_teachers", "co_taught_courses_without_reviewer", "courses_without_students"):
        rows += [{"section": section, "course_id": course["id"], **course} for course in report[section]]
    rows += [{"section": "phases_without_window", "phase": phase} for phase in report["phases_without_window"]]
    return rows


@router.get(
    "/self-check.csv",
    response_class=Response,
    responses=_CSV,
    summary="The self-check report as a spreadsheet (CSV); text cells formula-safe",
)
async def self_check_csv(
    school_id: SchoolId,
    academic_year: AcademicYearQuery,
    semester: SemesterQuery,
    principal: CurrentPrincipal,
    uow: UowDep,
) -> Response:
    principal.require(Permission.SELFCHECK_READ, school_id, rule="R-SCHED-2")
    report = await self_check(uow, school_id, academic_year, semester)
    filename = f"self-check-{school_id}-{academic_year}-{semester}.csv"
    response: Response = csv_response(filename, SELF_CHECK_COLUMNS, self_check_rows(report))
    return response


GRADE_COLUMNS = (
    "academic_year", "semester", "course_code", "subject_name", "credits", "score", "passed", "makeup_score",
    "qualitative", "school_id",
)  # fmt: skip


@router.get(
    "/students/{student_id}/grades.csv",
    response_class=Response,
    responses=_CSV,
    summary="The student's semester grades as a spreadsheet (CSV); numbers stay numbers",
)
async def student_grades_csv(
    school_id: SchoolId,
    student_id: StudentId,
    principal: CurrentPrincipal,
    uow: UowDep,
    academic_year: AcademicYearQuery | None = None,
    semester: SemesterQuery | None = None,
) -> Response:
    # The same access rule as the JSON list (records follow the student, R-DATA-2, R-ENR-1).
    grades = await student_grades(school_id, student_id, principal, uow, academic_year, semester)
    response: Response = csv_response(f"grades-{student_id}.csv", GRADE_COLUMNS, [g.model_dump() for g in grades])
    return response


IMPORT_REPORT_COLUMNS = ("line_number", "field", "kind", "reason", "message", "message_zh")


@router.get(
    "/grade-imports/{import_id}/report.csv",
    response_class=Response,
    responses=_CSV,
    summary="A grade import's rejected lines and warnings as a spreadsheet (CSV)",
)
async def grade_import_report_csv(
    school_id: SchoolId, import_id: Annotated[uuid.UUID, Path()], principal: CurrentPrincipal, uow: UowDep
) -> Response:
    require_any(principal, school_id, Permission.GRADES_WRITE, Permission.RECORDS_READ)
    row = await reads.grade_import(uow, school_id, import_id)
    lines = [
        {**r, "kind": "rejected", "message": en, "message_zh": zh}
        for r in row.rejected
        for en, zh in [REJECTION_REASONS[r["reason"]]]
    ]
    lines += [{**w, "kind": "warning", "message": WARNING_EN, "message_zh": WARNING_ZH} for w in row.warnings or []]
    lines.sort(key=lambda r: (r["line_number"], r["kind"]))
    response: Response = csv_response(f"grade-import-{import_id}.csv", IMPORT_REPORT_COLUMNS, lines)
    return response
