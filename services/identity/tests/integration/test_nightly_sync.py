"""R-DUTY-3: the nightly account pull really runs — from each school's drop folder, once per night
across replicas (two scheduler instances against the same real PostgreSQL), with the report kept
and shown, a bad line named by its number, and a failed night published for notification."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from identity_support import build_world, settings_for
from sqlalchemy import func, select, update

from portfolio_identity.adapters.orm import nightly_runs, outbox, sis_sync_runs, users
from portfolio_identity.app import create
from portfolio_identity.bootstrap import bootstrap
from portfolio_identity.cli import main as cli_main
from portfolio_identity.service_layer.nightly_sync import run_night
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.nightly import NightlyScheduler
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.harness import running
from portfolio_shared.timefmt import is_rfc3339_with_offset

pytestmark = pytest.mark.integration

HEADER = "login_name,display_name,kind,roles,status,end_date,email,student_number,school_code\n"
TAIPEI = ZoneInfo("Asia/Taipei")
NIGHT = date(2026, 11, 29)


def _drop(root: Path, code: str, name: str, data: bytes) -> None:
    folder = root / code
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def _export(code: str) -> bytes:
    good = HEADER + f"s120001,王小明,student,,active,,,120001,{code}\n" + f"t-lin,林老師,teacher,,active,,,,{code}\n"
    bad = f"s120002,\xff\xfe,student,,active,,,120002,{code}\n".encode("latin-1")  # not UTF-8, not Big5
    return good.encode() + bad + f"s120003,陳小華,student,,active,,,120003,{code}\n".encode()


def _scheduler(runtime: ServiceRuntime, settings: object, owner: str, at: datetime) -> NightlyScheduler:
    return NightlyScheduler(
        lambda night: run_night(runtime, settings, night, owner=owner),  # type: ignore[arg-type]
        run_at=time(2, 0),
        zone=TAIPEI,
        clock=lambda: at,
    )


async def test_two_replicas_pull_each_school_once_and_the_report_names_the_bad_line(
    pg_url: str, rabbitmq_url: str, topology: Topology, tmp_path: Path
) -> None:
    settings = settings_for(pg_url, rabbitmq_url, topology.prefix, sis_drop_url=f"file://{tmp_path}")
    first = bootstrap(settings)
    async with running(first, create) as client:
        world = await build_world(client)
        a, b = world.school("A"), world.school("B")
        _drop(tmp_path, "330301", "accounts-20261128.csv", (HEADER + "old,舊,student,,active,,,1,330301\n").encode())
        _drop(tmp_path, "330301", "accounts-20261129.csv", _export("330301"))
        _drop(tmp_path, "330301", "grades-20261129.csv", b"not, an, account, export\n")  # another export
        # School B's SIS dropped nothing tonight.

        second = bootstrap(settings)  # a second replica: its own engine and pool, same PostgreSQL
        try:
            at = datetime(2026, 11, 29, 3, 0, tzinfo=TAIPEI).astimezone(UTC)
            before = _scheduler(first, settings, "replica-1", datetime(2026, 11, 29, 1, 59, tzinfo=TAIPEI))
            assert await before.tick() is False  # not yet 02:00 school time
            replicas = [_scheduler(first, settings, "replica-1", at), _scheduler(second, settings, "replica-2", at)]
            assert await asyncio.gather(*(r.tick() for r in replicas)) == [True, True]  # both fired …

            async with first.uow() as uow:
                rows = (await uow.session.execute(select(nightly_runs).order_by(nightly_runs.c.school_id))).all()
                imports = (
                    await uow.session.execute(
                        select(func.count()).select_from(sis_sync_runs).where(sis_sync_runs.c.school_id == a)
                    )
                ).scalar_one()
                created = (await uow.session.execute(select(users.c.login_name).where(users.c.from_sis))).scalars()
                failures = (
                    (
                        await uow.session.execute(
                            select(outbox.c.body).where(outbox.c.routing_key == "identity.sis_sync.night_failed.v1")
                        )
                    )
                    .scalars()
                    .all()
                )
            # … yet each school's night ran once, by one replica.
            by_school = {r.school_id: r for r in rows}
            assert set(by_school) == {a, b} and imports == 1
            assert all(r.night == NIGHT and r.attempt == 1 for r in rows)
            assert len({r.owner for r in rows}) <= 2
            run_a = by_school[a]
            assert run_a.status == "completed_with_rejections"
            assert run_a.source.endswith("/330301/accounts-20261129.csv")  # the newest export
            assert [(x["line"], x["login_name"]) for x in run_a.report["rejected"]] == [(4, "s120002")]
            assert "UTF-8 or Big5" in run_a.report["rejected"][0]["reason"]
            assert sorted(created) == ["s120001", "s120003", "t-lin"]
            run_b = by_school[b]
            assert run_b.status == "failed" and run_b.error["reason"] == "no_export"
            assert len(failures) == 1
            event = json.loads(failures[0])
            assert event["school_id"] == b and event["payload"]["reason"] == "no_export"
            assert event["payload"]["night"] == "2026-11-29" and "330302" in event["payload"]["source"]

            # The same night again (a restarted replica, the CronJob beside them) changes nothing.
            again = await run_night(second, settings, NIGHT, owner="cronjob")
            assert again == {a: None, b: None}

            # The kept report is shown to the IT section.
            nights = await client.get(f"/api/v1/schools/{a}/sis-sync/nights", headers=world.headers["a-it"])
            assert nights.status_code == 200
            assert nights.json()[0]["report"]["rejected"][0]["line"] == 4
            # Times as every other answer has them (issue 18): RFC 3339, UTC with Z (NightlyRunPublic).
            shown = nights.json()[0]
            assert all(
                is_rfc3339_with_offset(shown[k]) and shown[k].endswith("Z") for k in ("started_at", "finished_at")
            )
            assert shown["night"] == NIGHT.isoformat() and shown["status"] == "completed_with_rejections"
            other = await client.get(f"/api/v1/schools/{b}/sis-sync/nights", headers=world.headers["a-it"])
            assert other.status_code == 404  # another school's reports do not leak
        finally:
            await second.bus.close()
            await second.engine.dispose()


async def test_an_abandoned_night_is_taken_over_after_its_lease(
    pg_url: str, rabbitmq_url: str, topology: Topology, tmp_path: Path
) -> None:
    settings = settings_for(pg_url, rabbitmq_url, topology.prefix, sis_drop_url=f"file://{tmp_path}")
    runtime = bootstrap(settings)
    async with running(runtime, create) as client:
        world = await build_world(client, {"A": "330301"})
        a = world.school("A")
        _drop(tmp_path, "330301", "accounts-20261129.csv", _export("330301"))
        async with runtime.uow() as uow:  # a replica claimed the night and died before finishing
            await uow.session.execute(
                nightly_runs.insert().values(
                    job="sis_accounts", school_id=a, night=NIGHT, status="running", owner="dead", attempt=1,
                    lease_until=datetime(2026, 11, 29, 0, 0, tzinfo=UTC),
                    started_at=datetime(2026, 11, 28, 18, 0, tzinfo=UTC),
                )
            )  # fmt: skip
            await uow.commit()
        assert await run_night(runtime, settings, NIGHT, owner="replica-2") == {a: "completed_with_rejections"}
        async with runtime.uow() as uow:
            row = (await uow.session.execute(select(nightly_runs))).one()
            assert (row.owner, row.attempt, row.status) == ("replica-2", 2, "completed_with_rejections")
            # A run still inside its lease is left alone.
            await uow.session.execute(
                update(nightly_runs).values(status="running", lease_until=datetime(2199, 1, 1, tzinfo=UTC))
            )
            await uow.commit()
        assert await run_night(runtime, settings, NIGHT, owner="replica-3") == {a: None}


async def test_the_cronjob_command_runs_the_night(
    pg_url: str, rabbitmq_url: str, topology: Topology, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    """The Kubernetes CronJob runs `portfolio-identity nightly-sync`: exit 3 when lines were rejected."""
    world = await build_world(client, {"A": "330301"})
    _drop(tmp_path, "330301", "accounts-20261129.csv", _export("330301"))
    settings = settings_for(pg_url, rabbitmq_url, topology.prefix, sis_drop_url=f"file://{tmp_path}")
    code = await asyncio.to_thread(cli_main, ["nightly-sync", "--night", "2026-11-29"], settings)
    assert code == 3
    again = await asyncio.to_thread(cli_main, ["nightly-sync", "--night", "2026-11-29"], settings)
    assert again == 0  # the night was already done: nothing ran, nothing failed
    nights = await client.get(f"/api/v1/schools/{world.school('A')}/sis-sync/nights", headers=world.headers["a-it"])
    assert [n["status"] for n in nights.json()] == ["completed_with_rejections"]
