"""A user id linked after admission reaches artifacts (R-DATA-6, R-ENR-1): records' basic-data
change (records.student.basic_data_changed) creates the enrolment read copy under the new user id,
and a changed link moves it, so the student can upload under the account they sign in with."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from artifacts_world import World, pdf
from sqlalchemy import select

from portfolio_artifacts.adapters.orm import rc_enrolments
from portfolio_shared.events.records import StudentBasicDataChanged, StudentEnrolled

pytestmark = pytest.mark.integration


def _changed(user: str | None, previous: str | None, school: str = "sch-A") -> StudentBasicDataChanged:
    return StudentBasicDataChanged(
        student_id="stu-rec-1",
        school_id=school,
        user_id=user,
        previous_user_id=previous,
        changed_fields=["user_id"],
        status="enrolled",
        status_since=date(2025, 8, 1),
        grade=1,
        class_name="101",
    )


async def _rows(world: World) -> list[Any]:
    async with world.runtime.uow() as uow:
        return list((await uow.session.execute(select(rc_enrolments.c.user_id, rc_enrolments.c.status))).all())


async def test_a_user_id_linked_later_reaches_the_enrolment_read_copy(world: World) -> None:
    # Admitted before the account existed: nothing can be kept under a user id yet.
    await world.feed(
        StudentEnrolled(
            student_id="stu-rec-1", user_id=None, school_id=world.school, grade=1, class_name="101",
            admitted_on=date(2025, 8, 1),
        )
    )  # fmt: skip
    assert await _rows(world) == []

    await world.feed(_changed("s1", None))
    assert await _rows(world) == [("s1", "enrolled")]
    await world.open_windows()
    await world.course("math", ["t1"], ["s1"], enrol=False)  # enrolled through the link above
    r = await world.start_outcome(world.student("s1"), "math", pdf())
    assert r.status_code == 201, r.text

    # The registry corrects the link: the copy moves to the new user id, the old one goes.
    await world.feed(_changed("s1b", "s1"))
    assert await _rows(world) == [("s1b", "enrolled")]
    # Unlinking keeps nothing under a user id.
    await world.feed(_changed(None, "s1b"))
    assert await _rows(world) == []
