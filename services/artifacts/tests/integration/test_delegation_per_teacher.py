"""Certification delegates as a school sets them up, resolved per course teacher (R-ART-5, R-DUTY-2).

The school names the delegates of the ``outcome_certification`` duty once; identity gives every named
delegate the duty's permissions (``outcome:certify``, ``outcome:certify_on_behalf``) and nothing
else. Which outcomes a delegate certifies is decided here, teacher by teacher.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from artifacts_world import World

from portfolio_shared.events.identity import (
    AbsenceMarked,
    DelegationOrderChanged,
    OnBehalfAuthorised,
    TeacherAccountExtended,
    UserDeactivated,
)
from portfolio_shared.permissions import Permission as P

pytestmark = pytest.mark.integration

# What identity's token carries for a library-services delegate of the certification duty.
DELEGATE_PERMS = [P.SCHEDULE_READ, P.OUTCOME_CERTIFY, P.OUTCOME_CERTIFY_ON_BEHALF]


def school_today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Taipei")).date()


def delegate(world: World, uid: str) -> dict[str, str]:
    return world.staff(uid, perms=DELEGATE_PERMS)


async def _certify(world: World, outcome: dict[str, Any], headers: dict[str, str]) -> Any:
    return await world.client.post(f"/api/v1/outcomes/{outcome['id']}/certify", headers=headers)


async def _school(world: World) -> None:
    await world.open_windows()  # the certification window ends tomorrow (now + 1 day)
    await world.course("phys", ["t1"], ["s1"])
    await world.course("chem", ["t2"], ["s1"])
    await world.feed(
        DelegationOrderChanged(
            school_id=world.school,
            duty_code="outcome_certification",
            responsible_user_ids=[],
            delegate_user_ids=["A", "B"],
        )
    )


async def test_delegates_step_in_for_the_teacher_who_left_only(world: World) -> None:
    await _school(world)
    s1 = world.student("s1")
    phys, chem = await world.upload_outcome(s1, "phys"), await world.upload_outcome(s1, "chem")
    await world.feed(UserDeactivated(user_id="t1", status="left", end_date=school_today(), reason="transferred"))

    # A certifies T1's outcome, recorded as A on behalf of T1.
    r = await _certify(world, phys, delegate(world, "A"))
    assert r.status_code == 200, r.text
    cert = r.json()["certification"]
    assert (cert["certified_by"], cert["on_behalf_of"], cert["basis"]) == ("A", "t1", "delegate")
    # T2's outcomes are T2's alone: the delegate does not even see them; T2 certifies.
    assert (await _certify(world, chem, delegate(world, "A"))).status_code == 404
    listed = await world.client.get("/api/v1/outcomes", headers=delegate(world, "A"))
    assert [o["id"] for o in listed.json()] == [phys["id"]]
    r = await _certify(world, chem, world.teacher("t2"))
    assert r.status_code == 200 and r.json()["certification"]["basis"] == "teacher"

    # A absent: B, the next in the school's order, certifies T1's next outcome; A is refused.
    second = await world.upload_outcome(s1, "phys")
    today = school_today()
    await world.feed(AbsenceMarked(user_id="A", school_id=world.school, starts_on=today, ends_on=today))
    assert (await _certify(world, second, delegate(world, "A"))).status_code == 404
    r = await _certify(world, second, delegate(world, "B"))
    assert r.status_code == 200, r.text
    assert (r.json()["certification"]["certified_by"], r.json()["certification"]["on_behalf_of"]) == ("B", "t1")

    # T1's account extended: T1 keeps precedence; the delegates are refused.
    third = await world.upload_outcome(s1, "phys")
    await world.feed(TeacherAccountExtended(user_id="t1", school_id=world.school, until=today + timedelta(days=30)))
    assert (await _certify(world, third, delegate(world, "B"))).status_code == 404
    r = await _certify(world, third, world.teacher("t1"))
    assert r.status_code == 200 and r.json()["certification"]["basis"] == "extended_account"


async def test_an_absent_teacher_is_replaced_only_if_absent_until_the_window_ends(world: World) -> None:
    await _school(world)
    s1 = world.student("s1")
    chem = await world.upload_outcome(s1, "chem")
    today = school_today()
    # T2 is away today only; the window runs until tomorrow: T2 can still certify, A may not.
    await world.feed(AbsenceMarked(user_id="t2", school_id=world.school, starts_on=today, ends_on=today))
    assert (await _certify(world, chem, delegate(world, "A"))).status_code == 404
    # A second absence joins the first and covers the window's last day (the school's date).
    last_day = (datetime.now(UTC) + timedelta(days=1)).astimezone(ZoneInfo("Asia/Taipei")).date()
    await world.feed(
        AbsenceMarked(user_id="t2", school_id=world.school, starts_on=today + timedelta(days=1), ends_on=last_day)
    )
    r = await _certify(world, chem, delegate(world, "A"))
    assert r.status_code == 200, r.text
    assert (r.json()["certification"]["certified_by"], r.json()["certification"]["on_behalf_of"]) == ("A", "t2")


async def test_several_teachers_away_each_certification_names_its_own_teacher(world: World) -> None:
    await _school(world)
    s1 = world.student("s1")
    phys, chem = await world.upload_outcome(s1, "phys"), await world.upload_outcome(s1, "chem")
    today = school_today()
    await world.feed(UserDeactivated(user_id="t1", status="left", end_date=today, reason="retired"))
    await world.feed(UserDeactivated(user_id="t2", status="suspended", reason="leave"))
    on_behalf = {}
    for outcome in (phys, chem):
        r = await _certify(world, outcome, delegate(world, "A"))
        assert r.status_code == 200, r.text
        on_behalf[outcome["course_id"]] = r.json()["certification"]["on_behalf_of"]
    assert on_behalf == {"phys": "t1", "chem": "t2"}


async def test_a_teacher_who_authorised_staff_keeps_precedence_over_the_delegates(world: World) -> None:
    await _school(world)
    phys = await world.upload_outcome(world.student("s1"), "phys")
    today = school_today()
    await world.feed(
        OnBehalfAuthorised(
            authorisation_id="auth-1",
            teacher_user_id="t1",
            staff_user_id="st1",
            school_id=world.school,
            until=today + timedelta(days=7),
        )
    )
    await world.feed(UserDeactivated(user_id="t1", status="left", end_date=today, reason="transferred"))
    assert (await _certify(world, phys, delegate(world, "A"))).status_code == 404
    # The authorised staff member is away until after the window: the delegate steps in after all.
    await world.feed(
        AbsenceMarked(user_id="st1", school_id=world.school, starts_on=today, ends_on=today + timedelta(days=5))
    )
    r = await _certify(world, phys, delegate(world, "A"))
    assert r.status_code == 200 and r.json()["certification"]["on_behalf_of"] == "t1"
