"""Who can act (R-DUTY-2), and who may sign in, as the service layer reads its rows (R-ART-5)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portfolio_identity.domain.duties import UnavailabilityReason
from portfolio_identity.service_layer.acting import CERTIFICATION_DUTY, availability_of
from portfolio_identity.service_layer.tokens import may_sign_in

TODAY = date(2025, 10, 1)


def person(**kw: Any) -> dict[str, Any]:
    return {"status": "active", "end_date": None, "deactivated": False, "extension_until": None, "absences": [], **kw}


def test_absence_deactivation_and_suspension_make_a_person_unavailable() -> None:
    absent = person(absences=[(TODAY, TODAY + timedelta(days=2))])
    assert availability_of(absent, "enrolment", TODAY).unavailability(TODAY) is UnavailabilityReason.ABSENT
    assert availability_of(absent, "enrolment", TODAY + timedelta(days=3)).is_available(TODAY + timedelta(days=3))
    assert availability_of(person(deactivated=True), "enrolment", TODAY).unavailability(TODAY) is (
        UnavailabilityReason.LEFT
    )
    assert not availability_of(person(status="suspended"), "enrolment", TODAY).is_available(TODAY)


def test_extended_teacher_is_available_for_certification_only_until_the_extension_ends() -> None:
    until = TODAY + timedelta(days=10)
    teacher = person(status="left", end_date=TODAY - timedelta(days=1), extension_until=until)
    assert availability_of(teacher, CERTIFICATION_DUTY, TODAY).is_available(TODAY)
    assert availability_of(teacher, CERTIFICATION_DUTY, until).is_available(until)
    after = until + timedelta(days=1)
    assert not availability_of(teacher, CERTIFICATION_DUTY, after).is_available(after)
    assert not availability_of(teacher, "enrolment", TODAY).is_available(TODAY)


def test_who_may_sign_in() -> None:
    assert may_sign_in(person(), TODAY, extended=False)
    assert not may_sign_in(person(status="suspended"), TODAY, extended=False)
    assert not may_sign_in(person(deactivated=True), TODAY, extended=False)
    leaving = person(status="left", end_date=TODAY + timedelta(days=5))
    assert may_sign_in(leaving, TODAY, extended=False)  # until the last day
    gone = person(status="left", end_date=TODAY)
    assert not may_sign_in(gone, TODAY, extended=False)
    assert may_sign_in(gone, TODAY, extended=True)  # R-ART-5
