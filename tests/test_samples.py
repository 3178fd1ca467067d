"""The sample SIS exports in docs/samples/ (documented in the README) parse without a rejected line.
Their import through the services is tested in services/identity and services/records."""

from __future__ import annotations

from pathlib import Path

from portfolio_identity.domain.sis_sync import AccountKind, AccountStatus, parse_sis_export
from portfolio_records.domain.grades_csv import parse_grades_csv

SAMPLES = Path(__file__).resolve().parents[1] / "docs" / "samples"


def test_the_account_sample_parses_cleanly() -> None:
    parsed = parse_sis_export((SAMPLES / "sis-accounts.csv").read_bytes(), expected_school_code="999001")
    assert parsed.rejected == [] and parsed.ignored_columns == ()
    kinds = [r.kind for r in parsed.rows]
    assert kinds.count(AccountKind.STUDENT) == 3 and kinds.count(AccountKind.TEACHER) == 2
    assert [r.login_name for r in parsed.rows if r.status is AccountStatus.LEFT] == ["t.lee"]


def test_the_grade_sample_parses_cleanly() -> None:
    parsed = parse_grades_csv((SAMPLES / "sis-grades.csv").read_bytes())
    assert parsed.rejected == [] and len(parsed.rows) == 6 and parsed.ignored_columns == ()
    assert {r.student_number for r in parsed.rows} == {"1140001", "1140002", "1140003"}
