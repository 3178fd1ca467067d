"""Records' domain errors are the shared kind and map to the one problem+json shape."""

from portfolio_records.domain.errors import (
    DecryptionFailed,
    DomainError,
    InvalidEnrolmentTransition,
    InvalidNationalId,
    InvalidPhaseWindow,
    RecordConflict,
    WindowClosed,
)
from portfolio_shared.errors import DomainError as SharedDomainError
from portfolio_shared.problems import problem_body


def test_problem_members() -> None:
    error = InvalidPhaseWindow("The window must start before it ends", "開始時間須早於結束時間", field="ends_at")
    assert isinstance(error, DomainError) and DomainError is SharedDomainError
    assert error.extensions() == {
        "code": "invalid-phase-window",
        "field": "ends_at",
        "rule": "R-SCHED-1",
        "detail_zh": "開始時間須早於結束時間",
    }
    assert problem_body(error, lang="en")["title"] == "Invalid schedule window"
    assert problem_body(error) == {
        "type": "https://portfolio.example.org/problems/invalid-phase-window",
        "title": "時程設定錯誤",
        "title_en": "Invalid schedule window",
        "title_zh": "時程設定錯誤",
        "status": 422,
        "detail": "The window must start before it ends",
        "detail_zh": "開始時間須早於結束時間",
        "code": "invalid-phase-window",
        "field": "ends_at",
        "rule": "R-SCHED-1",
    }
    assert str(error) == "The window must start before it ends"


def test_national_id_error_defaults() -> None:
    error = InvalidNationalId("empty", "required", "必填")
    assert (error.code, error.field, error.rule, error.reason_code, error.status) == (
        "invalid-national-id",
        "national_id",
        "R-DATA-1",
        "empty",
        422,
    )


def test_status_classes_moved_from_the_old_mapper() -> None:
    # Conflicts with current state answer 409, a key or cipher failure 500, everything else 422.
    assert InvalidEnrolmentTransition("x").status == RecordConflict("x").status == WindowClosed("x").status == 409
    assert DecryptionFailed("x").status == 500


def test_detail_zh_is_left_out_when_only_english_was_given() -> None:
    error = DomainError("only english")
    assert error.detail_zh is None and "detail_zh" not in problem_body(error)
