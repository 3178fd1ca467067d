"""The pre-submission check (提交前檢核), as a pure function over a batch's candidate rows.

Each row is checked against its workbook's layout (``portfolio_central`` — the same layouts the
package writer and the central database's emulator use: required fields, code lists, lengths, dates,
one-of groups), plus what the layout cannot know and the service gathered with the row: an outcome
selected but not certified (R-ART-3, R-ART-4), a file missing or failing the integrity check
(R-FILE-1), data from outside the student's enrolment period (R-DATA-6). Caps are checked per
student (R-ART-4: 6 outcomes a year; R-PERF-2: 10 performances). Counselling records are never a
candidate (R-DATA-5: submission does not even receive them).

A finding names the student (platform id, name, class and seat — never the national ID), sheet,
row (as a spreadsheet shows it: header = 1, first data row = 2), field and rule; its message never
repeats a cell's value (a cell may hold a national ID).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from portfolio_central.layouts import Workbook
from portfolio_central.rules import check as check_cell
from portfolio_central.rules import to_cell

# Yearly selection caps (national, R-ART-4 and R-PERF-2).
SELECTION_CAPS: dict[str, tuple[int, str]] = {"course_outcomes": (6, "R-ART-4"), "performances": (10, "R-PERF-2")}


@dataclass(frozen=True)
class StudentRef:
    """How a report names a student: platform id, name, class and seat — never the national ID."""

    student_id: str
    name: str | None = None
    class_name: str | None = None
    seat_number: int | None = None


@dataclass(frozen=True)
class Issue:
    """A problem the service found while gathering a row (not a cell rule of the layout)."""

    field: str
    rule: str
    message: str


@dataclass(frozen=True)
class CandidateRow:
    """One workbook row of one student, before the check."""

    student: StudentRef
    sheet: str
    cells: Mapping[str, Any]
    source_id: str | None = None  # the outcome, performance, grade or cadre record it comes from
    issues: Sequence[Issue] = field(default_factory=tuple)


@dataclass(frozen=True)
class Finding:
    student: StudentRef
    sheet: str | None
    row: int | None
    field: str | None
    rule: str
    message: str
    domain_rule: str | None = None
    source_id: str | None = None


def row_numbers(rows: Sequence[CandidateRow]) -> list[int]:
    """Each row's number in its sheet as a spreadsheet shows it (header = 1): rows are written in order."""
    seen: Counter[str] = Counter()
    numbers = []
    for row in rows:
        seen[row.sheet] += 1
        numbers.append(seen[row.sheet] + 1)
    return numbers


def check_rows(kind: str, workbook: Workbook, date_format: str, rows: Sequence[CandidateRow]) -> list[Finding]:
    findings: list[Finding] = []
    for row, number in zip(rows, row_numbers(rows), strict=True):
        try:
            sheet = workbook.sheet(row.sheet)
        except KeyError:
            findings.append(
                Finding(row.student, row.sheet, number, None, "unknown-sheet", f"{row.sheet} is not a sheet of {kind}")
            )
            continue
        for column in sheet.columns:
            text = to_cell(row.cells.get(column.key), column, date_format)
            problem = check_cell(text, column, date_format)
            if problem is not None:
                rule, message = problem
                findings.append(
                    Finding(row.student, row.sheet, number, column.name, rule, message, column.rule, row.source_id)
                )
        for group in sheet.require_one_of:
            if all(to_cell(row.cells.get(key), sheet.columns[0], date_format) == "" for key in group.columns):
                names = [c.name for c in sheet.columns if c.key in group.columns]
                findings.append(
                    Finding(
                        row.student,
                        row.sheet,
                        number,
                        " / ".join(names),
                        "one-of",
                        f"at least one of {', '.join(names)} is required",
                        group.rule,
                        row.source_id,
                    )
                )
        for issue in row.issues:
            findings.append(
                Finding(
                    row.student, row.sheet, number, issue.field, issue.rule, issue.message, issue.rule, row.source_id
                )
            )
    findings += _caps(kind, rows)
    return findings


def _caps(kind: str, rows: Sequence[CandidateRow]) -> list[Finding]:
    if kind not in SELECTION_CAPS:
        return []
    cap, rule = SELECTION_CAPS[kind]
    per_student: dict[str, list[CandidateRow]] = {}
    for row in rows:
        per_student.setdefault(row.student.student_id, []).append(row)
    return [
        Finding(
            mine[0].student,
            None,
            None,
            None,
            rule,
            f"{len(mine)} items selected for one academic year, at most {cap}",
            rule,
        )
        for mine in per_student.values()
        if len(mine) > cap
    ]


def students_with_errors(findings: Sequence[Finding]) -> list[StudentRef]:
    seen: dict[str, StudentRef] = {}
    for finding in findings:
        seen.setdefault(finding.student.student_id, finding.student)
    return list(seen.values())
