"""Course learning outcome lifecycle (R-ART-3, R-ART-4, R-ART-5)."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from portfolio_artifacts.domain.errors import CertificationInvalid, IllegalTransition, ValidationError
from portfolio_artifacts.domain.outcomes import (
    CertificationBasis,
    CertificationRecord,
    OutcomeState,
    OutcomeStatus,
    can_certify,
    certify,
    counts_towards_upload_cap,
    deselect,
    new_outcome,
    resubmit,
    return_to_student,
    select,
    submit,
    withdraw,
)

AT = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)
BY_TEACHER = CertificationRecord("t-wang", None, CertificationBasis.TEACHER, AT)


def submitted() -> OutcomeState:
    return submit(new_outcome())


def certified() -> OutcomeState:
    return certify(submitted(), BY_TEACHER)


def test_happy_path_draft_to_selected() -> None:
    state = new_outcome()
    assert state.status is OutcomeStatus.DRAFT
    state = submit(state)
    assert state.status is OutcomeStatus.SUBMITTED and can_certify(state)
    state = certify(state, BY_TEACHER)
    assert state.status is OutcomeStatus.CERTIFIED
    assert state.certification == BY_TEACHER
    state = select(state)
    assert state.selected
    state = deselect(state)
    assert not state.selected


def test_returned_outcome_takes_a_new_version_and_goes_back_to_submitted_r_art_3() -> None:
    state = return_to_student(submitted(), "  請補上完整報告  ")
    assert state.status is OutcomeStatus.RETURNED
    assert state.return_reason == "請補上完整報告"
    with pytest.raises(IllegalTransition):
        certify(state, BY_TEACHER)  # must upload a new version first
    state = resubmit(state)
    assert state.status is OutcomeStatus.SUBMITTED
    assert state.file_version == 2
    assert certify(state, BY_TEACHER).status is OutcomeStatus.CERTIFIED


def test_a_certified_unselected_outcome_can_be_returned_and_keeps_who_certified_it() -> None:
    by_delegate = CertificationRecord("d-lin", "t-wang", CertificationBasis.DELEGATE, AT)
    before = certify(submitted(), by_delegate)
    state = return_to_student(before, "認證錯誤")
    assert state.status is OutcomeStatus.RETURNED
    # R-RET-3: the return does not erase who certified and on whose behalf; the status says it no
    # longer stands, and a new certification replaces the record.
    assert state.certification == by_delegate
    again = certify(resubmit(state), BY_TEACHER)
    assert again.status is OutcomeStatus.CERTIFIED and again.certification == BY_TEACHER


def test_return_needs_a_reason() -> None:
    with pytest.raises(ValidationError) as exc:
        return_to_student(submitted(), "   ")
    assert exc.value.field == "reason"
    with pytest.raises(ValidationError):
        return_to_student(submitted(), "x" * 201)


def test_selected_outcome_cannot_be_returned() -> None:
    with pytest.raises(IllegalTransition) as exc:
        return_to_student(select(certified()), "oops")
    assert exc.value.rule == "R-ART-4"


def test_certify_a_withdrawn_outcome_is_illegal_r_art_3() -> None:
    state = withdraw(submitted())
    assert state.status is OutcomeStatus.WITHDRAWN
    assert state.withdrawn_from is OutcomeStatus.SUBMITTED
    assert not counts_towards_upload_cap(state)
    with pytest.raises(IllegalTransition) as exc:
        certify(state, BY_TEACHER)
    assert exc.value.rule == "R-ART-3"
    assert exc.value.status == 409


@pytest.mark.parametrize("make", [new_outcome, submitted, lambda: return_to_student(submitted(), "r")])
def test_select_an_uncertified_outcome_is_illegal_r_art_4(make: Callable[[], OutcomeState]) -> None:
    with pytest.raises(IllegalTransition) as exc:
        select(make())
    assert exc.value.rule == "R-ART-4"


def test_withdraw_a_certified_selected_outcome_is_illegal_r_art_4() -> None:
    state = select(certified())
    with pytest.raises(IllegalTransition) as exc:
        withdraw(state)
    assert exc.value.rule == "R-ART-4"
    assert withdraw(deselect(state)).status is OutcomeStatus.WITHDRAWN


@pytest.mark.parametrize(
    ("action", "make"),
    [
        (submit, submitted),  # submit twice
        (lambda s: certify(s, BY_TEACHER), certified),  # certify twice
        (lambda s: certify(s, BY_TEACHER), new_outcome),  # certify before files are accepted
        (resubmit, submitted),  # new version of an outcome that was not returned
        (withdraw, lambda: withdraw(submitted())),  # withdraw twice
        (deselect, certified),  # deselect what is not selected
        (select, lambda: select(certified())),  # select twice
        (submit, lambda: withdraw(new_outcome())),
    ],
)
def test_other_illegal_transitions(
    action: Callable[[OutcomeState], OutcomeState], make: Callable[[], OutcomeState]
) -> None:
    with pytest.raises(IllegalTransition):
        action(make())


def test_transitions_are_pure() -> None:
    before = submitted()
    after = certify(before, BY_TEACHER)
    assert before.status is OutcomeStatus.SUBMITTED
    assert after is not before


# --- certification records (R-ART-5) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("by", "on_behalf_of", "basis"),
    [
        ("t-wang", None, "teacher"),
        ("t-lin", None, "reviewing_teacher"),
        ("t-chen", "t-wang", "delegate"),
        ("staff-li", "t-wang", "on_behalf_authorisation"),
        ("t-wang", None, "extended_account"),
    ],
)
def test_certification_bases_r_art_5(by: str, on_behalf_of: str | None, basis: str) -> None:
    record = CertificationRecord(by, on_behalf_of, basis, AT)  # type: ignore[arg-type]
    assert record.basis is CertificationBasis(basis)
    state = certify(submitted(), record)
    assert state.certification is not None
    assert state.certification.certified_by == by
    assert state.certification.on_behalf_of == on_behalf_of


@pytest.mark.parametrize(
    ("by", "on_behalf_of", "basis", "at", "field"),
    [
        ("t-chen", None, CertificationBasis.DELEGATE, AT, "on_behalf_of"),  # must record whom
        ("staff-li", None, CertificationBasis.ON_BEHALF_AUTHORISATION, AT, "on_behalf_of"),
        ("t-wang", "t-wang", CertificationBasis.DELEGATE, AT, "on_behalf_of"),
        ("t-wang", "t-lin", CertificationBasis.TEACHER, AT, "on_behalf_of"),
        ("", None, CertificationBasis.TEACHER, AT, "certified_by"),
        ("t-wang", None, "principal", AT, "basis"),
        ("t-wang", None, CertificationBasis.TEACHER, datetime(2026, 1, 10), "at"),
    ],
)
def test_invalid_certification_records_r_art_5(
    by: str, on_behalf_of: str | None, basis: CertificationBasis, at: datetime, field: str
) -> None:
    with pytest.raises(CertificationInvalid) as exc:
        CertificationRecord(by, on_behalf_of, basis, at)
    assert exc.value.field == field
    assert exc.value.rule == "R-ART-5"
