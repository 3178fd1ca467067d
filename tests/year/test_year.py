"""Issue 14, "The year": a whole school year for two schools of one district, every service its own
OS process on real PostgreSQL, RabbitMQ and moto S3, the central-database emulator its own process,
driven over HTTP only (see processes.py and flow.py). Counts are asserted at each step; what crosses
services is waited for by polling with a timeout."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import httpx
import pytest

from portfolio_central.testing import EmulatorProcess

from .flow import GRADUATE, STAFF, STUDENTS_PER_SCHOOL, School, Steps, ok, poll
from .processes import Platform

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_a_school_year_across_every_service(platform: Platform, central_emulator: EmulatorProcess) -> None:
    began = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        year = Steps(platform, client)
        year.term()

        # identity: the district and its two schools; each school's accounts come from its SIS export.
        await year.district_and_schools()
        assert len(year.schools) == 2
        for school in year.schools.values():
            report = await year.sis_sync(school)
            assert report["counts"]["created"] == len(STAFF) + STUDENTS_PER_SCHOOL, report
            assert report["counts"]["rejected"] == 0
            assert len(school.users) == len(STAFF) + STUDENTS_PER_SCHOOL + 1  # + the district-made IT account

        # records: the semester schedule (every phase open), enrolment, the course plan and teachers.
        for school in year.schools.values():
            schedule = await year.open_windows(school)
            assert len(schedule["windows"]) >= 1
            await year.admit(school)
            assert len(school.students) == STUDENTS_PER_SCHOOL
            course = await year.course(school)
            assert len(course["student_ids"]) == STUDENTS_PER_SCHOOL and len(course["teacher_user_ids"]) == 1
            listed = ok(
                await client.get(
                    year.url("records", f"/api/v1/schools/{school.id}/students"), headers=school.h("registry")
                ),
                200,
            )
            assert listed["total"] == STUDENTS_PER_SCHOOL
            report = await year.import_grades(school)
            assert (report["stored"], report["rejected"]) == (STUDENTS_PER_SCHOOL, []), report
            student_id = school.students[school.login("s1")]
            grades = ok(
                await client.get(
                    year.url("records", f"/api/v1/schools/{school.id}/students/{student_id}/grades"),
                    headers=school.h("registry"),
                ),
                200,
            )
            assert len(grades) == 1 and str(grades[0]["score"]).startswith("65"), grades

        # artifacts: every student uploads one outcome (presigned PUT to moto, then complete).
        for school in year.schools.values():
            for i in range(1, STUDENTS_PER_SCHOOL + 1):
                outcome = await year.upload(school, school.login(f"s{i}"))
                assert outcome["status"] == "submitted"
            mine = await year.outcomes(school, school.login("t1"))
            assert len(mine) == STUDENTS_PER_SCHOOL
        await certification_selection_submission(year, central_emulator)
        await confirmations(year, platform)
        await transfer_graduation_sealing(year)
    print(f"\nyear test: {time.monotonic() - began:.1f} s")


async def certification_selection_submission(year: Steps, central: EmulatorProcess) -> None:
    for school in year.schools.values():
        outcomes = sorted(await year.outcomes(school, school.login("t1")), key=lambda o: o["student_user_id"])
        by_student = {o["student_user_id"]: o for o in outcomes}
        # The course teacher certifies half (R-ART-3) ...
        for login in [school.login(f"s{i}") for i in range(1, 4)]:
            done = await year.certify(school, by_student[school.users[login]]["id"], school.login("t1"))
            assert done["certification"]["basis"] == "teacher"
        # ... then leaves; the named delegate certifies the rest on the teacher's behalf (R-ART-5).
        await year.name_delegate_and_let_teacher_leave(school)
        for login in [school.login(f"s{i}") for i in range(4, STUDENTS_PER_SCHOOL + 1)]:
            done = await year.certify(school, by_student[school.users[login]]["id"], school.login("library"))
            cert = done["certification"]
            assert (cert["basis"], cert["on_behalf_of"]) == ("delegate", school.users[school.login("t1")])
        # Every student selects their certified outcome (R-ART-4).
        for i in range(1, STUDENTS_PER_SCHOOL + 1):
            login = school.login(f"s{i}")
            selected = await year.select(school, login, by_student[school.users[login]]["id"])
            assert selected["selected"] is True, selected
        certified = [o for o in await year.outcomes(school, school.login("library")) if o["status"] == "certified"]
        assert len(certified) == STUDENTS_PER_SCHOOL

    # submission: per office, the pre-check, then sending to the central database (the emulator).
    year.central_window(central)
    for school in year.schools.values():
        await year.submission_window(school)
        await year.duty(school, "outcome_submission", "it0")
        batch_id = await year.batch(school, "it0")

        async def checked(school: School = school, batch_id: str = batch_id) -> Any:
            # submission learns of the selections from artifacts' events: check until every student is in
            r = ok(await year.act(school, "it0", batch_id, "check"), 200)
            return r if r["status"] == "checked" and r["student_count"] == STUDENTS_PER_SCHOOL else None

        report = await poll("a clean pre-check with every student", checked)
        assert (report["error_count"], report["row_count"]) == (0, STUDENTS_PER_SCHOOL)
        ready = ok(await year.act(school, "it0", batch_id, "submit"), 200)
        assert ready["status"] == "ready"

        async def accepted(school: School = school, batch_id: str = batch_id) -> Any:
            state = await year.sending_state(school, "it0", batch_id)
            return state if state and state["state"] == "accepted" else None

        await poll("the batch to be accepted by the central database", accepted, timeout=90)
        receipt = ok(await year.act(school, "it0", batch_id, "receipt/fetch"), 201)
        assert receipt["student_count"] == STUDENTS_PER_SCHOOL and receipt["item_count"] == STUDENTS_PER_SCHOOL
        assert receipt["counts"] == {
            "received_identical": STUDENTS_PER_SCHOOL,
            "received_different": 0,
            "missing": 0,
            "not_ours": 0,
        }
        school.receipt_id = receipt["id"]
    health = ok(await year.client.get(central.url + "/healthz"), 200)
    assert int(health["accepted"]) == 2  # one batch per school


async def confirmations(year: Steps, platform: Platform) -> None:
    """R-SUB-6..9: the window; four students confirm on the platform, one objects (its correction
    batch holds only that student), and the last is deemed to have confirmed
    when the window closes.

    Closing the window: the services offer no clock for a running process, so the test moves this
    receipt's ``closes_at`` into the past in submission's own database (the narrowest mechanism: one
    column of one row); the service's own closer (``receipt_close_poll_seconds``) then closes it."""
    for school in year.schools.values():
        announced = await year.announce(school)
        assert announced["status"] == "window_open"
        for i in (1, 2, 3):
            answered = await year.confirm(school, f"s{i}")
            assert (answered["answer"], answered["channel"]) == ("confirmed", "platform")
        mine = await year.my_receipt(school, "s4")
        assert len(mine["items"]) == 1 and mine["flagged"] == 0
        objection = await year.object(school, "s4", [mine["items"][0]["id"]])
        assert objection["status"] == "open" and objection["routed_to"] == school.users[school.login("it0")]
        corrected = await year.correct(school, objection["id"])
        assert corrected["status"] == "corrected" and corrected["correction_batch_id"]
        # The correction batch's pre-check holds only the objecting student's named item (R-SUB-8).
        checked = ok(await year.act(school, "it0", corrected["correction_batch_id"], "check"), 200)
        assert (checked["student_count"], checked["row_count"], checked["error_count"]) == (1, 1, 0), checked
        assert (await year.confirm(school, "s5"))["answer"] == "confirmed"

        await close_receipt_window(platform, school.receipt_id)

        async def closed(school: School = school) -> Any:
            receipt = await year.receipt(school)
            return receipt if receipt["status"] == "closed" else None

        await poll("the confirmation window to close", closed)
        deemed = await year.my_receipt(school, "s6")
        assert (deemed["answer"]["answer"], deemed["answer"]["channel"]) == ("deemed", "deemed")
        assert (await year.my_receipt(school, "s1"))["answer"]["answer"] == "confirmed"  # answers kept


async def close_receipt_window(platform: Platform, receipt_id: str) -> None:
    url = platform.services["submission"].env["PORTFOLIO_SUBMISSION_DATABASE_URL"]
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        status = await conn.execute(
            "UPDATE receipts SET closes_at = now() - interval '1 second' WHERE id = $1 AND status = 'window_open'",
            receipt_id,
        )
        assert status == "UPDATE 1", status
    finally:
        await conn.close()


async def transfer_graduation_sealing(year: Steps) -> None:
    """R-ENR-1: A's student 6 transfers to B inside the district (records follow the student); each
    school's grade-3 student graduates and their data is sealed (R-RET-1)."""
    a, b = year.schools["A"], year.schools["B"]
    moved = await year.transfer(a, b, "s6")
    assert moved["status"] == "enrolled"
    history = ok(
        await year.client.get(
            year.url("records", f"/api/v1/schools/{b.id}/students/{moved['id']}/enrolment-changes"),
            headers=b.h("registry"),
        ),
        200,
    )
    # Records follow the student: B sees the admission and the transfer out at A, then its transfer in.
    by_school = sorted((c["school_id"] == a.id, c["change"]) for c in history)
    assert by_school == [(False, "transfer_in"), (True, "admission"), (True, "transfer_out")], history
    for school, total in ((a, STUDENTS_PER_SCHOOL), (b, STUDENTS_PER_SCHOOL + 1)):
        listed = ok(
            await year.client.get(
                year.url("records", f"/api/v1/schools/{school.id}/students"), headers=school.h("registry")
            ),
            200,
        )
        assert listed["total"] == total, listed
    for school in (a, b):
        graduated = await year.graduate(school, f"s{GRADUATE}")
        assert graduated["status"] == "graduated"
        student_id = school.students[school.login(f"s{GRADUATE}")]

        async def sealed(school: School = school, student_id: str = student_id) -> Any:
            state = await year.seal_state(school, student_id)
            return state if state["sealed"] else None

        state = await poll("the graduate's data to be sealed", sealed)
        assert state["completed_on"] is not None
