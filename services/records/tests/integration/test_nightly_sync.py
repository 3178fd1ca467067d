"""R-DUTY-3: the nightly grade import really runs — from each school's drop folder, once per night
across two replicas on the same real PostgreSQL, within the school's standing SIS window (R-REC-1),
with the report kept and shown and a bad line named by its number; a failed night is published."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portfolio_records.adapters.orm import grades, nightly_runs, outbox
from portfolio_records.app import create
from portfolio_records.bootstrap import bootstrap
from portfolio_records.cli import main as cli_main
from portfolio_records.consumers import SUBSCRIPTIONS
from portfolio_records.service_layer.nightly_sync import run_night
from portfolio_shared.events.base import envelope_for
from portfolio_shared.events.identity import SchoolCreated
from portfolio_shared.messaging import EventConsumer, IncomingMessage
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.nightly import NightlyScheduler
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_shared.testing.harness import running
from portfolio_shared.timefmt import is_rfc3339_with_offset

pytestmark = pytest.mark.integration

HEADER = "student_number,academic_year,semester,course_code,subject_name,credits,score,passed\n"
TAIPEI = ZoneInfo("Asia/Taipei")
NIGHT = date(2026, 11, 29)
A, B = "sch-A", "sch-B"


async def _school_created(runtime: ServiceRuntime, school_id: str, code: str) -> None:
    """identity's SchoolCreated, handled as the consumer runtime does (inbox included)."""
    env = envelope_for(
        SchoolCreated(school_id=school_id, school_code=code, name=f"School {code}", district_id="d1"),
        school_id=school_id,
        actor="identity",
    )
    subs = next(s for s in SUBSCRIPTIONS if env.routing_key in s.handlers)
    await EventConsumer(subs, runtime.uow, runtime.inbox).handle(
        IncomingMessage(env.routing_key, env.to_bytes(), str(env.event_id), {}, 1)
    )


def _drop(root: Path, code: str, name: str, data: bytes) -> None:
    (root / code).mkdir(parents=True, exist_ok=True)
    (root / code / name).write_bytes(data)


def _scheduler(runtime: ServiceRuntime, owner: str, at: datetime) -> NightlyScheduler:
    settings: Any = runtime.settings
    return NightlyScheduler(
        lambda night: run_night(runtime, settings, night, owner=owner),
        run_at=time(2, 30),
        zone=TAIPEI,
        clock=lambda: at,
    )


async def test_two_replicas_import_each_school_once_and_the_report_names_the_bad_line(
    records: Any, make_database: Any, rabbitmq_url: str, topology: Topology, settings_factory: Any, tmp_path: Path
) -> None:
    # The app under test (records.runtime) and two replicas that run the nightly job on the same database.
    url = records.runtime.settings.database_url
    keys = {k: getattr(records.runtime.settings, k) for k in ("field_keys", "field_current_kid", "blind_index_key")}
    settings = settings_factory(
        database_url=url,
        broker_url=rabbitmq_url,
        topology_prefix=topology.prefix,
        sis_drop_url=f"file://{tmp_path}",
        **keys,
    )
    replicas = [bootstrap(settings), bootstrap(settings)]
    try:
        for school, code in ((A, "330301"), (B, "330302")):
            await _school_created(replicas[0], school, code)
        await records.open_data_entry(A, 114, 1)
        for n in (1, 2, 3):
            await records.admit(A, n, number=f"N{n}")
        # The school lets its nightly SIS import in all year (a standing window, R-DUTY-3).
        r = await records.client.put(
            f"/api/v1/schools/{A}/settings",
            json={"sis_import_window": {"starts_at": "2026-08-01T00:00:00+08:00"}},
            headers=records.staff(A),
        )
        assert r.status_code == 200, r.text
        body = HEADER + "N1,114,1,M1,數學,4,80,Y\nN2,114,1,M1,數學,4,71,Y\n"
        data = body.encode() + b"N3,114,1,M1,\xff\xfe,4,90,Y\n" + "N3,114,2,E1,英文,2,66,Y\n".encode()
        _drop(tmp_path, "330301", "grades-20261129.csv", data)
        _drop(tmp_path, "330302", "readme.txt", b"no grade export tonight")

        at = datetime(2026, 11, 29, 2, 45, tzinfo=TAIPEI)
        schedulers = [_scheduler(replicas[0], "replica-1", at), _scheduler(replicas[1], "replica-2", at)]
        assert await asyncio.gather(*(s.tick() for s in schedulers)) == [True, True]

        async with replicas[0].uow() as uow:
            rows = {r.school_id: r for r in (await uow.session.execute(select(nightly_runs))).all()}
            stored = (await uow.session.execute(select(func.count()).select_from(grades))).scalar_one()
            failed = (
                (
                    await uow.session.execute(
                        select(outbox.c.body).where(outbox.c.routing_key == "records.grade_sync.night_failed.v1")
                    )
                )
                .scalars()
                .all()
            )
        assert set(rows) == {A, B} and all(r.attempt == 1 and r.night == NIGHT for r in rows.values())
        report = rows[A].report
        assert rows[A].status == "completed_with_rejections" and stored == 3
        assert [(x["line_number"], x["reason"]) for x in report["rejected"]] == [(4, "encoding")]
        assert report["inserted"] == 3  # 114-2 too: the standing window covers every semester
        assert rows[B].status == "failed" and rows[B].error["reason"] == "no_export"
        assert [json.loads(b)["payload"]["reason"] for b in failed] == ["no_export"]

        assert await run_night(replicas[1], settings, NIGHT, owner="cronjob") == {A: None, B: None}
        shown = await records.client.get(f"/api/v1/schools/{A}/nightly-sync/runs", headers=records.staff(A))
        assert shown.status_code == 200 and shown.json()[0]["report"]["rejected"][0]["line_number"] == 4
        # Times as every other answer has them (issue 18): RFC 3339, UTC with Z (NightlyRunPublic).
        run = shown.json()[0]
        assert all(is_rfc3339_with_offset(run[k]) and run[k].endswith("Z") for k in ("started_at", "finished_at"))
        other = await records.client.get(f"/api/v1/schools/{B}/nightly-sync/runs", headers=records.staff(A))
        assert other.status_code == 403
    finally:
        for replica in replicas:
            await replica.bus.close()
            await replica.engine.dispose()


async def test_without_a_standing_window_the_nightly_import_needs_the_term_window(
    make_database: Any, rabbitmq_url: str, topology: Topology, settings_factory: Any, tmp_path: Path, minter: Any
) -> None:
    url = await make_database("records_nightly_closed")
    settings = settings_factory(
        database_url=url, broker_url=rabbitmq_url, topology_prefix=topology.prefix, sis_drop_url=f"file://{tmp_path}"
    )
    runtime = bootstrap(settings, verifier=minter.verifier())
    async with running(runtime, create):
        await _school_created(runtime, A, "330301")
        _drop(tmp_path, "330301", "grades-20261129.csv", (HEADER + "N1,114,1,M1,數學,4,80,Y\n").encode())
        code = await asyncio.to_thread(cli_main, ["nightly-sync", "--night", "2026-11-29"], settings)
        assert code == 2  # the CronJob's exit code: a school failed
        async with runtime.uow() as uow:
            row = (await uow.session.execute(select(nightly_runs))).one()
        assert row.status == "failed" and row.error["reason"] == "window_closed"
        assert "no data_entry window is set for 114-1" in row.error["detail"]
    await delete_topology(rabbitmq_url, topology, ("records.identity",))
