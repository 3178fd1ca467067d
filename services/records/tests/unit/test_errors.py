"""Domain errors carry what the API needs for RFC 9457 problem details."""

from portfolio_records.domain.errors import DomainError, InvalidNationalId, InvalidPhaseWindow


def test_problem_members() -> None:
    error = InvalidPhaseWindow("The window must start before it ends", "開始時間須早於結束時間", field="ends_at")
    assert isinstance(error, DomainError)
    assert error.extensions() == {"code": "invalid_phase_window", "field": "ends_at", "rule": "R-SCHED-1"}
    assert error.to_dict()["title"] == "Invalid schedule window"
    assert error.to_dict("zh-TW") == {
        "title": "時程設定錯誤",
        "detail": "開始時間須早於結束時間",
        "code": "invalid_phase_window",
        "field": "ends_at",
        "rule": "R-SCHED-1",
    }
    assert str(error) == "The window must start before it ends"


def test_national_id_error_defaults() -> None:
    error = InvalidNationalId("empty", "required", "必填")
    assert (error.code, error.field, error.rule, error.reason_code) == (
        "invalid_national_id",
        "national_id",
        "R-DATA-1",
        "empty",
    )


def test_detail_zh_falls_back_to_english() -> None:
    assert DomainError("only english").detail_zh == "only english"
