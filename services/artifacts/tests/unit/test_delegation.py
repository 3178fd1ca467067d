"""When a delegate steps in for one course teacher (R-ART-5, R-DUTY-2), without I/O."""

from __future__ import annotations

from datetime import date, timedelta

from portfolio_artifacts.domain.delegation import Person, SchoolFacts, absent_through

D = date(2025, 10, 1)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def test_absent_through_the_last_day_at_the_limit_and_one_day_short() -> None:
    assert absent_through([(D, D + days(3))], D, D + days(3))
    assert not absent_through([(D, D + days(2))], D, D + days(3))
    assert absent_through([(D - days(5), D), (D + days(1), D + days(3))], D, D + days(3))  # joined end to end
    assert not absent_through([(D, D + days(1)), (D + days(3), D + days(4))], D, D + days(4))  # a day back
    assert not absent_through([(D + days(1), D + days(9))], D, D + days(3))  # here today
    assert not absent_through([], D, D)
    assert absent_through([(D, D)], D, D - days(1))  # the window already ended: today counts


def test_gone_left_suspended_extended() -> None:
    assert not Person().gone(D)
    assert Person(status="left", end_date=D).gone(D)
    assert not Person(status="left", end_date=D + days(1)).gone(D)  # still working until the end date
    assert Person(status="left").gone(D)
    assert not Person(status="left", end_date=D, extended_until=D).gone(D)
    assert Person(status="left", end_date=D, extended_until=D - days(1)).gone(D)
    assert Person(status="suspended").gone(D)


def test_delegate_for_one_teacher_others_unaffected() -> None:
    facts = SchoolFacts(
        people={"t1": Person(status="left", end_date=D), "A": Person(absences=((D, D),))},
        delegate_order=("A", "B"),
    )
    assert facts.delegate_for(["t1"], D, D + days(2)) == ("B", "t1")  # A absent today: B
    assert facts.delegate_for(["t2"], D, D + days(2)) is None  # t2 can certify
    assert facts.delegate_for(["t1", "t2"], D, D + days(2)) is None  # a co-teacher can
    assert facts.delegate_for([], D, None) is None
    nobody = SchoolFacts(people={"t1": Person(status="left", end_date=D)}, delegate_order=())
    assert nobody.delegate_for(["t1"], D, None) is None
    acting = SchoolFacts(people={"t1": Person(status="left", end_date=D)}, acting_delegate="X")
    assert acting.delegate_for(["t1"], D, None) == ("X", "t1")
    self_delegate = SchoolFacts(people={"t1": Person(status="left", end_date=D)}, delegate_order=("t1",))
    assert self_delegate.delegate_for(["t1"], D, None) is None


def test_authorised_staff_keep_the_teachers_precedence_while_they_can_act() -> None:
    people = {"t1": Person(status="left", end_date=D)}
    facts = SchoolFacts(people=people, delegate_order=("A",), on_behalf={"t1": frozenset({"st"})})
    assert facts.delegate_for(["t1"], D, D) is None
    away = SchoolFacts(
        people={**people, "st": Person(absences=((D, D),))}, delegate_order=("A",), on_behalf={"t1": frozenset({"st"})}
    )
    assert away.delegate_for(["t1"], D, D) == ("A", "t1")
