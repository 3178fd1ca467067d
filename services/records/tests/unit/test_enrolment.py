"""Enrolment statuses and changes (R-ENR-1)."""

import pytest

from portfolio_records.domain.enrolment import (
    TRANSITIONS,
    EnrolmentChangeKind,
    EnrolmentState,
    EnrolmentStatus,
    allowed_changes,
    apply_change,
    apply_enrolment_change,
    carries_prior_records,
    promote,
)
from portfolio_records.domain.errors import InvalidEnrolmentTransition, InvalidGradeLevel

S = EnrolmentStatus
K = EnrolmentChangeKind

POSSIBLE = [
    (None, K.ADMISSION, S.ENROLLED),
    (S.LEFT, K.ADMISSION, S.ENROLLED),
    (None, K.TRANSFER_IN, S.ENROLLED),
    (S.TRANSFERRED_OUT, K.TRANSFER_IN, S.ENROLLED),
    (S.VISITING, K.TRANSFER_IN, S.ENROLLED),
    (S.ENROLLED, K.TRANSFER_OUT, S.TRANSFERRED_OUT),
    (S.ENROLLED, K.SUSPENSION, S.SUSPENDED),
    (S.SUSPENDED, K.REINSTATEMENT, S.ENROLLED),
    (S.ENROLLED, K.REPEAT_GRADE, S.ENROLLED),
    (None, K.VISITING_STUDY, S.VISITING),
    (S.ENROLLED, K.GRADUATION, S.GRADUATED),
    (S.ENROLLED, K.LEAVING, S.LEFT),
    (S.SUSPENDED, K.LEAVING, S.LEFT),
    (S.VISITING, K.LEAVING, S.LEFT),
]


@pytest.mark.parametrize(("current", "kind", "expected"), POSSIBLE)
def test_possible_transitions(
    current: EnrolmentStatus | None, kind: EnrolmentChangeKind, expected: EnrolmentStatus
) -> None:
    assert apply_change(current, kind) is expected


@pytest.mark.parametrize(
    ("current", "kind"),
    [
        (S.ENROLLED, K.REINSTATEMENT),  # reinstating someone not suspended
        (None, K.REINSTATEMENT),
        (S.SUSPENDED, K.GRADUATION),  # graduating someone suspended
        (S.SUSPENDED, K.SUSPENSION),
        (S.SUSPENDED, K.REPEAT_GRADE),
        (S.ENROLLED, K.ADMISSION),
        (S.GRADUATED, K.LEAVING),
        (S.GRADUATED, K.SUSPENSION),
        (S.TRANSFERRED_OUT, K.TRANSFER_OUT),
        (S.VISITING, K.GRADUATION),
        (S.ENROLLED, K.VISITING_STUDY),
        (None, K.GRADUATION),
    ],
)
def test_impossible_transitions(current: EnrolmentStatus | None, kind: EnrolmentChangeKind) -> None:
    with pytest.raises(InvalidEnrolmentTransition) as info:
        apply_change(current, kind)
    assert info.value.rule == "R-ENR-1"
    assert info.value.extra["change"] == kind.value


def test_transition_table_is_complete_and_matches_the_listed_cases() -> None:
    assert set(TRANSITIONS) == set(EnrolmentChangeKind)
    statuses: list[EnrolmentStatus | None] = [None, *EnrolmentStatus]
    possible = {(current, kind) for current in statuses for kind in allowed_changes(current)}
    listed = {(current, kind) for current, kind, _ in POSSIBLE} | {(S.LEFT, K.TRANSFER_IN)}
    assert possible == listed


def test_terminal_status() -> None:
    assert allowed_changes(S.GRADUATED) == []


def test_admission_defaults_to_grade_one() -> None:
    assert apply_enrolment_change(EnrolmentState(None), K.ADMISSION) == EnrolmentState(S.ENROLLED, 1)


def test_transfer_in_needs_grade() -> None:
    with pytest.raises(InvalidGradeLevel):
        apply_enrolment_change(EnrolmentState(None), K.TRANSFER_IN)
    placed = apply_enrolment_change(EnrolmentState(None), K.TRANSFER_IN, grade=2)
    assert placed == EnrolmentState(S.ENROLLED, 2)
    with pytest.raises(InvalidGradeLevel):
        apply_enrolment_change(EnrolmentState(None), K.TRANSFER_IN, grade=4)


def test_repeat_grade_keeps_grade_and_blocks_next_promotion() -> None:
    state = apply_enrolment_change(EnrolmentState(S.ENROLLED, 2), K.REPEAT_GRADE)
    assert state == EnrolmentState(S.ENROLLED, 2, repeating=True)
    next_year = promote(state)
    assert next_year == EnrolmentState(S.ENROLLED, 2)
    assert promote(next_year) == EnrolmentState(S.ENROLLED, 3)
    with pytest.raises(InvalidGradeLevel):
        apply_enrolment_change(EnrolmentState(S.ENROLLED, 2), K.REPEAT_GRADE, grade=3)
    assert apply_enrolment_change(EnrolmentState(S.ENROLLED, 2), K.REPEAT_GRADE, grade=1).grade == 1


def test_reinstatement_grade() -> None:
    suspended = apply_enrolment_change(EnrolmentState(S.ENROLLED, 2), K.SUSPENSION)
    assert suspended == EnrolmentState(S.SUSPENDED, 2)
    assert apply_enrolment_change(suspended, K.REINSTATEMENT) == EnrolmentState(S.ENROLLED, 2)
    assert apply_enrolment_change(suspended, K.REINSTATEMENT, grade=3) == EnrolmentState(S.ENROLLED, 3)
    with pytest.raises(InvalidGradeLevel):
        apply_enrolment_change(EnrolmentState(S.SUSPENDED, 1), K.REINSTATEMENT, grade=3)


def test_graduation_only_from_grade_three() -> None:
    graduated = apply_enrolment_change(EnrolmentState(S.ENROLLED, 3), K.GRADUATION)
    assert graduated == EnrolmentState(S.GRADUATED, 3)
    with pytest.raises(InvalidEnrolmentTransition):
        apply_enrolment_change(EnrolmentState(S.ENROLLED, 2), K.GRADUATION)
    with pytest.raises(InvalidEnrolmentTransition):
        apply_enrolment_change(EnrolmentState(S.SUSPENDED, 3), K.GRADUATION)


def test_promotion_rules() -> None:
    assert promote(EnrolmentState(S.ENROLLED, 1)) == EnrolmentState(S.ENROLLED, 2)
    with pytest.raises(InvalidGradeLevel):
        promote(EnrolmentState(S.ENROLLED, 3))
    with pytest.raises(InvalidEnrolmentTransition):
        promote(EnrolmentState(S.SUSPENDED, 1))


def test_state_validation() -> None:
    with pytest.raises(InvalidGradeLevel):
        EnrolmentState(S.ENROLLED)
    with pytest.raises(InvalidGradeLevel):
        EnrolmentState(S.ENROLLED, 0)


def test_records_follow_the_student() -> None:
    # R-ENR-1: transfer in, reinstatement, repeat and visiting study bring earlier records along.
    assert carries_prior_records(K.TRANSFER_IN)
    assert carries_prior_records(K.REINSTATEMENT)
    assert carries_prior_records(K.REPEAT_GRADE)
    assert carries_prior_records(K.VISITING_STUDY)
    assert not carries_prior_records(K.ADMISSION)
