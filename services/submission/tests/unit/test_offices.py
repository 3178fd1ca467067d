"""Who may build and submit a batch: the office of its kind through its acting person (R-SUB-4, R-DUTY-2)."""

from __future__ import annotations

from datetime import date

import pytest

from portfolio_submission.domain.errors import NotActingForOffice
from portfolio_submission.domain.kinds import office_duty
from portfolio_submission.domain.offices import Absence, DutyCopy, Submitter, authorise_submitter

DAY = date(2026, 3, 2)
REGISTRY = DutyCopy("enrolment", ("reg-head",), ("reg-deputy", "reg-third"))


@pytest.mark.parametrize(
    ("kind", "duty"),
    [
        ("basic_data", "enrolment"),
        ("grades", "grades"),
        ("cadre_records", "cadre"),
        ("course_outcomes", "outcome_submission"),
        ("performances", "performance_submission"),
    ],
)
def test_r_sub_4_each_kind_has_its_office(kind: str, duty: str) -> None:
    assert office_duty(kind) == duty


def test_the_acting_responsible_person_submits_for_no_one_else() -> None:
    duty = DutyCopy("enrolment", ("reg-head",), ("reg-deputy",), "reg-head", False, True)
    assert authorise_submitter("basic_data", "reg-head", duty, [], DAY) == Submitter("reg-head", None)


def test_r_duty_2_a_delegate_acting_while_the_responsible_person_is_absent_submits_on_their_behalf() -> None:
    duty = DutyCopy("enrolment", ("reg-head", "reg-head-2"), ("reg-deputy",), "reg-deputy", True, True)
    absent = [Absence("reg-head-2", date(2026, 3, 1), date(2026, 3, 5))]
    assert authorise_submitter("basic_data", "reg-deputy", duty, absent, DAY) == Submitter("reg-deputy", "reg-head-2")


def test_a_delegate_acts_on_behalf_of_a_responsible_person_who_left() -> None:
    duty = DutyCopy("grades", ("reg-head",), ("reg-deputy",), "reg-deputy", True, True, frozenset({"reg-head"}))
    assert authorise_submitter("grades", "reg-deputy", duty, [], DAY).on_behalf_of == "reg-head"


def test_an_absence_that_ended_yesterday_is_not_the_reason() -> None:
    duty = DutyCopy("enrolment", ("a", "b"), ("d",), "d", True, True)
    absences = [Absence("a", date(2026, 2, 1), date(2026, 3, 1)), Absence("b", DAY, DAY)]
    assert authorise_submitter("basic_data", "d", duty, absences, DAY).on_behalf_of == "b"


@pytest.mark.parametrize("caller", ["reg-head", "reg-third", "someone"])
def test_r_duty_2_only_the_acting_person_submits_while_a_delegate_acts(caller: str) -> None:
    duty = DutyCopy("enrolment", ("reg-head",), ("reg-deputy", "reg-third"), "reg-deputy", True, True)
    with pytest.raises(NotActingForOffice) as error:
        authorise_submitter("basic_data", caller, duty, [], DAY)
    assert error.value.status == 403 and error.value.rule == "R-SUB-4"


def test_another_offices_acting_person_cannot_submit_this_kind() -> None:
    cadre = DutyCopy("cadre", ("act-head",), (), "act-head", False, True)
    with pytest.raises(NotActingForOffice):
        authorise_submitter("basic_data", "act-head", cadre, [], DAY)  # a cadre duty is not the registry's


def test_without_any_copy_of_the_duty_nobody_submits() -> None:
    with pytest.raises(NotActingForOffice) as error:
        authorise_submitter("basic_data", "reg-head", None, [], DAY)
    assert error.value.extra == {"duty": "enrolment"}


def test_before_identity_names_an_acting_person_the_present_responsible_person_acts() -> None:
    assert authorise_submitter("basic_data", "reg-head", REGISTRY, [], DAY) == Submitter("reg-head", None)
    away = [Absence("reg-head", DAY, DAY)]
    with pytest.raises(NotActingForOffice):
        authorise_submitter("basic_data", "reg-head", REGISTRY, away, DAY)
    with pytest.raises(NotActingForOffice) as error:
        authorise_submitter("basic_data", "reg-deputy", REGISTRY, [], DAY)
    assert error.value.rule == "R-DUTY-2"
