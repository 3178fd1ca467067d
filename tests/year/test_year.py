"""Issue 14, "The year": a whole school year for two schools of one district, every service its own
OS process on real PostgreSQL, RabbitMQ and moto S3, the central-database emulator its own process,
driven over HTTP only (see platform.py and flow.py). Counts are asserted at each step; what crosses
services is waited for by polling with a timeout."""

from __future__ import annotations

import time

import httpx
import pytest

from .flow import STAFF, STUDENTS_PER_SCHOOL, Year, ok
from .platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_a_school_year_across_every_service(platform: Platform) -> None:
    began = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        year = Year(platform, client)
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

        # artifacts: every student uploads one outcome (presigned PUT to moto, then complete).
        for school in year.schools.values():
            for i in range(1, STUDENTS_PER_SCHOOL + 1):
                outcome = await year.upload(school, school.login(f"s{i}"))
                assert outcome["status"] == "submitted"
            mine = await year.outcomes(school, school.login("t1"))
            assert len(mine) == STUDENTS_PER_SCHOOL
    print(f"\nyear test: {time.monotonic() - began:.1f} s")
