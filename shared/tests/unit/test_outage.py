"""Outages told apart from bugs: what counts as "a dependency is unreachable", how the app answers it
(503 problem+json with Retry-After, one log line, a metric), and how consumers and the in-process bus
treat it (pause without burning deliveries; unroutable events stay in the outbox)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from toy import ThingHappened, bump, effect_count, inbox, outbox

from portfolio_shared import outage, problems
from portfolio_shared.db import UnitOfWork, make_sessionmaker
from portfolio_shared.events import Envelope, envelope_for
from portfolio_shared.messaging import EventConsumer, OutboxRelay, OutgoingMessage, Subscriptions
from portfolio_shared.messaging.bus import Unroutable
from portfolio_shared.messaging.declare import declare_all
from portfolio_shared.messaging.inprocess import InProcessBus
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.testing.fixtures import eventually


class _FakeAsyncpgError(Exception):
    """Stands for an asyncpg exception: SQLAlchemy's translation carries the SQLSTATE like this."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _wrapped(orig: BaseException, invalidated: bool = False) -> sa_exc.DBAPIError:
    err = sa_exc.DBAPIError("SELECT 1", {}, orig, connection_invalidated=invalidated)  # type: ignore[arg-type]
    err.__cause__ = orig
    return err


@pytest.mark.parametrize(
    ("exc", "dependency"),
    [
        (sa_exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached"), "database"),
        (_wrapped(Exception("connection is closed"), invalidated=True), "database"),
        (sa_exc.InterfaceError("SELECT 1", {}, Exception("connection is closed")), "database"),
        (_wrapped(_FakeAsyncpgError("08006")), "database"),  # connection failure
        (_wrapped(_FakeAsyncpgError("57P01")), "database"),  # admin shutdown
        (_wrapped(_FakeAsyncpgError("57P03")), "database"),  # cannot connect now (recovery)
        (_wrapped(_FakeAsyncpgError("53300")), "database"),  # too many connections
        (_wrapped(_FakeAsyncpgError("57014")), "database"),  # statement_timeout
        (sqlite3.OperationalError("database is locked"), "database"),
        (ConnectionRefusedError(111, "Connection refused"), "network"),  # raised here, not in a driver
        (TimeoutError(), "network"),
        (OSError(113, "No route to host"), "network"),
    ],
)
def test_outages_are_recognised(exc: BaseException, dependency: str) -> None:
    found = outage.classify(exc)
    assert found is not None and found.dependency == dependency
    assert found.statement_cancelled is (getattr(exc.__cause__, "sqlstate", None) == "57014")


@pytest.mark.parametrize(
    "exc",
    [
        sa_exc.IntegrityError("INSERT", {}, _FakeAsyncpgError("23505")),  # unique violation: the data's fault
        _wrapped(_FakeAsyncpgError("42P01")),  # undefined table: a bug
        _wrapped(_FakeAsyncpgError("40001")),  # serialization failure: retried by the bus, not an outage
        sqlite3.OperationalError("no such table: x"),
        RuntimeError("boom"),
        ValueError("bad"),
        FileNotFoundError(2, "No such file or directory"),  # an OSError, but no outage
        PermissionError(13, "Permission denied"),
        sa_exc.InterfaceError("SELECT 1", {}, Exception("cannot perform operation: another operation is in progress")),
    ],
)
def test_everything_else_is_not_an_outage(exc: BaseException) -> None:
    assert outage.classify(exc) is None


def test_a_bare_oserror_is_attributed_by_its_traceback() -> None:
    """A refused connection from inside asyncpg is the database's, wherever it surfaces."""
    import asyncpg.connect_utils as driver_module

    code = compile("raise ConnectionRefusedError(111, 'Connection refused')", driver_module.__file__, "exec")
    try:
        exec(code, {"__name__": "asyncpg.connect_utils"})  # noqa: S102 - a frame that belongs to asyncpg
    except ConnectionRefusedError as exc:
        found = outage.classify(exc)
    assert found is not None and found.dependency == "database"
    assert found.code == "database-unavailable"


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)
    outage.install(app, "toy", retry_after=7)

    @app.get("/db-gone")
    async def db_gone() -> None:
        raise sa_exc.TimeoutError("QueuePool limit of size 1 overflow 0 reached, connection timed out")

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("a bug")

    @app.get("/busy")
    async def busy() -> None:
        raise problems.from_status(503, "storage refused")

    @app.get("/fine")
    async def fine() -> dict[str, bool]:
        return {"ok": True}

    return app


def _count(dependency: str) -> float:
    value = REGISTRY.get_sample_value(
        "portfolio_dependency_unavailable_total", {"service": "toy", "dependency": dependency, "source": "http"}
    )
    return value or 0.0


async def test_an_outage_answers_503_problem_with_retry_after_one_line_and_a_metric(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = _count("database")
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with caplog.at_level(logging.INFO):
            r = await client.get("/db-gone")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == "7"
    body = r.json()
    assert body["code"] == "database-unavailable" and body["status"] == 503 and body["retry_after"] == 7
    assert body["title_en"].startswith("The database is unavailable")
    assert body["title"] == body["title_zh"]  # no Accept-Language: Traditional Chinese
    assert body["title_zh"] == "資料庫暫時無法連線，請稍後再試"
    assert body["instance"] == "/db-gone"
    lines = [rec for rec in caplog.records if rec.name == "portfolio_shared.outage"]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING and lines[0].exc_info is None
    assert "GET /db-gone answered 503" in lines[0].getMessage()
    assert _count("database") == before + 1


async def test_a_bug_is_answered_500_inside_the_app_and_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # raise_app_exceptions=True: an exception escaping the app (what makes uvicorn close the
    # connection) would fail this request instead of answering it.
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with caplog.at_level(logging.INFO):
            r = await client.get("/bug")
            fine = await client.get("/fine")
    assert r.status_code == 500 and r.json()["code"] == "internal-server-error"
    assert "retry-after" not in r.headers
    assert fine.status_code == 200
    errors = [rec for rec in caplog.records if rec.name == "portfolio_shared.outage"]
    assert len(errors) == 1 and errors[0].exc_info is not None


async def test_every_503_says_when_to_retry() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/busy")
    assert r.status_code == 503 and r.headers["retry-after"] == "7"


async def test_within_bounds_a_check_that_hangs() -> None:
    async def hangs() -> bool:
        await asyncio.sleep(30)
        return True

    async def fails() -> bool:
        raise ConnectionRefusedError

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert await outage.within(hangs(), 0.2) is False
    assert loop.time() - t0 < 1
    assert await outage.within(fails(), 1) is False
    assert await outage.within(asyncio.sleep(0, result=True), 1) is True


# -- the in-process bus (standalone shape) ------------------------------------------------------
@pytest.fixture
async def bus(tmp_path: Path):  # type: ignore[no-untyped-def]
    b = InProcessBus(
        f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        Topology(delivery_limit=1, retry_base_seconds=0.01, retry_max_seconds=0.02),
        poll_seconds=0.05,
    )
    await b.start()
    yield b
    await b.close()


def _uow(engine: AsyncEngine) -> UnitOfWork:
    return UnitOfWork(make_sessionmaker(engine), outbox)


async def test_in_process_bus_refuses_a_mandatory_message_nobody_is_bound_to(bus: InProcessBus) -> None:
    key = "toy.thing.happened.v1"
    with pytest.raises(Unroutable):
        await bus.publish(OutgoingMessage(routing_key=key, body=b"{}", message_id="m1", mandatory=True))
    await bus.publish(OutgoingMessage(routing_key=key, body=b"{}", message_id="m2"))  # not mandatory: dropped
    await bus.declare("toy.counter", (key,))
    await bus.publish(OutgoingMessage(routing_key=key, body=b"{}", message_id="m3", mandatory=True))


async def test_in_process_bus_sees_a_binding_another_process_declared(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared-bus.db'}"
    producer, consumer_side = InProcessBus(url), InProcessBus(url)
    await producer.start()
    await consumer_side.start()
    try:
        await consumer_side.declare("toy.counter", ("toy.thing.happened.v1",))
        msg = OutgoingMessage(routing_key="toy.thing.happened.v1", body=b"{}", message_id="m", mandatory=True)
        await producer.publish(msg)  # loaded at start without the binding; reloads before refusing
    finally:
        await producer.close()
        await consumer_side.close()


async def test_relay_keeps_an_unroutable_event_until_its_queue_is_declared(
    sqlite_engine: AsyncEngine, bus: InProcessBus
) -> None:
    """The standalone shape: identity's school.created before records declared its queue (issue 19)."""
    key = ThingHappened.routing_key()
    relay = OutboxRelay(sqlite_engine, outbox, bus, must_route=frozenset({key}), base_backoff=0.01)
    async with _uow(sqlite_engine) as uow:
        uow.publish(ThingHappened(key="early"), school_id="s")
        await uow.commit()
    assert await relay.run_once() == 0
    async with sqlite_engine.connect() as conn:
        row = (await conn.execute(select(outbox.c.published_at, outbox.c.attempts, outbox.c.last_error))).one()
    assert row.published_at is None and row.attempts == 1 and row.last_error.startswith("Unroutable")
    await declare_all(bus, {"toy.counter": (key,)})  # the topology step
    await asyncio.sleep(0.05)  # past the backoff
    assert await relay.run_once() == 1
    assert await relay.pending_count() == 0


async def test_relay_publishes_a_key_nobody_consumes_without_the_mandatory_flag(
    sqlite_engine: AsyncEngine, bus: InProcessBus
) -> None:
    relay = OutboxRelay(sqlite_engine, outbox, bus, must_route=frozenset())
    async with _uow(sqlite_engine) as uow:
        uow.publish(ThingHappened(key="nobody"), school_id="s")
        await uow.commit()
    assert await relay.run_once() == 1


async def test_consumer_pauses_on_an_outage_without_burning_deliveries(
    sqlite_engine: AsyncEngine, bus: InProcessBus
) -> None:
    """delivery_limit=1: before issue 19 the second failure dead-lettered the event."""
    outage_left = 6
    deliveries: list[int] = []
    subs = Subscriptions("toy.counter")

    @subs.on(ThingHappened)
    async def needs_the_database(evt: ThingHappened, envelope: Envelope, uow: UnitOfWork) -> None:
        nonlocal outage_left
        if outage_left:
            outage_left -= 1
            raise ConnectionRefusedError(111, "Connection refused")
        await bump(uow, evt.key)

    async def handler_spy(message):  # type: ignore[no-untyped-def]
        deliveries.append(message.delivery_count)
        await consumer.handle(message)

    consumer = EventConsumer(
        subs, lambda: _uow(sqlite_engine), inbox, pause_base_seconds=0.01, pause_max_seconds=0.05, max_batch=1
    )
    await bus.subscribe("toy.counter", subs.routing_keys, handler_spy)
    for key in ("a", "b", "c"):
        env = envelope_for(ThingHappened(key=key), school_id="s", actor="u")
        await bus.publish(OutgoingMessage(env.routing_key, env.to_bytes(), str(env.event_id), mandatory=True))
    for key in ("a", "b", "c"):
        await eventually(lambda k=key: _is(effect_count(sqlite_engine, k), 1))  # type: ignore[misc]
    assert deliveries == [1, 1, 1]  # each delivered once: the outage was sat out, not counted
    assert await bus.dead_letters("toy.counter") == []
    assert consumer.pauses == 1 and not consumer.paused


async def test_a_message_failing_for_its_own_reason_is_still_dead_lettered(
    sqlite_engine: AsyncEngine, bus: InProcessBus
) -> None:
    subs = Subscriptions("toy.counter")

    @subs.on(ThingHappened)
    async def poison(evt: ThingHappened, envelope: Envelope, uow: UnitOfWork) -> None:
        raise ValueError("this message can never be applied")

    consumer = EventConsumer(subs, lambda: _uow(sqlite_engine), inbox, pause_base_seconds=0.01)
    await consumer.start(bus)
    env = envelope_for(ThingHappened(key="p"), school_id="s", actor="u")
    await bus.publish(OutgoingMessage(env.routing_key, env.to_bytes(), str(env.event_id)))

    async def dead() -> bool:
        return len(await bus.dead_letters("toy.counter")) == 1

    await eventually(dead)
    assert consumer.pauses == 0


async def _is(value, expected: int) -> bool:  # type: ignore[no-untyped-def]
    return await value == expected


@pytest.mark.parametrize(
    ("field", "ok", "refused"),
    [
        ("db_connect_timeout_seconds", [0.001, 300], [0, 300.5]),
        ("db_statement_timeout_seconds", [0, 3600], [-1, 3600.5]),  # 0 = off
        ("db_pool_timeout_seconds", [0.001, 300], [0, 301]),
        ("readiness_timeout_seconds", [0.001, 60], [0, 61]),
        ("retry_after_seconds", [1, 3600], [0, 3601]),
    ],
)
def test_timeout_settings_are_bounded(field: str, ok: list[float], refused: list[float]) -> None:
    from pydantic import ValidationError

    from portfolio_shared.config import ServiceSettings

    for value in ok:
        assert getattr(ServiceSettings(**{field: value}), field) == value
    for value in refused:
        with pytest.raises(ValidationError):
            ServiceSettings(**{field: value})


async def _connect_params(**timeouts: float) -> tuple[dict[str, object], float]:
    """What the engine would hand asyncpg.connect(), captured before any socket is opened."""
    from sqlalchemy import event

    from portfolio_shared.db import make_engine

    engine = make_engine("postgresql+asyncpg://u@127.0.0.1:1/db", **timeouts)
    seen: dict[str, object] = {}

    @event.listens_for(engine.sync_engine, "do_connect")
    def capture(dialect, conn_rec, cargs, cparams):  # type: ignore[no-untyped-def]
        seen.update(cparams)
        raise RuntimeError("captured")

    with pytest.raises(RuntimeError, match="captured"):
        async with engine.connect():
            pass
    pool_timeout = engine.sync_engine.pool.timeout()  # type: ignore[attr-defined]
    await engine.dispose()
    return seen, pool_timeout


async def test_postgres_engine_bounds_every_wait() -> None:
    params, pool_timeout = await _connect_params(connect_timeout=1.5, statement_timeout=4, pool_timeout=2.5)
    assert params["timeout"] == 1.5
    assert params["command_timeout"] == 6  # the server cancels at 4 s; the client gives up 2 s later
    assert params["server_settings"] == {"statement_timeout": "4000"}
    assert pool_timeout == 2.5
    params, _ = await _connect_params(statement_timeout=0)  # off: no statement bound, connect bound stays
    assert params["timeout"] == 5.0 and "command_timeout" not in params and "server_settings" not in params


async def test_uvicorn_keeps_the_connection_after_an_error_answer(caplog: pytest.LogCaptureFixture) -> None:
    """Under the real server: a 503 and a 500 are answered and the next request reuses the connection.
    Before issue 19 uvicorn closed it after every error (the exception escaped the app)."""
    from portfolio_shared.testing.live import client_port, one_connection_client, serving

    with caplog.at_level(logging.INFO):
        async with serving(_app()) as base, one_connection_client(base, timeout=10) as client:
            port = client_port(await client.get("/fine"))
            answers, ports = [], set()
            for path in ("/db-gone", "/bug", "/fine"):
                answers.append(await client.get(path))
                ports.add(client_port(answers[-1]))  # read while the connection is open
    assert [r.status_code for r in answers] == [503, 500, 200]
    assert ports == {port}
    assert not [rec for rec in caplog.records if "Exception in ASGI application" in rec.getMessage()]
