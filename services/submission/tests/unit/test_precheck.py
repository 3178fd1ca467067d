"""The pre-check (檢核) over candidate rows: layout rules from portfolio_central, the domain's issues,
caps at the limit and one past it, and reports that name student, sheet, row, field and rule."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from portfolio_central.layouts import load
from portfolio_submission.domain.precheck import CandidateRow, Issue, StudentRef, check_rows, row_numbers

LAYOUTS = load("2021.1")
FMT = LAYOUTS.date_format
ALICE = StudentRef("stu-1", "王小明", "301", 7)
BOB = StudentRef("stu-2", "李小華", "301", 8)
NATIONAL_ID = "A123456789"


def cadre(student: StudentRef = ALICE, **cells: Any) -> CandidateRow:
    values = {
        "national_id": NATIONAL_ID,
        "birth_date": date(2008, 5, 1),
        "unit": "學生會",
        "starts_on": date(2025, 9, 1),
        "position": "會長",
        "cadre_level": "1",
    } | cells
    return CandidateRow(student, "校內幹部經歷", values, f"rec-{student.student_id}")


def outcome(student: StudentRef = ALICE, n: int = 1, issues: tuple[Issue, ...] = ()) -> CandidateRow:
    cells = {
        "national_id": NATIONAL_ID,
        "birth_date": date(2008, 5, 1),
        "year_taken": 114,
        "semester_taken": "1",
        "course_code": "114000000000000000000X1",
        "subject_name": "國語文",
        "grade_offered": "3",
        "credits": 4,
        "description": "閱讀報告",
        "document_file": f"o{n}-document.pdf",
    }
    return CandidateRow(student, "學期", cells, f"out-{student.student_id}-{n}", issues)


def test_a_complete_row_has_no_finding() -> None:
    assert check_rows("cadre_records", LAYOUTS.workbook("cadre_records"), FMT, [cadre()]) == []


def test_a_missing_required_field_is_named_with_student_sheet_row_field_and_rule() -> None:
    rows = [cadre(), cadre(BOB, starts_on=None)]
    (finding,) = check_rows("cadre_records", LAYOUTS.workbook("cadre_records"), FMT, rows)
    assert finding.student == BOB
    assert (finding.sheet, finding.row, finding.field, finding.rule) == ("校內幹部經歷", 3, "開始日期", "required")
    assert finding.source_id == "rec-stu-2"


def test_a_code_outside_the_list_and_a_bad_national_id_are_named_without_their_values() -> None:
    rows = [cadre(cadre_level="4", national_id="A123456788")]
    found = check_rows("cadre_records", LAYOUTS.workbook("cadre_records"), FMT, rows)
    assert {(f.field, f.rule) for f in found} == {("幹部等級", "code-list"), ("身分證號", "national-id")}
    assert all("A123456788" not in f.message for f in found)


def test_issues_gathered_with_a_row_are_findings_citing_their_rule() -> None:
    issue = Issue("認證", "R-ART-3", "selected but not certified")
    found = check_rows("course_outcomes", LAYOUTS.workbook("course_outcomes"), FMT, [outcome(issues=(issue,))])
    assert [(f.field, f.rule, f.domain_rule, f.row) for f in found] == [("認證", "R-ART-3", "R-ART-3", 2)]


def test_r_file_2_an_outcome_needs_a_document_or_a_video() -> None:
    row = outcome()
    bare = CandidateRow(row.student, row.sheet, {**row.cells, "document_file": None}, row.source_id)
    (finding,) = check_rows("course_outcomes", LAYOUTS.workbook("course_outcomes"), FMT, [bare])
    assert (finding.rule, finding.domain_rule) == ("one-of", "R-FILE-2")


@pytest.mark.parametrize(("kind", "cap", "rule"), [("course_outcomes", 6, "R-ART-4"), ("performances", 10, "R-PERF-2")])
def test_selection_caps_at_the_limit_and_one_past_it(kind: str, cap: int, rule: str) -> None:
    workbook = LAYOUTS.workbook("course_outcomes")  # the cap is per student, whatever the sheet
    at_cap = [outcome(ALICE, n) for n in range(cap)]
    assert [f for f in check_rows(kind, workbook, FMT, at_cap) if f.rule == rule] == []
    past = [outcome(ALICE, n) for n in range(cap + 1)] + [outcome(BOB, 1)]
    (finding,) = [f for f in check_rows(kind, workbook, FMT, past) if f.rule == rule]
    assert finding.student == ALICE and f"{cap + 1} items" in finding.message


def test_rows_are_numbered_per_sheet_as_a_spreadsheet_shows_them() -> None:
    rows = [cadre(), CandidateRow(ALICE, "其他", {}), cadre(BOB), CandidateRow(BOB, "其他", {})]
    assert row_numbers(rows) == [2, 2, 3, 3]


def test_a_row_for_an_unknown_sheet_is_a_finding() -> None:
    (finding,) = check_rows("cadre_records", LAYOUTS.workbook("cadre_records"), FMT, [CandidateRow(ALICE, "幹部", {})])
    assert finding.rule == "unknown-sheet"
