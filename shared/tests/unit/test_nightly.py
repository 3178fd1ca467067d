"""The nightly sync's plumbing (R-DUTY-3): the scheduler's timing, the once-per-night lease on
SQLite (the standalone shape; PostgreSQL is exercised by identity's and records' two-replica tests)
and the drop folder."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import MetaData, select

from portfolio_shared.db import make_engine, make_sessionmaker
from portfolio_shared.nightly import (
    DropFolder,
    DropFolderError,
    NightlyScheduler,
    claim_night,
    finish_night,
    nightly_runs_table,
    parse_run_at,
)

TAIPEI = ZoneInfo("Asia/Taipei")
NIGHT = date(2026, 11, 29)


async def test_the_scheduler_fires_once_a_night_after_the_school_time() -> None:
    now = [datetime(2026, 11, 29, 1, 59, tzinfo=TAIPEI)]
    nights: list[date] = []

    async def job(night: date) -> None:
        nights.append(night)

    scheduler = NightlyScheduler(job, run_at=parse_run_at("02:00"), zone=TAIPEI, clock=lambda: now[0])
    assert await scheduler.tick() is False  # one minute early
    now[0] = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)  # 02:00 in Taipei, at the limit
    assert await scheduler.tick() is True and nights == [NIGHT]
    now[0] += timedelta(hours=5)
    assert await scheduler.tick() is False  # the same night does not run twice in a process
    now[0] = datetime(2026, 11, 30, 2, 0, tzinfo=TAIPEI)
    assert await scheduler.tick() is True and nights == [NIGHT, date(2026, 11, 30)]

    async def failing(night: date) -> None:
        raise RuntimeError("broken drop folder")

    broken = NightlyScheduler(failing, run_at=time(2, 0), zone=TAIPEI, clock=lambda: now[0])
    assert await broken.tick() is True  # the failure is logged, the loop lives on for tomorrow


async def test_the_lease_makes_a_night_run_once_and_an_abandoned_one_is_taken_over(tmp_path: Path) -> None:
    metadata = MetaData()
    runs = nightly_runs_table(metadata)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'lease.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = make_sessionmaker(engine)
    at = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
    lease = timedelta(hours=2)
    key = {"job": "sis_grades", "school_id": "s1", "night": NIGHT}
    try:
        assert await claim_night(sessions, runs, **key, owner="a", lease=lease, now=at) is True
        assert await claim_night(sessions, runs, **key, owner="b", lease=lease, now=at) is False
        # Still inside the lease, at its last instant: not taken over.
        assert await claim_night(sessions, runs, **key, owner="b", lease=lease, now=at + lease) is False
        # One past it: "a" died; "b" takes the night over.
        later = at + lease + timedelta(seconds=1)
        assert await claim_night(sessions, runs, **key, owner="b", lease=lease, now=later) is True
        async with sessions() as session:
            assert await finish_night(session, runs, **key, owner="a", status="succeeded", source=None) is False
            assert await finish_night(session, runs, **key, owner="b", status="succeeded", source="x") is True
            await session.commit()
            row = (await session.execute(select(runs))).one()
        assert (row.owner, row.attempt, row.status) == ("b", 2, "succeeded")
        # A finished night is never run again.
        assert await claim_night(sessions, runs, **key, owner="c", lease=lease, now=later + lease * 5) is False
        assert await claim_night(sessions, runs, **{**key, "school_id": "s2"}, owner="c", lease=lease) is True
    finally:
        await engine.dispose()


async def test_the_drop_folder_gives_the_newest_matching_export(tmp_path: Path) -> None:
    school = tmp_path / "330301"
    (school / "old").mkdir(parents=True)
    (school / "grades-20261128.csv").write_bytes(b"a")
    (school / "grades-20261129.csv").write_bytes(b"bb")
    (school / "accounts-20261130.csv").write_bytes(b"c")
    (school / "old" / "grades-20991231.csv").write_bytes(b"nested: not this school's folder level")
    folder = DropFolder.of(f"file://{tmp_path}", "{school_code}/", school_code="330301", school_id="sid")
    dropped = await folder.latest("grades*.csv", max_bytes=2)  # at the limit
    assert (dropped.key, dropped.data) == ("330301/grades-20261129.csv", b"bb")
    with pytest.raises(DropFolderError) as caught:
        await folder.latest("grades*.csv", max_bytes=1)  # one past it
    assert caught.value.reason == "too_large"
    with pytest.raises(DropFolderError) as caught:
        await folder.latest("teachers*.csv", max_bytes=100)
    assert caught.value.reason == "no_export" and "330301/" in caught.value.detail
    secret = DropFolder.of(
        "s3://KEY:SECRET@minio:9000/drop?secure=false", "sis/{school_code}", school_code="1", school_id="x"
    )
    assert secret.shown_as == "s3://minio:9000/drop/sis/1/" and "SECRET" not in secret.shown_as
