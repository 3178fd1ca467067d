"""Closing a receipt's confirmation window on real PostgreSQL (R-SUB-7): 100 students, 60 confirm,
10 object, 30 say nothing → exactly 30 deemed; closing again, or on two replicas at once, changes
nothing more; a confirmation racing the close has one outcome; a restart closes what fell due."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from portfolio_shared.events.submission import ConfirmationWindowClosed
from portfolio_shared.service import ServiceRuntime
from portfolio_submission.adapters.orm import outbox
from portfolio_submission.adapters.receipts_orm import receipt_students
from portfolio_submission.bootstrap import bootstrap
from portfolio_submission.config import Settings
from portfolio_submission.domain.objections import Acting
from portfolio_submission.domain.receipts_errors import AlreadyAnswered, WindowNotOpen
from portfolio_submission.service_layer import confirmation, objections, receipts
from portfolio_submission.service_layer.confirmation_closer import WindowCloser, close_due_windows

sys.path.insert(0, str(Path(__file__).parent))

from receipts_world import Central, Facts, central_receipt, outcome_batch

pytestmark = pytest.mark.integration

ANNOUNCED = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Taipei, 1 March
INSIDE = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
AFTER = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)  # 00:00 Taipei on 5 March: the window's end


@pytest_asyncio.fixture
async def database(make_database: Callable[[str], object], request: pytest.FixtureRequest) -> str:
    name = "subrc_" + "".join(ch for ch in request.node.name if ch.isalnum())[:40]
    url: str = await make_database(name)  # type: ignore[misc]
    return url


def _runtime(url: str, workdir: str) -> ServiceRuntime:
    # The closing is a database matter: events are checked in the outbox, no broker is needed.
    bus = f"sqlite+aiosqlite:///{workdir}/bus.db"
    return bootstrap(Settings(environment="test", database_url=url, broker_url=bus, storage_url=f"file://{workdir}"))


@pytest_asyncio.fixture
async def replicas(database: str, tmp_path: Path) -> AsyncIterator[tuple[ServiceRuntime, ServiceRuntime]]:
    one, two = _runtime(database, str(tmp_path)), _runtime(database, str(tmp_path))
    await one.migrate()
    yield one, two
    await one.engine.dispose()
    await two.engine.dispose()


async def _receipt_with_window(runtime: ServiceRuntime, facts: Facts, students: int) -> str:
    outcome_batch(facts, "b-1", students)
    central = Central({"central-b-1": central_receipt(facts, "b-1")})
    async with runtime.uow() as uow:
        imported = await receipts.import_from_central(
            uow, facts, central, batch_id="b-1", actor="it-1", school_ids=["sch-A"]
        )
        await uow.commit()
    rid = str(imported.receipt["id"])
    async with runtime.uow() as uow:
        await confirmation.announce_window(
            uow,
            facts,
            receipt_id=rid,
            first_day=date(2026, 3, 2),
            last_day=date(2026, 3, 4),
            actor="g-1",
            school_ids=["sch-A"],
            now=ANNOUNCED,
        )
        await uow.commit()
    return rid


async def _answers(runtime: ServiceRuntime, rid: str) -> dict[str, int]:
    async with runtime.uow() as uow:
        rows = await uow.session.execute(select(receipt_students.c.answer).where(receipt_students.c.receipt_id == rid))
        out: dict[str, int] = {}
        for (a,) in rows:
            out[a] = out.get(a, 0) + 1
        return out


async def _closed_events(runtime: ServiceRuntime) -> list[str]:
    async with runtime.uow() as uow:
        rows = await uow.session.execute(
            select(outbox.c.body).where(outbox.c.routing_key == ConfirmationWindowClosed.routing_key())
        )
        return [b for (b,) in rows]


async def test_hundred_students_sixty_confirm_ten_object_thirty_deemed(
    replicas: tuple[ServiceRuntime, ServiceRuntime],
) -> None:
    one, two = replicas
    facts = Facts(acting={("sch-A", "outcome_submission"): Acting("it-1", False, None)})
    rid = await _receipt_with_window(one, facts, 100)
    for n in range(60):
        async with one.uow() as uow:
            await confirmation.confirm(uow, facts, receipt_id=rid, student_user_id=f"stu-{n:03d}", now=INSIDE)
            await uow.commit()
    for n in range(60, 70):
        async with one.uow() as uow:
            mine = await receipts.student_view(uow, rid, f"stu-{n:03d}")
            await objections.raise_objection(
                uow,
                facts,
                None,
                receipt_id=rid,
                student_user_id=f"stu-{n:03d}",
                item_ids=[mine[2][0]["id"]],
                reason="the file is not mine",
                now=INSIDE,
            )
            await uow.commit()
    # not due yet: nothing closes a minute before the end
    assert await close_due_windows(one, now=AFTER - timedelta(minutes=1)) == {}
    # two replicas at once, then each again
    first = await asyncio.gather(close_due_windows(one, now=AFTER), close_due_windows(two, now=AFTER))
    assert sorted(len(r) for r in first) == [0, 1]
    assert [d for r in first for d in r.values()] == [30]
    assert await close_due_windows(one, now=AFTER + timedelta(hours=1)) == {}
    assert await close_due_windows(two, now=AFTER + timedelta(days=1)) == {}
    assert await _answers(one, rid) == {"confirmed": 60, "objected": 10, "deemed": 30}
    assert len(await _closed_events(one)) == 1
    async with one.uow() as uow:
        (report,) = await receipts.school_report(uow, "sch-A")
    assert (report.confirmed, report.objected, report.deemed, report.pending, report.objections_open) == (
        60,
        10,
        30,
        0,
        10,
    )
    assert report.receipt["deemed_count"] == 30 and report.receipt["status"] == "closed"
    # after the close nobody answers any more
    async with one.uow() as uow:
        with pytest.raises(WindowNotOpen):
            await confirmation.confirm(uow, facts, receipt_id=rid, student_user_id="stu-099", now=INSIDE)


async def test_many_closers_at_once_deem_once(replicas: tuple[ServiceRuntime, ServiceRuntime]) -> None:
    one, two = replicas
    facts = Facts()
    rid = await _receipt_with_window(one, facts, 40)

    async def close(rt: ServiceRuntime) -> int | None:
        async with rt.uow() as uow:
            return await confirmation.close_window(uow, rid, now=AFTER)

    results = await asyncio.gather(*(close(rt) for rt in (one, two) * 4))
    assert sorted(results, key=lambda r: r is None) == [40] + [None] * 7
    assert await _answers(one, rid) == {"deemed": 40}
    assert len(await _closed_events(one)) == 1


async def test_a_confirmation_racing_the_close_has_one_outcome(replicas: tuple[ServiceRuntime, ServiceRuntime]) -> None:
    one, two = replicas
    facts = Facts()
    rid = await _receipt_with_window(one, facts, 30)
    last_moment = AFTER - timedelta(microseconds=1)

    async def confirm(user: str) -> str:
        async with one.uow() as uow:
            try:
                await confirmation.confirm(uow, facts, receipt_id=rid, student_user_id=user, now=last_moment)
                await uow.commit()
                return "confirmed"
            except (WindowNotOpen, AlreadyAnswered):
                return "refused"

    async def close() -> int | None:
        async with two.uow() as uow:
            return await confirmation.close_window(uow, rid, now=AFTER)

    users = [f"stu-{n:03d}" for n in range(30)]
    outcomes = await asyncio.gather(*(confirm(u) for u in users[:15]), close(), *(confirm(u) for u in users[15:]))
    deemed = outcomes[15]
    answers = dict(zip(users, outcomes[:15] + outcomes[16:], strict=True))
    assert isinstance(deemed, int)
    final = await _answers(one, rid)
    confirmed = sum(1 for v in answers.values() if v == "confirmed")
    # every student has exactly one outcome: confirmed before the close, or deemed by it
    assert final.get("confirmed", 0) == confirmed and final.get("deemed", 0) == deemed == 30 - confirmed


async def test_a_restart_closes_what_fell_due_while_down(replicas: tuple[ServiceRuntime, ServiceRuntime]) -> None:
    one, two = replicas
    facts = Facts()
    rid = await _receipt_with_window(one, facts, 5)
    await one.engine.dispose()  # the replica that announced is gone
    closer = WindowCloser(two, poll_seconds=0.01, clock=lambda: AFTER + timedelta(days=2))
    task = asyncio.create_task(closer.run_forever())
    try:
        for _ in range(200):
            if (await _answers(two, rid)).get("deemed") == 5:
                break
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
    assert await _answers(two, rid) == {"deemed": 5}
    assert len(await _closed_events(two)) == 1


async def test_the_standalone_shape_sqlite_closes_once_too(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'submission.db'}"
    one, two = _runtime(url, str(tmp_path)), _runtime(url, str(tmp_path))
    await one.migrate()
    try:
        facts = Facts()
        rid = await _receipt_with_window(one, facts, 10)
        for n in range(4):
            async with one.uow() as uow:
                await confirmation.confirm(uow, facts, receipt_id=rid, student_user_id=f"stu-{n:03d}", now=INSIDE)
                await uow.commit()
        assert await close_due_windows(one, now=AFTER) == {rid: 6}
        assert await close_due_windows(two, now=AFTER) == {}
        assert await _answers(two, rid) == {"confirmed": 4, "deemed": 6}
        assert len(await _closed_events(one)) == 1
    finally:
        await one.engine.dispose()
        await two.engine.dispose()


async def test_the_closer_reports_its_runs_to_the_ops_signals(
    replicas: tuple[ServiceRuntime, ServiceRuntime],
) -> None:
    """Issue 17: the ``deemed-confirmation`` job's last success (alerts.yaml fires after 3 hours
    without one) and its runs by result; a failed poll is counted and moves no success time."""
    from portfolio_shared.opsmetrics import JOB_LAST_SUCCESS, JOB_RUNS
    from portfolio_submission.service_layer.confirmation_closer import JOB

    assert JOB == "deemed-confirmation"
    one, _ = replicas
    facts = Facts()
    rid = await _receipt_with_window(one, facts, 2)

    def runs(result: str) -> float:
        return JOB_RUNS.labels("submission", JOB, result)._value.get()

    ok, failed = runs("success"), runs("failure")
    closer = WindowCloser(one, clock=lambda: AFTER)
    assert await closer.tick() == {rid: 2}
    assert runs("success") == ok + 1 and runs("failure") == failed
    assert JOB_LAST_SUCCESS.labels("submission", JOB)._value.get() == AFTER.timestamp()

    broken = WindowCloser(one, clock=lambda: AFTER + timedelta(hours=5))
    await one.engine.dispose()
    one.uow = None  # type: ignore[assignment,method-assign]  # calling it raises: the poll fails
    assert await broken.tick() == {}
    assert runs("failure") == failed + 1 and runs("success") == ok + 1
    assert JOB_LAST_SUCCESS.labels("submission", JOB)._value.get() == AFTER.timestamp()
