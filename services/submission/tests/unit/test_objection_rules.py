"""Objection routing and settlement (R-SUB-7, R-SUB-8, R-DUTY-2)."""

from __future__ import annotations

import pytest

from portfolio_shared.events.submission import SUBMITTING_DUTY
from portfolio_submission.domain.objections import (
    MAX_ITEMS,
    REASON_MAX,
    Acting,
    ObjectionStatus,
    acting_person,
    check_all_settled,
    check_resolver,
    settle,
    validate_objection,
)
from portfolio_submission.domain.receipts_errors import (
    NotActingForOffice,
    ObjectionAlreadySettled,
    ObjectionInvalid,
    ObjectionsOutstanding,
)


def test_each_kind_goes_to_the_office_that_submits_it() -> None:
    assert SUBMITTING_DUTY == {
        "basic_data": "enrolment",
        "grades": "grades",
        "cadre_records": "cadre",
        "course_outcomes": "outcome_submission",
        "performances": "performance_submission",
    }


def test_responsible_acts_when_present() -> None:
    assert acting_person(["reg-1"], ["reg-2", "reg-3"], unavailable=set()) == Acting("reg-1", False, None)


def test_delegate_acts_when_responsible_absent_in_order() -> None:
    assert acting_person(["reg-1"], ["reg-2", "reg-3"], unavailable={"reg-1"}) == Acting("reg-2", True, "reg-1")
    assert acting_person(["reg-1"], ["reg-2", "reg-3"], unavailable={"reg-1", "reg-2"}) == Acting(
        "reg-3", True, "reg-1"
    )
    assert acting_person(["reg-1"], ["reg-2"], unavailable={"reg-1", "reg-2"}) is None


def test_identity_announced_acting_person_wins_unless_unavailable() -> None:
    got = acting_person(
        ["reg-1"], ["reg-2", "reg-3"], unavailable={"reg-1"}, announced="reg-3", announced_is_delegate=True
    )
    assert got == Acting("reg-3", True, "reg-1")
    got = acting_person(["reg-1"], ["reg-2"], unavailable={"reg-2"}, announced="reg-2", announced_is_delegate=True)
    assert got == Acting("reg-1", False, None)


def test_objection_reason_and_items_checked() -> None:
    mine = {"i1", "i2"}
    assert validate_objection("  wrong file  ", ["i1"], mine) == "wrong file"
    assert validate_objection("x" * REASON_MAX, ["i1", "i2"], mine) == "x" * REASON_MAX
    cases = [
        ("   ", ["i1"], "reason"),
        ("x" * (REASON_MAX + 1), ["i1"], "reason"),
        ("why", [], "item_ids"),
        ("why", ["i1", "i1"], "item_ids"),
        ("why", ["i1", "other"], "item_ids"),
    ]
    for reason, items, field in cases:
        with pytest.raises(ObjectionInvalid) as err:
            validate_objection(reason, items, mine)
        assert err.value.field == field and err.value.rule == "R-SUB-7"
    many = [f"i{n}" for n in range(MAX_ITEMS + 1)]
    assert validate_objection("why", many[:MAX_ITEMS], set(many)) == "why"
    with pytest.raises(ObjectionInvalid):
        validate_objection("why", many, set(many))


def test_only_the_acting_person_resolves() -> None:
    check_resolver("reg-2", Acting("reg-2", True, "reg-1"), duty="grades")
    for acting in (Acting("reg-2", True, "reg-1"), None):
        with pytest.raises(NotActingForOffice) as err:
            check_resolver("reg-1", acting, duty="grades")
        assert err.value.rule == "R-DUTY-2"


def test_settle_once_and_rejections_give_a_reason() -> None:
    assert settle(ObjectionStatus.OPEN, ObjectionStatus.CORRECTED) is ObjectionStatus.CORRECTED
    assert settle(ObjectionStatus.OPEN, ObjectionStatus.REJECTED, reason="data was right") is ObjectionStatus.REJECTED
    assert settle(ObjectionStatus.OPEN, ObjectionStatus.REJECTED, reason="x" * REASON_MAX) is ObjectionStatus.REJECTED
    for bad in (None, "  ", "x" * (REASON_MAX + 1)):
        with pytest.raises(ObjectionInvalid) as err:
            settle(ObjectionStatus.OPEN, ObjectionStatus.REJECTED, reason=bad)
        assert err.value.rule == "R-SUB-8"
    for done in (ObjectionStatus.CORRECTED, ObjectionStatus.REJECTED):
        with pytest.raises(ObjectionAlreadySettled):
            settle(done, ObjectionStatus.REJECTED, reason="again")
    with pytest.raises(ValueError):
        settle(ObjectionStatus.OPEN, ObjectionStatus.OPEN)


def test_completion_waits_for_every_objection() -> None:
    check_all_settled([])
    check_all_settled([ObjectionStatus.CORRECTED, ObjectionStatus.REJECTED])
    with pytest.raises(ObjectionsOutstanding) as err:
        check_all_settled([ObjectionStatus.CORRECTED, ObjectionStatus.OPEN])
    assert err.value.rule == "R-SUB-8" and err.value.extra["open_objections"] == 1
