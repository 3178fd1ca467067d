"""The service chassis: one runtime (database, bus, outbox relay, consumers, storage, token
verifier) and one FastAPI app factory (problem+json, health, readiness, metrics, tracing).

Every service builds itself with these, so a person who knows one service knows all five.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import Histogram
from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import outage, problems
from .apidocs import install_offline_docs
from .auth import JWKSVerifier
from .config import ServiceSettings
from .cors import PathCORS
from .db import UnitOfWork, make_engine, make_sessionmaker
from .edge import install_edge
from .messaging import EventConsumer, MessageBus, OutboxRelay, Subscriptions, Topology, make_bus
from .messaging.declare import declare_until_done
from .messaging.housekeeping import Purge
from .metrics_port import serve_metrics
from .migrations import upgrade
from .operation_ids import operation_id
from .opsmetrics import DEPENDENCY_READY, observe_dead_letters, observe_nightly_runs
from .revocation import RevocationSync, with_revocations
from .storage import ObjectStorage, make_storage
from .telemetry import instrument_engine, setup_logging, setup_tracing

log = logging.getLogger(__name__)
access_log = logging.getLogger("portfolio.access")

REQUEST_SECONDS = Histogram(
    "portfolio_http_request_seconds", "HTTP request latency", ["service", "method", "route", "status"]
)


def outbox_channel(service_name: str) -> str:
    """The PostgreSQL NOTIFY channel of a service's outbox (one database per service)."""
    return "portfolio_outbox_" + "".join(ch if ch.isalnum() else "_" for ch in service_name.lower())


# How long each step of a runtime's stop may take before it is logged and left behind.
STOP_TIMEOUT_SECONDS = 15.0


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    service_dir: Path
    metadata: MetaData
    outbox: Table
    inbox: Table
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    bus: MessageBus
    relay: OutboxRelay
    verifier: JWKSVerifier
    storage: ObjectStorage | None = None
    subscriptions: Sequence[Subscriptions] = ()
    revocation_sync: RevocationSync | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def uow(self) -> UnitOfWork:
        # A process that runs its relay wakes it directly; one that does not (a CLI command, a job)
        # NOTIFYs the service's relays in its committing transaction (PostgreSQL).
        if self.settings.run_relay:
            return UnitOfWork(self.sessionmaker, self.outbox, after_commit=self.relay.wake)
        return UnitOfWork(self.sessionmaker, self.outbox, notify=self.relay.listen_channel)

    async def migrate(self) -> None:
        await asyncio.to_thread(upgrade, self.service_dir, self.settings.database_url)

    async def start(self) -> None:
        if self.storage is not None:
            await self.storage.ensure_bucket()
        if self.settings.declare_topology:
            self._tasks.append(asyncio.create_task(declare_until_done(self.bus, service=self.settings.service_name)))
        if self.settings.run_relay:
            self.relay.start()
        if self.revocation_sync is not None:
            try:  # before serving: a restarted service must not accept tokens it had revoked
                await self.revocation_sync.load(full=True)
            except Exception as exc:
                log.warning("cannot load token revocations at start-up (%s); retrying in the background", exc)
            self._tasks.append(asyncio.create_task(self.revocation_sync.run()))
        if self.settings.run_consumers:
            for subs in self.subscriptions:
                consumer = EventConsumer(subs, self.uow, self.inbox, service=self.settings.service_name)
                self._tasks.append(asyncio.create_task(self._subscribe_until_up(consumer)))
        self._tasks.append(asyncio.create_task(self._observe_forever()))

    async def observe(self) -> None:
        """Refresh the operations gauges (issue 17): dead letters of this service's consumers, and the
        newest completed nightly runs when the service keeps ``nightly_runs``, its dependencies' readiness."""
        await self.readiness()
        topology = getattr(self.bus, "topology", None)
        if self.settings.run_consumers and topology is not None:
            consumers = [s.consumer for s in self.subscriptions]
            await observe_dead_letters(self.bus, [(c, topology.queue(c)) for c in consumers])
        nightly = self.metadata.tables.get("nightly_runs")
        if nightly is not None:
            await observe_nightly_runs(self.engine, nightly, self.settings.service_name)

    async def _observe_forever(self) -> None:
        while True:
            try:
                await self.observe()
            except Exception as exc:  # the broker or database is away: /readyz says so; try again later
                log.debug("operations gauges not refreshed (%s)", exc)
            await asyncio.sleep(self.settings.ops_observe_seconds)

    def run_in_background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """A task of the service's own (e.g. the nightly scheduler) that stops with the runtime."""
        self._tasks.append(asyncio.create_task(coroutine))

    async def _subscribe_until_up(self, consumer: EventConsumer) -> None:
        """A broker that is down at start-up must not keep the service down: retry in the background."""
        delay = 0.5
        while True:
            try:
                await consumer.start(self.bus)
                return
            except Exception as exc:
                log.warning(
                    "cannot subscribe %s yet (%s); retrying in %.1fs", consumer.subscriptions.consumer, exc, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)

    async def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop background tasks, relay, bus and pool, each step bounded by ``timeout``: a task that
        does not end when cancelled (a driver call that swallows the cancellation) is logged and left
        behind rather than hanging a pod's SIGTERM (or a test's teardown) for ever."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=timeout)
            for task in pending:
                log.warning("background task %s did not stop within %.0fs; left behind", task.get_coro(), timeout)
        for name, step in (("relay", self.relay.stop), ("bus", self.bus.close), ("database pool", self.engine.dispose)):
            try:
                await asyncio.wait_for(step(), timeout)
            except TimeoutError:
                log.warning("stopping the %s took longer than %.0fs; left behind", name, timeout)

    async def readiness(self) -> dict[str, bool]:
        # Every check is bounded: a blackholed dependency says "not ready", it never hangs the probe.
        budget = self.settings.readiness_timeout_seconds
        checks = {"database": self._database_answers(), "broker": self.bus.ping()}
        if self.storage is not None:
            checks["storage"] = self.storage.ping()
        results = await asyncio.gather(*(outage.within(c, budget) for c in checks.values()))
        for dependency, ready in zip(checks, results, strict=True):
            DEPENDENCY_READY.labels(self.settings.service_name, dependency).set(1 if ready else 0)
        return dict(zip(checks, results, strict=True))

    async def _database_answers(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True


def build_runtime(
    settings: ServiceSettings,
    *,
    service_dir: Path,
    metadata: MetaData,
    outbox: Table,
    inbox: Table,
    subscriptions: Sequence[Subscriptions] = (),
    with_storage: bool = False,
    bus: MessageBus | None = None,
    verifier: JWKSVerifier | None = None,
) -> ServiceRuntime:
    engine = make_engine(
        settings.database_url,
        connect_timeout=settings.db_connect_timeout_seconds,
        statement_timeout=settings.db_statement_timeout_seconds,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    topology = Topology(prefix=settings.topology_prefix, delivery_limit=settings.delivery_limit)
    the_bus = bus or make_bus(settings.broker_url, topology)
    relay = OutboxRelay(
        engine,
        outbox,
        the_bus,
        service=settings.service_name,
        purges=[Purge(inbox, "processed_at", timedelta(days=settings.inbox_keep_days))],
        listen_channel=outbox_channel(settings.service_name),
        # Woken on commit (in process, or NOTIFY on PostgreSQL): the poll is only the fallback.
        poll_interval=1.0 if engine.dialect.name == "postgresql" else 0.2,
    )
    the_verifier = verifier or JWKSVerifier(
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        jwks_url=settings.jwks_url,
        max_token_seconds=settings.max_token_seconds,
    )
    sessionmaker = make_sessionmaker(engine)
    subscriptions = list(subscriptions)
    revocation_sync = with_revocations(
        settings.service_name,
        metadata,
        sessionmaker,
        the_verifier.revocations,
        subscriptions,
        max_token_seconds=settings.max_token_seconds,
        poll_seconds=settings.revocation_poll_seconds,
    )
    storage = None
    if with_storage:
        storage = make_storage(settings.storage_url, secret=settings.signing_secret, base_url=settings.public_base_url)
    return ServiceRuntime(
        settings=settings,
        service_dir=service_dir,
        metadata=metadata,
        outbox=outbox,
        inbox=inbox,
        engine=engine,
        sessionmaker=sessionmaker,
        bus=the_bus,
        relay=relay,
        verifier=the_verifier,
        storage=storage,
        subscriptions=subscriptions,
        revocation_sync=revocation_sync,
    )


class _MetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware overhead): request latency by route template."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - start
            REQUEST_SECONDS.labels(self.service, scope["method"], path, str(status)).observe(elapsed)
            # The access line names the route template, never the concrete path's ids or the query
            # string (presigned-URL signatures, tokens): ASVS V16. Uvicorn's own line is off.
            access_log.info("%s %s %d %.1fms", scope["method"], path, status, elapsed * 1000)


def create_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    version: str = "0.1.0",
    on_startup: Sequence[Callable[[ServiceRuntime], Any]] = (),
    migrate_on_start: bool = False,
) -> FastAPI:
    settings = runtime.settings
    setup_logging(settings.service_name, json_logs=settings.log_json)
    setup_tracing(settings.service_name, settings.otel_exporter_endpoint)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate_on_start:
            await runtime.migrate()
        if settings.metrics_port is not None:
            serve_metrics(settings.metrics_port, span=settings.workers)
        await runtime.start()
        for hook in on_startup:
            result = hook(runtime)
            if asyncio.iscoroutine(result):
                await result
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        docs_url=None,  # served by install_offline_docs, without a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
        # Readable, stable client method names (`outcomes_certify`), snapshotted per service.
        generate_unique_id_function=operation_id,
    )
    install_offline_docs(app)
    app.state.runtime = runtime
    app.state.verifier = runtime.verifier
    problems.install(app)
    outage.install(app, settings.service_name, settings.retry_after_seconds)

    @app.get("/healthz", tags=["ops"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get(
        "/readyz",
        tags=["ops"],
        summary="Readiness: database, broker and storage are reachable",
        responses={503: {"description": "a dependency is unreachable"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        checks = await runtime.readiness()
        ok = all(checks.values())
        body = {"status": "ready" if ok else "not-ready", "checks": checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    for router in routers:
        app.include_router(router)
    if runtime.storage is not None and hasattr(runtime.storage, "router"):
        app.include_router(runtime.storage.router())
        # The portal's upload script PUTs straight to these routes from its own origin.
        prefix = f"{getattr(runtime.storage, 'route_prefix', '/storage')}/"
        app.add_middleware(
            PathCORS,
            origins=settings.storage_cors_origins,
            prefix=prefix,
            methods=("PUT", "GET"),
            headers=("content-type",),
        )

    app.add_middleware(_MetricsMiddleware, service=settings.service_name)
    install_edge(app, settings, runtime.storage)
    # One server span per request; the per-message ASGI send/receive spans cost more than they tell.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"])
    instrument_engine(runtime.engine.sync_engine)
    return app
