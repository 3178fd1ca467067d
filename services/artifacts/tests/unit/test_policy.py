"""Per-school upload caps and national selection caps (R-ART-2, R-ART-4, R-PERF-1, R-PERF-2)."""

from datetime import UTC, datetime, timedelta

import pytest

from portfolio_artifacts.domain.errors import (
    PolicyInvalid,
    SelectionCapReached,
    UploadCapReached,
    WindowClosed,
)
from portfolio_artifacts.domain.policy import (
    OUTCOME_SELECTION_CAP_PER_YEAR,
    PERFORMANCE_SELECTION_CAP_PER_YEAR,
    ArtifactKind,
    SchoolPolicy,
    check_outcome_upload_allowed,
    check_performance_upload_allowed,
    check_selection,
    check_window,
    selection_cap,
)


def test_seventh_outcome_refused_with_cap_6_r_art_2() -> None:
    policy = SchoolPolicy()  # the example school: 6 per semester
    assert policy.outcomes_per_semester == 6
    for existing in range(6):
        check_outcome_upload_allowed(policy, existing)
    with pytest.raises(UploadCapReached) as exc:
        check_outcome_upload_allowed(policy, 6)
    assert exc.value.rule == "R-ART-2"
    assert exc.value.status == 409


def test_seventh_outcome_accepted_with_cap_8_r_art_2() -> None:
    policy = SchoolPolicy(outcomes_per_semester=8)
    check_outcome_upload_allowed(policy, 6)  # the 7th
    check_outcome_upload_allowed(policy, 7)  # the 8th
    with pytest.raises(UploadCapReached):
        check_outcome_upload_allowed(policy, 8)


def test_performance_upload_cap_is_the_schools_choice_r_perf_1() -> None:
    policy = SchoolPolicy.from_mapping({"performances_per_year": 12})
    check_performance_upload_allowed(policy, 11)
    with pytest.raises(UploadCapReached) as exc:
        check_performance_upload_allowed(policy, 12)
    assert exc.value.rule == "R-PERF-1"
    assert SchoolPolicy().performances_per_year == 30


@pytest.mark.parametrize(
    "data",
    [
        {"outcomes_per_semester": 0},
        {"outcomes_per_semester": "6"},
        {"performances_per_year": True},
        {"foo": 1},
    ],
)
def test_bad_policy_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(PolicyInvalid):
        SchoolPolicy.from_mapping(data)


def test_negative_counts_are_a_programming_error_not_a_pass() -> None:
    with pytest.raises(PolicyInvalid):
        check_outcome_upload_allowed(SchoolPolicy(), -1)


def test_outcome_selection_cap_is_6_nationally_r_art_4() -> None:
    assert selection_cap(ArtifactKind.OUTCOME) == OUTCOME_SELECTION_CAP_PER_YEAR == 6
    check_selection(ArtifactKind.OUTCOME, 5)
    check_selection(ArtifactKind.OUTCOME, 0, adding=6)
    with pytest.raises(SelectionCapReached) as exc:
        check_selection(ArtifactKind.OUTCOME, 6)
    assert exc.value.rule == "R-ART-4"
    assert exc.value.status == 409
    with pytest.raises(SelectionCapReached):
        check_selection(ArtifactKind.OUTCOME, 4, adding=3)


def test_performance_selection_cap_is_10_nationally_r_perf_2() -> None:
    assert selection_cap(ArtifactKind.PERFORMANCE) == PERFORMANCE_SELECTION_CAP_PER_YEAR == 10
    check_selection(ArtifactKind.PERFORMANCE, 9)
    with pytest.raises(SelectionCapReached) as exc:
        check_selection(ArtifactKind.PERFORMANCE, 10)
    assert exc.value.rule == "R-PERF-2"


def test_selection_cap_does_not_follow_a_generous_school_policy() -> None:
    # A school allowing 9 uploads per semester still lets a student select only 6 a year (R-ART-4).
    SchoolPolicy(outcomes_per_semester=9)
    with pytest.raises(SelectionCapReached):
        check_selection(ArtifactKind.OUTCOME, 6)


def test_window_is_half_open_r_art_1() -> None:
    opens = datetime(2026, 1, 1, tzinfo=UTC)
    closes = opens + timedelta(days=14)
    check_window(opens, opens, closes, phase="upload", rule="R-ART-1")
    with pytest.raises(WindowClosed) as exc:
        check_window(closes, opens, closes, phase="upload", rule="R-ART-1")
    assert exc.value.rule == "R-ART-1"
    assert exc.value.status == 409
    with pytest.raises(WindowClosed):
        check_window(opens - timedelta(seconds=1), opens, closes, phase="upload", rule="R-ART-1")
    with pytest.raises(ValueError):
        check_window(datetime(2026, 1, 2), opens, closes, phase="upload", rule="R-ART-1")
