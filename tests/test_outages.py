"""Outages without drift (issue 19), on the real PostgreSQL and RabbitMQ with a TCP proxy that cuts or
blackholes a service's database connection:

- a database cut answers 503 problem+json with Retry-After on the SAME keep-alive connection, and
  the next request on it succeeds after the cut;
- a 30 s database cut under a stream of events: every event applied, the DLQ empty, no read copy
  differs from its source;
- the producer starts first and the consumer a minute later: the consumer gets every event;
- a blackholed database (accepts, never answers): requests fail within the configured timeouts,
  readiness says so, nothing hangs.

"Nothing lost" (DOMAIN.md, the 2021 incident) must hold through every outage a district will have.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aio_pika
import httpx
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from portfolio_artifacts.adapters.orm import inbox as artifacts_inbox
from portfolio_artifacts.adapters.orm import rc_caps
from portfolio_artifacts.app import create as create_artifacts
from portfolio_artifacts.bootstrap import bootstrap as bootstrap_artifacts
from portfolio_artifacts.config import Settings as ArtifactsSettings
from portfolio_identity.app import create as create_identity
from portfolio_identity.bootstrap import bootstrap as bootstrap_identity
from portfolio_identity.config import Settings as IdentitySettings
from portfolio_records.adapters.orm import artifact_caps
from portfolio_records.adapters.orm import outbox as records_outbox
from portfolio_records.app import create as create_records
from portfolio_records.bootstrap import bootstrap as bootstrap_records
from portfolio_records.config import Settings as RecordsSettings
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.permissions import Permission as P
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.fixtures import TcpProxy, delete_topology, eventually
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.live import client_port, one_connection_client, serving
from portfolio_shared.testing.tokens import TokenMinter

pytestmark = pytest.mark.integration

CAPS_SET = "records.policy.artifact_caps_set.v1"
CUT_SECONDS = 30.0  # the cut: longer than the whole retry budget of any delivery limit
CONSUMER_LATE_BY = 60.0  # the "a minute later"


@pytest_asyncio.fixture
async def db_proxy(postgres_admin_url: str) -> AsyncIterator[TcpProxy]:
    url = make_url(postgres_admin_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.cut()


def via(url: str, proxy: TcpProxy) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def unavailable_count(service: str, source: str = "http") -> float:
    labels = {"service": service, "dependency": "database", "source": source}
    return REGISTRY.get_sample_value("portfolio_dependency_unavailable_total", labels) or 0.0


def assert_database_503(r: httpx.Response, retry_after: int) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == str(retry_after)
    body = r.json()
    assert body["code"] == "database-unavailable" and body["status"] == 503
    assert body["title"] and body["title_zh"] == "資料庫暫時無法連線，請稍後再試"


def records_settings(database_url: str, rabbitmq_url: str, topology: Topology, **extra: Any) -> RecordsSettings:
    return RecordsSettings(
        environment="test",
        database_url=database_url,
        broker_url=rabbitmq_url,
        topology_prefix=topology.prefix,
        log_json=False,
        **extra,
    )


async def _true(value: bool) -> bool:
    return value


# -- 1. a cut answers 503 on the same keep-alive connection ----------------------------------------
async def test_database_cut_answers_503_with_retry_after_on_the_same_keep_alive_connection(
    make_database: Callable[[str], Awaitable[str]],
    db_proxy: TcpProxy,
    rabbitmq_url: str,
    topology: Topology,
    caplog: pytest.LogCaptureFixture,
) -> None:
    minter = TokenMinter()
    settings = records_settings(
        via(await make_database("outage_keepalive"), db_proxy), rabbitmq_url, topology, retry_after_seconds=7
    )
    runtime = bootstrap_records(settings, verifier=minter.verifier())
    await runtime.migrate()
    caps = "/api/v1/schools/sch-A/artifact-caps"
    staff = minter.headers("staff-1", schools={"sch-A": [str(P.OUTCOME_SETTINGS_WRITE), str(P.SCHEDULE_READ)]})
    try:
        async with serving(create_records(runtime=runtime)) as base, one_connection_client(base) as client:
            r = await client.put(caps, json={"outcomes_per_semester": 7, "performances_per_year": 12}, headers=staff)
            assert r.status_code == 200, r.text
            port = client_port(r)
            before = unavailable_count("records")

            await db_proxy.cut()
            change = {"outcomes_per_semester": 9, "performances_per_year": 9}
            with caplog.at_level(logging.INFO):
                answers = [
                    await client.get(caps, headers=staff),
                    await client.put(caps, json=change, headers=staff),
                    await client.get(caps, headers=staff),
                ]
                ready = await client.get("/readyz")
            for r in answers:
                assert_database_503(r, retry_after=7)
                assert client_port(r) == port  # the server kept the connection open
            assert ready.status_code == 503 and ready.json()["checks"]["database"] is False
            assert ready.json()["checks"]["broker"] is True
            assert client_port(ready) == port
            assert unavailable_count("records") == before + 3
            lines = [rec for rec in caplog.records if "answered 503" in rec.getMessage()]
            assert len(lines) == 3 and all(rec.exc_info is None for rec in lines)  # one line per request
            assert not [rec for rec in caplog.records if "Exception in ASGI application" in rec.getMessage()]

            await db_proxy.restore()
            r = await client.get(caps, headers=staff)
            assert r.status_code == 200 and client_port(r) == port
            # The PUT answered 503 changed nothing; the one before the cut stands.
            assert r.json()["outcomes_per_semester"] == 7
    finally:
        await delete_topology(rabbitmq_url, topology)


# -- 4. a blackholed database fails within the timeouts; readiness says so; nothing hangs ----------
async def test_blackholed_database_fails_requests_within_the_timeouts_and_readiness_says_so(
    make_database: Callable[[str], Awaitable[str]], db_proxy: TcpProxy, rabbitmq_url: str, topology: Topology
) -> None:
    minter = TokenMinter()
    settings = records_settings(
        via(await make_database("outage_blackhole"), db_proxy),
        rabbitmq_url,
        topology,
        db_connect_timeout_seconds=1.0,
        db_statement_timeout_seconds=1.0,
        db_pool_timeout_seconds=1.0,
        readiness_timeout_seconds=2.0,
    )
    runtime = bootstrap_records(settings, verifier=minter.verifier())
    await runtime.migrate()
    caps = "/api/v1/schools/sch-A/artifact-caps"
    staff = minter.headers("staff-1", schools={"sch-A": [str(P.OUTCOME_SETTINGS_WRITE), str(P.SCHEDULE_READ)]})
    # statement_timeout, the client's 2 s grace, then SQLAlchemy's 2 s for a graceful close of the
    # connection it throws away (then it aborts the socket).
    statement_bound = 1.0 + 2.0 + 2.0
    try:
        async with serving(create_records(runtime=runtime)) as base, one_connection_client(base) as client:
            assert (await client.get(caps, headers=staff)).status_code == 200
            # Its connection back in the pool: the next request gets a connection that goes silent.
            await eventually(lambda: _true(runtime.engine.pool.checkedin() >= 1))  # type: ignore[attr-defined]

            await db_proxy.blackhole()
            accepted_before = db_proxy.accepted
            # The pooled connection went silent: the statement's client-side timeout ends it.
            t0 = time.monotonic()
            r = await client.get(caps, headers=staff)
            assert_database_503(r, retry_after=settings.retry_after_seconds)
            assert time.monotonic() - t0 < statement_bound + 1.5
            # New connections are accepted and never answered: the connect timeout ends them.
            for _ in range(2):
                t0 = time.monotonic()
                r = await client.put(caps, json={"outcomes_per_semester": 5, "performances_per_year": 5}, headers=staff)
                assert_database_503(r, retry_after=settings.retry_after_seconds)
                assert time.monotonic() - t0 < statement_bound + 1.5
            t0 = time.monotonic()
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["database"] is False
            assert time.monotonic() - t0 < settings.readiness_timeout_seconds + 1.0
            assert db_proxy.accepted > accepted_before  # the proxy did accept: a blackhole, not a refusal

            await db_proxy.restore()
            await eventually(lambda: _ready(client), timeout=15)
            r = await client.get(caps, headers=staff)
            assert r.status_code == 200 and r.json()["outcomes_per_semester"] == 6  # the 503 PUTs changed nothing
    finally:
        await delete_topology(rabbitmq_url, topology)


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


# -- 2. a 30 s cut under a stream of events: nothing dead-lettered, no drift -----------------------
@pytest.mark.slow
async def test_thirty_second_database_cut_under_a_stream_of_events_leaves_no_drift(
    make_database: Callable[[str], Awaitable[str]],
    db_proxy: TcpProxy,
    rabbitmq_url: str,
    topology: Topology,
    s3_url: str,
) -> None:
    """Records publishes upload-cap changes (R-ART-2, R-PERF-1) while artifacts' database is cut for
    30 s; before issue 19 artifacts dead-lettered every one of them after its delivery limit."""
    minter = TokenMinter()
    common: dict[str, Any] = {"broker_url": rabbitmq_url, "topology_prefix": topology.prefix, "delivery_limit": 2}
    records_rt = bootstrap_records(
        records_settings(await make_database("outage_stream_records"), rabbitmq_url, topology, delivery_limit=2),
        verifier=minter.verifier(),
    )
    artifacts_rt = bootstrap_artifacts(
        ArtifactsSettings(
            environment="test",
            database_url=via(await make_database("outage_stream_artifacts"), db_proxy),
            storage_url=s3_url,
            verify_interval_seconds=0,
            log_json=False,
            **common,
        ),
        verifier=minter.verifier(),
    )
    schools = [f"sch-{i:02d}" for i in range(12)]
    headers = {s: minter.headers("guidance", schools={s: [str(P.OUTCOME_SETTINGS_WRITE)]}) for s in schools}
    sent = 0

    async def change_caps(records: httpx.AsyncClient, n: int) -> None:
        nonlocal sent
        school = schools[n % len(schools)]
        body = {"outcomes_per_semester": 1 + n % 9, "performances_per_year": 10 + n % 20}
        r = await records.put(f"/api/v1/schools/{school}/artifact-caps", json=body, headers=headers[school])
        assert r.status_code == 200, r.text
        sent += 1

    try:
        async with running(records_rt, create_records) as records, running(artifacts_rt, create_artifacts) as artifacts:
            for n in range(len(schools)):
                await change_caps(records, n)
            await eventually(lambda: _no_drift(records_rt, artifacts_rt, schools), timeout=30)

            await db_proxy.cut()
            n = len(schools)
            loop = asyncio.get_running_loop()
            cut_until = loop.time() + CUT_SECONDS
            checked_agreement = False
            while loop.time() < cut_until:
                await change_caps(records, n)
                n += 1
                if not checked_agreement and loop.time() > cut_until - CUT_SECONDS / 2:
                    # Readiness and consumption agree: the database is down, the consumer waits.
                    ready = await artifacts.get("/readyz")
                    assert ready.status_code == 503 and ready.json()["checks"]["database"] is False
                    paused = REGISTRY.get_sample_value("portfolio_consumer_paused", {"consumer": "artifacts.records"})
                    assert paused == 1
                    assert await artifacts_rt.bus.dead_letters("artifacts.records") == []
                    checked_agreement = True
                await asyncio.sleep(0.1)
            assert checked_agreement
            await db_proxy.restore()

            await eventually(lambda: _no_drift(records_rt, artifacts_rt, schools), timeout=60)
            await eventually(lambda: _applied(artifacts_rt, sent), timeout=30)
            assert await _published(records_rt) == sent  # every change went out...
            assert await _applied(artifacts_rt, sent)  # ...and was applied exactly once
            for consumer in ("artifacts.records", "artifacts.identity"):
                assert await artifacts_rt.bus.dead_letters(consumer) == []
    finally:
        await delete_topology(rabbitmq_url, topology)


async def _no_drift(records_rt: ServiceRuntime, artifacts_rt: ServiceRuntime, schools: list[str]) -> bool:
    async with records_rt.engine.connect() as conn:
        source = {
            r.school_id: (r.outcomes_per_semester, r.performances_per_year)
            for r in await conn.execute(select(artifact_caps).where(artifact_caps.c.school_id.in_(schools)))
        }
    try:
        async with artifacts_rt.engine.connect() as conn:
            copy = {
                r.school_id: (r.outcomes_per_semester, r.performances_per_year)
                for r in await conn.execute(select(rc_caps).where(rc_caps.c.school_id.in_(schools)))
            }
    except Exception:  # the proxy may just have been restored
        return False
    return len(source) == len(schools) and source == copy


async def _published(records_rt: ServiceRuntime) -> int:
    async with records_rt.engine.connect() as conn:
        query = select(func.count()).where(
            records_outbox.c.routing_key == CAPS_SET, records_outbox.c.published_at.is_not(None)
        )
        return int((await conn.execute(query)).scalar_one())


async def _applied(artifacts_rt: ServiceRuntime, expected: int) -> bool:
    async with artifacts_rt.engine.connect() as conn:
        query = select(func.count()).where(
            artifacts_inbox.c.consumer == "artifacts.records", artifacts_inbox.c.routing_key == CAPS_SET
        )
        return int((await conn.execute(query)).scalar_one()) == expected


# -- 3. the producer first, the consumer a minute later ----------------------------------------------
ADMIN = ("root-admin", "correct horse battery staple")


@pytest.mark.slow
async def test_consumer_started_a_minute_after_the_producer_receives_every_event(
    make_database: Callable[[str], Awaitable[str]], rabbitmq_url: str, topology: Topology
) -> None:
    """identity creates schools before records ever ran; records then gives each its default caps
    (R-ART-2). Before issue 19 the demo school's school.created went nowhere and was lost."""
    identity_rt = bootstrap_identity(
        IdentitySettings(
            environment="test",
            database_url=await make_database("outage_late_identity"),
            broker_url=rabbitmq_url,
            topology_prefix=topology.prefix,
            bootstrap_admin_login=ADMIN[0],
            bootstrap_admin_password=ADMIN[1],
            key_activation_delay_seconds=0,
            acting_refresh_seconds=0,
            log_json=False,
        )
    )
    records_rt = bootstrap_records(
        records_settings(await make_database("outage_late_records"), rabbitmq_url, topology),
        verifier=TokenMinter().verifier(),
    )
    try:
        async with running(identity_rt, create_identity) as identity:
            login = await identity.post("/api/v1/auth/login", json={"login_name": ADMIN[0], "password": ADMIN[1]})
            admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
            r = await identity.post("/api/v1/districts", json={"code": "TPE", "name": "臺北市"}, headers=admin)
            assert r.status_code == 201, r.text
            schools = []
            for i in range(3):
                body = {"code": f"33030{i}", "name": f"School {i}", "district_id": r.json()["id"]}
                created = await identity.post("/api/v1/schools", json=body, headers=admin)
                assert created.status_code == 201, created.text
                schools.append(created.json()["id"])
            await eventually(lambda: _drained(identity_rt), timeout=30)
            published_at = time.monotonic()
            # Published, confirmed and waiting in records' queue, which identity declared at start.
            assert await _queue_depth(rabbitmq_url, topology.queue("records.identity")) == 3

        await asyncio.sleep(max(0.0, CONSUMER_LATE_BY - (time.monotonic() - published_at)))
        async with running(records_rt, create_records):
            await eventually(lambda: _caps_rows(records_rt, schools), timeout=30)
    finally:
        await delete_topology(rabbitmq_url, topology)


async def _drained(runtime: ServiceRuntime) -> bool:
    return await runtime.relay.pending_count() == 0


async def _queue_depth(url: str, queue: str) -> int:
    conn = await aio_pika.connect(url)
    async with conn, conn.channel() as channel:
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)


async def _caps_rows(records_rt: ServiceRuntime, schools: list[str]) -> bool:
    async with records_rt.engine.connect() as conn:
        rows = await conn.execute(select(artifact_caps.c.school_id).where(artifact_caps.c.school_id.in_(schools)))
        return {r.school_id for r in rows} == set(schools)
