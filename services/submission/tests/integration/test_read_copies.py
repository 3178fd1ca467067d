"""Read copies kept from other services' events: out of order and redelivered events leave the newest
fact, items guard content, status and selection apart, and counselling records never arrive (R-DATA-5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from submission_world import SCHOOL, YEAR, World

from portfolio_shared.events.artifacts import FileIntegrityFailed, OutcomeReturned, OutcomeSelected, OutcomeUploaded
from portfolio_shared.events.records import (
    EnrolmentChanged,
    GradeLevelChanged,
    SemesterGrade,
    SemesterGradesRecorded,
    StudentBasicDataChanged,
)
from portfolio_shared.events.subscribers import SUBSCRIBERS
from portfolio_submission.adapters.orm import rc_grade_years, rc_items, rc_students
from portfolio_submission.consumers import SUBSCRIPTIONS

pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_r_data_5_submission_subscribes_to_no_counselling_event() -> None:
    keys = {key for subs in SUBSCRIPTIONS for key in subs.routing_keys}
    keys |= {
        p.routing_key() for consumer, types in SUBSCRIBERS.items() if consumer.startswith("submission.") for p in types
    }
    assert keys and not [k for k in keys if "counsel" in k]


async def _item(world: World, item_id: str) -> dict[str, object]:
    async with world.runtime.uow() as uow:
        row = (await uow.session.execute(select(rc_items).where(rc_items.c.item_id == item_id))).mappings().one()
        return dict(row)


async def test_an_item_keeps_its_newest_status_and_selection_whatever_the_order(world: World) -> None:
    await world.school_exists()
    outcome_id = await world.outcome("u-a", certified=True, selected=True)
    item = await _item(world, outcome_id)
    assert (item["status"], item["selected"], item["selected_year"]) == ("certified", True, YEAR)
    # A return from before the certification arrives late: the certification stays.
    await world.feed(
        OutcomeReturned(outcome_id=outcome_id, student_user_id="u-a", school_id=SCHOOL, returned_by="t", reason="x"),
        occurred_at=world.clock - timedelta(seconds=2),
    )
    assert (await _item(world, outcome_id))["status"] == "certified"
    # A selection event redelivered (same event id) or older changes nothing either.
    await world.feed(
        OutcomeSelected(outcome_id=outcome_id, student_user_id="u-a", school_id=SCHOOL, academic_year=YEAR - 1),
        occurred_at=world.clock - timedelta(minutes=5),
    )
    assert (await _item(world, outcome_id))["selected_year"] == YEAR
    # A new version uploaded after the certification: it must be certified again (R-ART-3).
    await world.feed(
        OutcomeUploaded(
            outcome_id=outcome_id,
            student_user_id="u-a",
            school_id=SCHOOL,
            course_id="course-1",
            academic_year=YEAR,
            semester=1,
            version=2,
            files=[],
            description="第二版",
        )
    )
    item = await _item(world, outcome_id)
    assert (item["status"], item["version"], item["description"], item["selected"]) == ("uploaded", 2, "第二版", True)


async def test_a_file_integrity_problem_blocks_the_item_until_a_new_version_replaces_the_file(world: World) -> None:
    await world.school_exists()
    await world.duty("outcome_submission", ["it-head"], [], "it-head")
    await world.course()
    await world.enrol("stu-a", 1, user_id="u-a")
    outcome_id = await world.outcome("u-a", certified=True)
    await world.feed(
        FileIntegrityFailed(
            file_id=f"f-{outcome_id}",
            owner_kind="outcome",
            owner_id=outcome_id,
            student_user_id="u-a",
            school_id=SCHOOL,
            problem="altered",
        )
    )
    it = world.staff("it-head")
    batch = (await world.create_batch(it, "course_outcomes")).json()
    assert (await world.act(batch["id"], "check", it)).json()["status"] == "failed_check"
    (finding,) = (await world.report(batch["id"], it))["findings"]
    assert (finding["rule"], finding["message"]) == ("R-FILE-1", "a file of this item is altered in storage")


async def test_r_data_6_items_from_before_the_enrolment_are_named(world: World) -> None:
    await world.school_exists()
    await world.duty("outcome_submission", ["it-head"], [], "it-head")
    await world.course()
    await world.enrol("stu-a", 1, user_id="u-a")
    # The student transferred in during the second semester: the first semester's outcome predates it.
    await world.feed(
        EnrolmentChanged(
            student_id="stu-a",
            user_id="u-a",
            school_id=SCHOOL,
            change="transfer_in",
            effective_on=date(2026, 2, 10),
            status="enrolled",
            grade=3,
        )
    )
    await world.outcome("u-a", certified=True)
    it = world.staff("it-head")
    batch = (await world.create_batch(it, "course_outcomes")).json()
    await world.act(batch["id"], "check", it)
    (finding,) = (await world.report(batch["id"], it))["findings"]
    assert finding["rule"] == "R-DATA-6"


async def test_students_keep_sealed_data_class_and_grade_years(world: World) -> None:
    await world.school_exists()
    await world.enrol("stu-a", 1, grade=2)
    async with world.runtime.uow() as uow:
        sealed = (await uow.session.execute(select(rc_students.c.sealed_personal_data))).scalar_one()
    assert sealed and sealed.startswith("x25519.v1.")
    # A correction without sealed data (an older producer) keeps the sealed data; class follows.
    await world.feed(
        StudentBasicDataChanged(
            student_id="stu-a",
            school_id=SCHOOL,
            user_id="u-a",
            changed_fields=["class_name"],
            status="enrolled",
            status_since=date(2025, 8, 1),
            grade=2,
            class_name="202",
            seat_number=5,
        )
    )
    await world.feed(
        GradeLevelChanged(
            student_id="stu-a",
            user_id="u-a",
            school_id=SCHOOL,
            change="promotion",
            from_grade=2,
            to_grade=3,
            academic_year=115,
            effective_on=date(2026, 8, 1),
        )
    )
    async with world.runtime.uow() as uow:
        row = (await uow.session.execute(select(rc_students))).mappings().one()
        years = dict((await uow.session.execute(select(rc_grade_years.c.academic_year, rc_grade_years.c.grade))).all())
    assert (row["sealed_personal_data"], row["class_name"], row["seat_number"], row["grade"]) == (sealed, "202", 5, 3)
    assert years == {114: 2, 115: 3}


async def test_grades_of_a_student_without_an_enrolment_copy_are_named_not_dropped(world: World) -> None:
    await world.school_exists()
    await world.duty("grades", ["reg-head"], [], "reg-head")
    await world.feed(
        SemesterGradesRecorded(
            student_id="stu-ghost",
            school_id=SCHOOL,
            academic_year=YEAR,
            semester=1,
            course_codes=["C1"],
            grade_count=1,
            grades=[SemesterGrade(course_code="C1", subject_name="數學", credits=4, score=Decimal("70"), passed=True)],
        )
    )
    reg = world.staff("reg-head")
    batch = (await world.create_batch(reg, "grades", semester=1)).json()
    checked = (await world.act(batch["id"], "check", reg)).json()
    assert (checked["status"], checked["student_count"], checked["row_count"]) == ("failed_check", 1, 1)
    rules = {f["rule"] for f in (await world.report(batch["id"], reg))["findings"]}
    assert "R-DATA-6" in rules and "required" in rules  # no national ID to key the row by
