"""The grade import is a long job (issue 10, portfolio_shared.jobs): 202 with a job resource that
reports progress and the final report; leases make a restart resume or fail jobs cleanly; the job
is readable by whoever started it and by staff of its school who may read grades, and by nobody
else (404, existence does not leak)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from portfolio_records.adapters.orm import jobs
from portfolio_records.service_layer.grades import run_grade_import
from portfolio_shared.jobs import FAILED, QUEUED, RUNNING, SUCCEEDED, JobRunner, enqueue
from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.jobs import job_outcome

pytestmark = pytest.mark.integration

SCHOOL = "sch-A"
HEADER = "student_number,academic_year,semester,course_code,subject_name,credits,score,passed\n"
GOOD = (HEADER + "J001,114,1,M1,數學,4,88,Y\nJ001,114,1,E1,英文,2,70,Y\n").encode()


async def _start(records: Any, content: bytes, headers: dict[str, str] | None = None) -> Any:
    return await records.client.post(
        f"/api/v1/schools/{SCHOOL}/grade-imports",
        files={"file": ("grades.csv", content, "text/csv")},
        headers=headers or records.staff(SCHOOL),
    )


async def _row(records: Any, job_id: str) -> Any:
    async with records.runtime.engine.connect() as conn:
        return (await conn.execute(select(jobs).where(jobs.c.id == uuid.UUID(job_id)))).mappings().one()


async def test_the_import_answers_202_with_a_job_that_ends_with_the_report(records: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    await records.admit(SCHOOL, 1, number="J001")
    started = await _start(records, GOOD)
    assert started.status_code == 202, started.text
    body = started.json()
    assert started.headers["location"] == f"/api/v1/jobs/{body['id']}" == body["href"]
    assert body["kind"] == "grade_import" and body["school_id"] == SCHOOL and body["owner_id"] == "staff-1"
    assert body["status"] in (QUEUED, RUNNING, SUCCEEDED) and body["report"] is None

    outcome = await job_outcome(records.client, started, records.staff(SCHOOL))
    job = outcome.job
    assert job["status"] == SUCCEEDED and job["error"] is None and job["attempt"] == 1
    assert job["progress"] == {"stage": "finished", "done": 2, "total": 2}  # the data lines, all handled
    assert job["report"]["stored"] == 2 and job["report"]["inserted"] == 2 and job["report"]["rejected"] == []
    assert job["finished_at"].endswith("Z") and job["started_at"] <= job["finished_at"]
    # The report is kept by the import as well (its own resource), and the file is no longer held.
    kept = await records.client.get(
        f"/api/v1/schools/{SCHOOL}/grade-imports/{job['report']['id']}", headers=records.staff(SCHOOL)
    )
    assert kept.status_code == 200 and kept.json()["inserted"] == 2
    assert (await _row(records, job["id"]))["payload"] is None


async def test_a_refused_import_fails_the_job_with_the_problem_in_both_languages(records: Any) -> None:
    # Windows are closed unless opened (R-REC-1): the job fails with the 409 the route used to answer.
    await records.open_data_entry(SCHOOL, 114, 1)
    await records.admit(SCHOOL, 1, number="J001")
    started = await _start(records, GOOD.replace(b",114,1,", b",114,2,"))
    outcome = await job_outcome(records.client, started, records.staff(SCHOOL))
    assert outcome.job["status"] == FAILED and outcome.job["report"] is None
    error = outcome.job["error"]
    assert error["status"] == 409 and error["code"] == "window-closed" and error["rule"] == "R-REC-1"
    assert error["type"].endswith("/window-closed") and error["title"] == error["title_zh"]
    english = await records.client.get(
        started.headers["location"], headers={**records.staff(SCHOOL), "Accept-Language": "en"}
    )
    assert english.json()["error"]["title"] == english.json()["error"]["title_en"] != error["title_zh"]
    assert (await _row(records, outcome.job["id"]))["payload"] is None  # nothing kept of the file


async def test_an_unreadable_file_fails_the_job_with_a_422(records: Any) -> None:
    started = await _start(records, b"student_number,score\nS1,80\n")
    outcome = await job_outcome(records.client, started, records.staff(SCHOOL))
    assert outcome.status_code == 422 and outcome.json()["code"] == "grades-file-invalid"
    assert "academic_year" in outcome.json()["missing_columns"]


async def test_who_may_read_a_job(records: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    await records.admit(SCHOOL, 1, number="J001")
    started = await _start(records, GOOD)
    location = started.headers["location"]
    await job_outcome(records.client, started, records.staff(SCHOOL))

    # The one who started it (even holding no read permission any more) …
    own = records.minter.headers("staff-1", schools={SCHOOL: [str(P.SCHEDULE_READ)]})
    assert (await records.client.get(location, headers=own)).status_code == 200
    # … staff of the school who may read or write grades …
    for perm in (P.RECORDS_READ, P.GRADES_WRITE):
        other = records.minter.headers("staff-2", schools={SCHOOL: [str(perm)]})
        assert (await records.client.get(location, headers=other)).status_code == 200, perm
    # … and nobody else: staff of the school without it, a student, another school's staff (404).
    for headers in (
        records.minter.headers("staff-3", schools={SCHOOL: [str(P.SCHEDULE_READ)]}),
        records.student(SCHOOL, "stu-1"),
        records.minter.headers("staff-b", schools={"sch-B": [str(P.RECORDS_READ), str(P.GRADES_WRITE)]}),
    ):
        r = await records.client.get(location, headers=headers)
        assert r.status_code == 404 and r.json()["code"] == "not-found", r.text
    assert (await records.client.get(f"/api/v1/jobs/{uuid.uuid4()}", headers=own)).status_code == 404
    assert (await records.client.get(location)).status_code == 401
    # Starting one needs grades:write (R-SUB-4), checked before anything is kept.
    reader = records.minter.headers("staff-4", schools={SCHOOL: [str(P.RECORDS_READ)]})
    assert (await _start(records, GOOD, reader)).status_code == 403


# The runner tests below drive their own runners ("replicas") over a kind the app's runner does not
# run, so the service's own runner (started with the app) never races them for a job.
KIND = "grade_import_under_test"


def _runner(records: Any, owner: str, **kw: Any) -> JobRunner:
    return JobRunner(records.runtime, jobs, {KIND: run_grade_import}, owner=owner, **kw)


async def _queue(records: Any, content: bytes = GOOD) -> uuid.UUID:
    async with records.runtime.uow() as uow:
        row = await enqueue(uow.session, jobs, kind=KIND, school_id=SCHOOL, owner_id="staff-1", payload=content)
        await uow.commit()
    job_id: uuid.UUID = row["id"]
    return job_id


async def _set(records: Any, job_id: uuid.UUID, **values: Any) -> None:
    async with records.runtime.engine.begin() as conn:
        await conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))


async def test_a_job_whose_worker_died_is_taken_over_once_its_lease_ran_out(records: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)
    await records.admit(SCHOOL, 1, number="J001")
    job_id = await _queue(records)
    dead = _runner(records, "replica-dead")
    claimed = await dead.claim()  # … and the process stops before running it
    assert claimed is not None and claimed.id == job_id and claimed.attempt == 1
    other = _runner(records, "replica-2")
    assert await other.claim() is None  # the lease still runs: nobody else takes it
    await _set(records, job_id, lease_until=datetime.now(UTC) - timedelta(seconds=1))
    taken = await other.claim()
    assert taken is not None and taken.id == job_id and taken.attempt == 2
    assert await other.run(taken) == SUCCEEDED
    row = await _row(records, str(job_id))
    assert (row["status"], row["lease_owner"], row["attempt"]) == (SUCCEEDED, "replica-2", 2)
    assert row["report"]["inserted"] == 2
    # The dead replica comes back and finishes late: its lease is gone, nothing is written twice.
    assert await dead.run(claimed) is None
    assert (await _row(records, str(job_id)))["report"]["inserted"] == 2


async def test_a_job_abandoned_max_attempts_times_fails_instead_of_looping(records: Any) -> None:
    job_id = await _queue(records)
    runner = _runner(records, "replica-1", max_attempts=2)
    await _set(records, job_id, status=RUNNING, attempt=2, lease_owner="gone", lease_until=datetime.now(UTC))
    assert await runner.claim() is None  # past max_attempts: failed, not handed out again
    row = await _row(records, str(job_id))
    assert row["status"] == FAILED and row["error"]["code"] == "job-abandoned" and row["payload"] is None
    assert row["error"]["status"] == 500 and "2 times" in row["error"]["detail"]
    # One attempt fewer and it would still run (the boundary).
    again = await _queue(records)
    await _set(records, again, status=RUNNING, attempt=1, lease_owner="gone", lease_until=datetime.now(UTC))
    taken = await runner.claim()
    assert taken is not None and taken.id == again and taken.attempt == 2


async def test_an_unexpected_error_fails_the_job_without_quoting_it(records: Any) -> None:
    async def broken(uow: Any, job: Any, progress: Any) -> dict[str, Any]:
        raise ValueError("line 7: A123456789 王小明")  # could quote the file: never shown

    job_id = await _queue(records)
    runner = JobRunner(records.runtime, jobs, {KIND: broken}, owner="replica-1")
    assert await runner.run_pending() == 1
    row = await _row(records, str(job_id))
    assert row["status"] == FAILED and row["error"]["code"] == "job-failed" and row["error"]["status"] == 500
    assert "ValueError" in row["error"]["detail"] and "A123456789" not in str(row["error"])


async def test_ended_jobs_are_purged_after_their_horizon(records: Any) -> None:
    old, recent, queued = await _queue(records), await _queue(records), await _queue(records)
    long_ago = datetime.now(UTC) - timedelta(days=31)
    await _set(records, old, status=SUCCEEDED, finished_at=long_ago)
    await _set(records, recent, status=FAILED, finished_at=datetime.now(UTC) - timedelta(days=29))
    await _set(records, queued, created_at=long_ago)  # not ended: kept, however old
    runner = _runner(records, "replica-1", keep_for=timedelta(days=30))
    await runner._purge()
    async with records.runtime.engine.connect() as conn:
        left = set((await conn.execute(select(jobs.c.id))).scalars())
    assert old not in left and {recent, queued} <= left


async def test_an_outage_puts_the_job_back_in_the_queue_without_counting_the_attempt(records: Any) -> None:
    calls = 0

    async def database_away(uow: Any, job: Any, progress: Any) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionRefusedError(111, "Connection refused")  # the dependency is away: not the job's fault
        return {"ok": True}

    job_id = await _queue(records)
    runner = JobRunner(records.runtime, jobs, {KIND: database_away}, owner="replica-1")
    job = await runner.claim()
    assert job is not None and await runner.run(job) is None
    row = await _row(records, str(job_id))
    assert (row["status"], row["attempt"], row["lease_owner"]) == (QUEUED, 0, None) and row["payload"] == GOOD
    assert await runner.run_pending() == 1
    row = await _row(records, str(job_id))
    assert (row["status"], row["attempt"], row["report"]) == (SUCCEEDED, 1, {"ok": True})
