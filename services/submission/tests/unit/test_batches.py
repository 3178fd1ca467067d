"""The batch state machine: every allowed move, and every other one refused (mutation-minded)."""

from __future__ import annotations

import itertools

import pytest

from portfolio_submission.domain import batches as m
from portfolio_submission.domain.batches import BatchStatus as S
from portfolio_submission.domain.errors import BatchHasErrors, IllegalTransition

ALLOWED = {
    (S.DRAFT, S.CHECKED),
    (S.DRAFT, S.FAILED_CHECK),
    (S.DRAFT, S.CANCELLED),
    (S.CHECKED, S.CHECKED),
    (S.CHECKED, S.FAILED_CHECK),
    (S.CHECKED, S.READY),
    (S.CHECKED, S.DRAFT),
    (S.CHECKED, S.CANCELLED),
    (S.FAILED_CHECK, S.CHECKED),
    (S.FAILED_CHECK, S.FAILED_CHECK),
    (S.FAILED_CHECK, S.DRAFT),
    (S.FAILED_CHECK, S.CANCELLED),
    (S.READY, S.BUILDING),
    (S.READY, S.FAILED),
    (S.BUILDING, S.SENDING),
    (S.BUILDING, S.FAILED),
    (S.SENDING, S.ACCEPTED),
    (S.SENDING, S.FAILED),
    (S.FAILED, S.READY),
}


@pytest.mark.parametrize(("current", "to"), list(itertools.product(S, S)))
def test_exactly_the_listed_moves_are_allowed(current: S, to: S) -> None:
    if (current, to) in ALLOWED:
        assert m.transition(current, to) is to
    else:
        with pytest.raises(IllegalTransition) as error:
            m.transition(current, to)
        assert error.value.status == 409
        assert error.value.extra == {"status": current.value, "requested": to.value}


def test_accepted_and_cancelled_are_final() -> None:
    assert m.TRANSITIONS[S.ACCEPTED] == frozenset() and m.TRANSITIONS[S.CANCELLED] == frozenset()


@pytest.mark.parametrize("current", [S.DRAFT, S.CHECKED, S.FAILED_CHECK])
def test_a_check_with_no_error_checks_and_with_one_fails(current: S) -> None:
    assert m.after_check(current, 0) is S.CHECKED
    assert m.after_check(current, 1) is S.FAILED_CHECK


@pytest.mark.parametrize("current", [S.READY, S.BUILDING, S.SENDING, S.ACCEPTED, S.FAILED, S.CANCELLED])
def test_a_batch_handed_to_sending_is_not_checked_or_changed_again(current: S) -> None:
    with pytest.raises(IllegalTransition):
        m.after_check(current, 0)
    with pytest.raises(IllegalTransition):
        m.after_exclusion(current)


@pytest.mark.parametrize("current", [S.DRAFT, S.CHECKED, S.FAILED_CHECK])
def test_excluding_students_sends_the_batch_back_to_draft(current: S) -> None:
    assert m.after_exclusion(current) is S.DRAFT


def test_r_sub_1_only_a_checked_batch_without_errors_is_submitted() -> None:
    assert m.for_submission(S.CHECKED, 0) is S.READY
    with pytest.raises(BatchHasErrors) as error:
        m.for_submission(S.FAILED_CHECK, 3)
    assert error.value.rule == "R-SUB-1" and error.value.extra == {"error_count": 3}
    assert error.value.code == "batch-has-errors"
    with pytest.raises(BatchHasErrors):
        m.for_submission(S.CHECKED, 1)  # a count of one is enough
    with pytest.raises(BatchHasErrors) as unchecked:
        m.for_submission(S.DRAFT, None)
    assert unchecked.value.code == "batch-not-checked"
    for later in (S.READY, S.BUILDING, S.SENDING, S.ACCEPTED, S.CANCELLED):
        with pytest.raises(IllegalTransition):
            m.for_submission(later, 0)
