"""Operations signals (issue 17): scheduled jobs' last success, the nightly runs read back from the
table whichever process ran them, and the dead-letter gauge from a bus."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy import MetaData, insert

from portfolio_shared.db import make_engine
from portfolio_shared.nightly import FAILED, PARTIAL, RUNNING, SUCCEEDED, nightly_runs_table
from portfolio_shared.opsmetrics import job_failed, job_succeeded, observe_dead_letters, observe_nightly_runs

LAST = "portfolio_job_last_success_timestamp_seconds"


def _value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_a_job_reports_its_last_success_and_counts_its_runs() -> None:
    before = _value("portfolio_job_runs_total", service="toy", job="tidy", result="success") or 0.0
    at = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    job_succeeded("toy", "tidy", at)
    job_failed("toy", "tidy")
    assert _value(LAST, service="toy", job="tidy") == at.timestamp()
    assert _value("portfolio_job_runs_total", service="toy", job="tidy", result="success") == before + 1
    assert (_value("portfolio_job_runs_total", service="toy", job="tidy", result="failure") or 0) >= 1
    job_succeeded("toy", "tidy")  # now
    assert (_value(LAST, service="toy", job="tidy") or 0) > at.timestamp()


async def test_the_nightly_success_is_the_oldest_of_the_schools_newest(tmp_path: Path) -> None:
    metadata = MetaData()
    runs = nightly_runs_table(metadata)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'runs.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    t0 = datetime(2026, 11, 28, 18, 30, tzinfo=UTC)

    def row(job: str, school: str, night: date, status: str, finished: datetime | None) -> dict[str, object]:
        return {
            "job": job, "school_id": school, "night": night, "status": status, "owner": "o", "attempt": 1,
            "lease_until": t0, "started_at": t0, "finished_at": finished,
        }  # fmt: skip

    async with engine.begin() as conn:
        await conn.execute(
            insert(runs),
            [
                row("sis_grades", "A", date(2026, 11, 28), SUCCEEDED, t0 - timedelta(days=1)),
                row("sis_grades", "A", date(2026, 11, 29), SUCCEEDED, t0),
                row("sis_grades", "B", date(2026, 11, 28), PARTIAL, t0 - timedelta(hours=20)),  # ran, with rejections
                row("sis_grades", "B", date(2026, 11, 29), FAILED, t0 + timedelta(minutes=5)),  # not a success
                row("sis_grades", "C", date(2026, 11, 29), RUNNING, None),  # no finished run yet: not counted
                row("sis_accounts", "A", date(2026, 11, 29), SUCCEEDED, t0 + timedelta(minutes=1)),
            ],
        )
    seen = await observe_nightly_runs(engine, runs, "toyrecords")
    # School B's newest completed night is older than A's: the job is only as fresh as B.
    assert seen == {
        "sis_grades": (t0 - timedelta(hours=20)).timestamp(),
        "sis_accounts": (t0 + timedelta(minutes=1)).timestamp(),
    }
    assert _value(LAST, service="toyrecords", job="sis_grades") == (t0 - timedelta(hours=20)).timestamp()
    await engine.dispose()


class _Bus:
    def __init__(self, depths: dict[str, int]) -> None:
        self.depths = depths

    async def dead_letter_count(self, consumer: str) -> int:
        return self.depths[consumer]


async def test_the_dead_letter_gauge_follows_the_bus() -> None:
    bus = _Bus({"toy.a": 0, "toy.b": 3})
    assert await observe_dead_letters(bus, [("toy.a", "p.toy.a"), ("toy.b", "p.toy.b")]) == {"p.toy.a": 0, "p.toy.b": 3}
    assert _value("portfolio_deadletter_messages", queue="p.toy.b") == 3
    bus.depths["toy.b"] = 0  # replayed
    await observe_dead_letters(bus, [("toy.b", "p.toy.b")])
    assert _value("portfolio_deadletter_messages", queue="p.toy.b") == 0
    assert await observe_dead_letters(object(), [("toy.a", "p.toy.a")]) == {}  # a bus without the count
