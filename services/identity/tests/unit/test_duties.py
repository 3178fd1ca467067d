"""Annex-1 duty table and delegation resolution (R-DUTY-1, R-DUTY-2, R-ART-5)."""

from datetime import date

import pytest

from portfolio_identity.domain.duties import (
    DUTY_CODES,
    DUTY_TEMPLATES,
    PERFORMANCE_DUTY_CODES,
    DateRange,
    EmploymentStatus,
    PersonAvailability,
    PersonRef,
    UnavailabilityReason,
    duties_of_role,
    duty_template,
    resolve_acting,
)
from portfolio_identity.domain.errors import InvalidAvailability, UnknownDuty
from portfolio_identity.domain.roles import Permission, Role

DAY = date(2025, 10, 15)
TEACHER = PersonRef("t1", "王老師")
IT_HEAD = PersonRef("it1", "資訊組長")
FIRST = PersonRef("d1", "讀服組長")
SECOND = PersonRef("d2", "讀服組幹事")
ACTIVE = PersonAvailability()


def test_r_duty_1_every_annex_1_row_is_a_template() -> None:
    expected = {
        "accounts",
        "enrolment",
        "cadre",
        "service_learning",
        "rewards",
        "psych_tests",
        "grades",
        "counselling",
        "outcome_settings",
        "teacher_assignment",
        "certification_followup",
        "outcome_submission",
        "outcome_certification",
        "competitions",
        "certificates",
        "volunteer_service",
        "self_directed_learning",
        "works",
        "other_performance",
    }
    assert expected <= DUTY_CODES
    assert len(DUTY_CODES) == len(DUTY_TEMPLATES), "codes are unique"
    assert set(PERFORMANCE_DUTY_CODES) == {
        "competitions",
        "certificates",
        "volunteer_service",
        "self_directed_learning",
        "works",
        "other_performance",
    }


def test_r_duty_1_every_template_is_complete() -> None:
    for template in DUTY_TEMPLATES:
        assert template.code.isidentifier(), template.code
        assert template.name_en and template.name_zh
        assert template.responsible_roles, template.code
        assert template.permissions, template.code


def test_r_duty_1_annex_1_offices() -> None:
    assert duty_template("accounts").responsible_roles == (Role.IT,)
    assert duty_template("accounts").default_delegate_roles == (Role.LIBRARY_SERVICES,)
    assert duty_template("enrolment").default_delegate_roles == (Role.REGISTRY_CLERK,)
    assert duty_template("cadre").responsible_roles == (Role.ACTIVITIES,)
    assert duty_template("psych_tests").default_delegate_roles == (Role.GUIDANCE_COUNSELLING,)
    assert Role.COURSE_TEACHER in duty_template("outcome_certification").responsible_roles
    assert Permission.OUTCOME_CERTIFY_ON_BEHALF in duty_template("outcome_certification").permissions
    assert duty_template("cadre") in duties_of_role(Role.ACTIVITIES)


def test_unknown_duty_raises() -> None:
    with pytest.raises(UnknownDuty) as caught:
        duty_template("cooking")
    assert caught.value.rule == "R-DUTY-1"


def test_r_duty_2_responsible_person_acts_when_available() -> None:
    result = resolve_acting([IT_HEAD], [FIRST, SECOND], DAY, {"it1": ACTIVE, "d1": ACTIVE, "d2": ACTIVE})
    assert result is not None
    assert result.person == IT_HEAD
    assert not result.is_delegate
    assert result.position == 1
    assert result.delegate_rank is None
    assert result.on_behalf_of is None


def test_r_duty_2_absent_delegate_passes_to_next_delegate() -> None:
    availability = {
        "it1": PersonAvailability(EmploymentStatus.LEFT, date(2025, 9, 30)),
        "d1": PersonAvailability(absences=(DateRange(date(2025, 10, 14), date(2025, 10, 16)),)),
        "d2": ACTIVE,
    }
    result = resolve_acting([IT_HEAD], [FIRST, SECOND], DAY, availability)
    assert result is not None
    assert result.person == SECOND
    assert result.is_delegate
    assert result.position == 3
    assert result.delegate_rank == 2
    assert result.on_behalf_of == IT_HEAD
    assert [(s.person, s.reason) for s in result.skipped] == [
        (IT_HEAD, UnavailabilityReason.LEFT),
        (FIRST, UnavailabilityReason.ABSENT),
    ]


def test_r_duty_2_all_unavailable_gives_none() -> None:
    availability = {
        "it1": PersonAvailability(EmploymentStatus.SUSPENDED),
        "d1": PersonAvailability(EmploymentStatus.LEFT, DAY),
        "d2": PersonAvailability(absences=(DateRange(DAY, DAY),)),
    }
    assert resolve_acting([IT_HEAD], [FIRST, SECOND], DAY, availability) is None
    assert resolve_acting([], [], DAY, {}) is None


def test_r_duty_2_person_without_availability_record_is_unavailable() -> None:
    result = resolve_acting([IT_HEAD], [FIRST], DAY, {"d1": ACTIVE})
    assert result is not None
    assert result.person == FIRST
    assert result.skipped[0].reason is UnavailabilityReason.UNKNOWN


def test_r_duty_2_left_counts_from_end_date_on() -> None:
    leaving = PersonAvailability(EmploymentStatus.LEFT, date(2025, 10, 16))
    assert leaving.is_available(date(2025, 10, 15))
    assert not leaving.is_available(date(2025, 10, 16))
    assert not PersonAvailability(EmploymentStatus.LEFT).is_available(DAY)


def test_r_art_5_extended_account_of_teacher_who_left_still_certifies() -> None:
    extended = PersonAvailability(EmploymentStatus.LEFT, date(2026, 1, 31))
    result = resolve_acting([TEACHER], [IT_HEAD], DAY, {"t1": extended, "it1": ACTIVE})
    assert result is not None
    assert result.person == TEACHER


def test_r_art_5_delegate_certifies_on_behalf_of_teacher() -> None:
    result = resolve_acting(
        [TEACHER, IT_HEAD],
        [FIRST],
        DAY,
        {"t1": PersonAvailability(EmploymentStatus.SUSPENDED), "it1": ACTIVE},
    )
    assert result is not None
    assert result.person == IT_HEAD
    assert not result.is_delegate
    assert result.position == 2
    assert result.on_behalf_of == TEACHER


def test_person_listed_twice_is_considered_once() -> None:
    absent = PersonAvailability(absences=(DateRange(DAY, DAY),))
    result = resolve_acting([FIRST], [FIRST, SECOND], DAY, {"d1": absent, "d2": ACTIVE})
    assert result is not None
    assert result.person == SECOND
    assert result.delegate_rank == 2
    assert len(result.skipped) == 1


def test_absence_range_must_not_end_before_it_starts() -> None:
    with pytest.raises(InvalidAvailability):
        DateRange(date(2025, 10, 2), date(2025, 10, 1))
