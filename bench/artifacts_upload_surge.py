"""Benchmark: deadline-day upload surge on the artifacts service (R-ART-1, R-FILE-1).

Not a test and not run in CI. In one run, on one machine:

1. starts the S3 test server (moto in server mode, its own process, on a free port), a scratch
   PostgreSQL database (127.0.0.1:5432) and the artifacts service **in-process under uvicorn on a
   free port** (real HTTP, the full chassis: auth, metrics, tracing hooks, outbox relay to RabbitMQ
   when it answers on 127.0.0.1:5672, else the in-process bus);
2. raw baseline: ``--students`` concurrent presigned S3 PUTs of the same 1 MB PDFs to the same server;
3. the surge: ``--students`` concurrent students each init → PUT → complete one 1 MB PDF (the service
   checks size, SHA-256 and magic bytes on completion);
4. read path: the outcome-list endpoint (a student's own outcomes: JWT check, visibility filter,
   one query, files) against a bare FastAPI endpoint served the same way, same concurrency.

The load generator (httpx, one client per student as one browser each) runs in the same process and
event loop (uvloop when installed) as the service; the report gives this process's CPU per upload so
the client's share can be told apart. Every upload sends an ``Idempotency-Key`` as a retrying client
would. Targets: surge uploads/s ≥ 50 % of raw PUTs/s; list endpoint ≥ 30 % of the bare endpoint's.
``--sequential`` (diagnostics) runs the uploads one at a time.

    .venv/bin/python bench/artifacts_upload_surge.py
    .venv/bin/python bench/artifacts_upload_surge.py --students 50 --requests 1000   # quick check
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI

from portfolio_artifacts.app import create
from portfolio_artifacts.bootstrap import bootstrap
from portfolio_artifacts.config import Settings
from portfolio_artifacts.consumers import SUBSCRIPTIONS
from portfolio_shared.events.base import EventPayload, envelope_for
from portfolio_shared.events.records import ArtifactCapsSet, PhaseWindowSet, StudentEnrolled, TeacherAssignmentChanged
from portfolio_shared.messaging import EventConsumer, IncomingMessage
from portfolio_shared.permissions import Permission
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.sample_files import sample_pdf
from portfolio_shared.testing.tokens import TokenMinter

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
RABBIT = "amqp://guest:guest@127.0.0.1:5672/"
SCHOOL, COURSE, YEAR = "bench-school", "bench-course", 114
SEM: Literal[1, 2] = 1
MB = 1024 * 1024
# One TLS context for every client: building one per client costs more CPU than a small request.
SSL = ssl.create_default_context()


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pdf(size: int) -> bytes:
    # A real one-page PDF (R-FILE-1: uploads must parse as their type), random padding inside.
    return sample_pdf(size)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def start_moto(port: int) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, before any load
        [str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(200):
        if port_open(port):
            return proc
        await asyncio.sleep(0.05)
    proc.kill()
    raise RuntimeError("moto_server did not start")


async def rabbit_up() -> bool:
    import aio_pika

    try:
        conn = await asyncio.wait_for(aio_pika.connect(RABBIT, timeout=3), 4)
    except Exception:
        return False
    await conn.close()
    return True


async def feed(runtime: ServiceRuntime, payload: EventPayload) -> None:
    """Deliver a records event to the consumer handler exactly as the consumer runtime does."""
    env = envelope_for(payload, school_id=SCHOOL, actor="bench")
    for subs in SUBSCRIPTIONS:
        if env.routing_key in subs.handlers:
            await EventConsumer(subs, runtime.uow, runtime.inbox).handle(
                IncomingMessage(env.routing_key, env.to_bytes(), str(env.event_id), {}, 1)
            )


async def serve(app: FastAPI, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.02)
    return server, task


async def timed(fn: Callable[[], Awaitable[None]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def raw_puts(runtime: ServiceRuntime, files: list[bytes], tag: str) -> list[float]:
    """Each PUT from its own client (one browser per student), as in the surge."""
    assert runtime.storage is not None
    tickets = [
        await runtime.storage.presign_put(f"raw/{tag}/{i}", content_type="application/pdf", max_size=len(f))
        for i, f in enumerate(files)
    ]

    async def one(i: int) -> float:
        async def put() -> None:
            async with httpx.AsyncClient(timeout=120, verify=SSL) as client:
                r = await client.put(tickets[i].url, content=files[i], headers=tickets[i].headers)
                r.raise_for_status()

        return await timed(put)

    return list(await asyncio.gather(*(one(i) for i in range(len(files)))))


async def surge(base: str, minter: TokenMinter, files: list[bytes], offset: int) -> list[float]:
    perms = [Permission.OUTCOME_UPLOAD]

    async def one(i: int) -> float:
        headers = minter.headers(f"s{offset + i}", schools={SCHOOL: perms}, roles={SCHOOL: ["student"]}, kind="student")
        data = files[i]

        async def flow() -> None:
            async with httpx.AsyncClient(timeout=120, verify=SSL) as client:
                await steps(client)

        async def steps(client: httpx.AsyncClient) -> None:
            t0 = time.perf_counter()
            body = {
                "course_id": COURSE,
                "title": "期末專題",
                "description": "截止日前上傳的課程學習成果",
                "files": [
                    {
                        "slot": "document",
                        "filename": "專題.pdf",
                        "content_type": "application/pdf",
                        "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                    }
                ],
            }
            key = {"Idempotency-Key": uuid.uuid4().hex}
            r = await client.post(f"{base}/api/v1/outcomes/uploads", json=body, headers=headers | key)
            r.raise_for_status()
            started = r.json()
            ticket = started["uploads"][0]
            t1 = time.perf_counter()
            (await client.put(ticket["url"], content=data, headers=ticket["headers"])).raise_for_status()
            t2 = time.perf_counter()
            done = await client.post(
                f"{base}/api/v1/outcomes/{started['outcome_id']}/complete",
                headers=headers | {"Idempotency-Key": key["Idempotency-Key"] + "-complete"},
            )
            if done.status_code != 200 or done.json()["status"] != "submitted":
                raise RuntimeError(f"upload {i} not accepted: {done.status_code} {done.text[:200]}")
            phases.append((t1 - t0, t2 - t1, time.perf_counter() - t2))

        return await timed(flow)

    if SEQUENTIAL:
        return [await one(i) for i in range(len(files))]
    return list(await asyncio.gather(*(one(i) for i in range(len(files)))))


async def hammer(url: str, headers: dict[str, str], requests: int, concurrency: int) -> float:
    """Requests per second of ``requests`` GETs from ``concurrency`` keep-alive clients (one pool each:
    httpx's shared pool itself becomes the bottleneck at high concurrency)."""
    remaining = iter(range(requests))

    async def worker() -> None:
        async with httpx.AsyncClient(timeout=60, verify=SSL) as client:
            for _ in remaining:
                r = await client.get(url, headers=headers)
                r.raise_for_status()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - start)


def line(name: str, lat: list[float], wall: float) -> str:
    n = len(lat)
    return (
        f"{name:<28} {n / wall:8.1f} uploads/s   wall {wall:6.2f}s   "
        f"p50 {pct(lat, 50) * 1000:7.1f} ms   p99 {pct(lat, 99) * 1000:7.1f} ms   "
        f"mean {statistics.mean(lat) * 1000:7.1f} ms"
    )


async def main(args: argparse.Namespace) -> None:
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    rid = uuid.uuid4().hex[:8]
    s3_port, svc_port, bare_port = free_port(), free_port(), free_port()
    moto = await start_moto(s3_port)
    dbname = f"bench_artifacts_{rid}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{dbname}"')
    tmp = tempfile.TemporaryDirectory()
    use_rabbit = await rabbit_up()
    settings = Settings(
        environment="test",
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{dbname}",
        broker_url=RABBIT if use_rabbit else f"sqlite+aiosqlite:///{tmp.name}/bus.db",
        topology_prefix=f"bench.{rid}.",
        storage_url=f"s3://testing:testing-secret@127.0.0.1:{s3_port}/bench-{rid}?secure=false&region=us-east-1",
        verify_interval_seconds=0,
        upload_url_seconds=900,
        log_json=False,
    )
    minter = TokenMinter()
    runtime = bootstrap(settings, verifier=minter.verifier())
    await runtime.migrate()
    app = create(runtime=runtime)
    bare = FastAPI()

    @bare.get("/bare")
    async def bare_endpoint() -> list[dict[str, Any]]:
        return [{"ok": True}]

    server, task = await serve(app, svc_port)
    bare_server, bare_task = await serve(bare, bare_port)
    base = f"http://127.0.0.1:{svc_port}"
    n = args.students
    try:
        now = datetime.now(UTC)
        students = [f"s{i}" for i in range(2 * n + 20)]
        await feed(runtime, ArtifactCapsSet(school_id=SCHOOL, outcomes_per_semester=6, performances_per_year=30))
        await feed(
            runtime,
            PhaseWindowSet(
                school_id=SCHOOL,
                academic_year=YEAR,
                semester=SEM,
                phase="outcome_upload",
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=1),
                self_check_at=now,
            ),
        )
        await feed(
            runtime,
            TeacherAssignmentChanged(
                course_id=COURSE,
                school_id=SCHOOL,
                academic_year=YEAR,
                semester=SEM,
                teacher_user_ids=["t1"],
                reviewing_teacher_user_id=None,
                student_user_ids=students,
            ),
        )
        for student in students:  # R-DATA-6: nothing is collected before records published the enrolment
            await feed(
                runtime,
                StudentEnrolled(
                    student_id=f"stu-{student}",
                    user_id=student,
                    school_id=SCHOOL,
                    grade=1,
                    class_name="101",
                    admitted_on=date(2025, 8, 1),
                ),
            )
        files = [pdf(args.size) for _ in range(n)]
        if True:
            # warm-up: DB pool, S3 bucket, caches
            await raw_puts(runtime, files[:10], "warm")
            await surge(base, minter, files[:10], offset=2 * n)
            phases.clear()
            cpu0 = time.process_time()
            raw_wall = await timed(lambda: _store(raw_puts(runtime, files, "run"), results, "raw"))
            raw_cpu = time.process_time() - cpu0
            cpu0 = time.process_time()
            surge_wall = await timed(lambda: _store(surge(base, minter, files, offset=0), results, "surge"))
            surge_cpu = time.process_time() - cpu0
            own = minter.headers(
                "s0", schools={SCHOOL: [Permission.OUTCOME_UPLOAD]}, roles={SCHOOL: ["student"]}, kind="student"
            )
            await hammer(f"{base}/api/v1/outcomes", own, 200, args.concurrency)  # warm-up
            await hammer(f"http://127.0.0.1:{bare_port}/bare", {}, 200, args.concurrency)
            list_rps = await hammer(f"{base}/api/v1/outcomes", own, args.requests, args.concurrency)
            bare_rps = await hammer(f"http://127.0.0.1:{bare_port}/bare", {}, args.requests, args.concurrency)
        raw_rate, surge_rate = n / raw_wall, n / surge_wall
        print(f"artifacts upload surge: {n} students x {args.size / MB:.2f} MB PDF, 2 CPUs={os.cpu_count()}")
        print("service: in-process uvicorn on a free port; S3: moto_server subprocess; DB: PostgreSQL 127.0.0.1:5432;")
        print(
            f"bus: {'RabbitMQ' if use_rabbit else 'in-process (RabbitMQ not reachable)'}; "
            "load generator: httpx, same process and event loop"
        )
        print(line("raw S3 presigned PUT", results["raw"], raw_wall))
        print(line("init → PUT → complete", results["surge"], surge_wall))
        print(f"ratio surge / raw PUT: {surge_rate / raw_rate:.1%} (target ≥ 50 %)")
        print(
            f"  this process's CPU per upload: raw {raw_cpu / n * 1000:.1f} ms (client only), "
            f"surge {surge_cpu / n * 1000:.1f} ms (client + service); "
            f"surge CPU {surge_cpu:.2f} s over {surge_wall:.2f} s"
        )
        init, put, complete = (statistics.mean(p[k] for p in phases) * 1000 for k in range(3))
        print(f"  mean per step: init {init:.1f} ms, PUT {put:.1f} ms, complete {complete:.1f} ms")
        print(
            f"outcome list: {list_rps:8.1f} req/s; bare FastAPI: {bare_rps:8.1f} req/s (concurrency {args.concurrency})"
        )
        print(f"ratio list / bare: {list_rps / bare_rps:.1%} (target ≥ 30 %)")
    finally:
        server.should_exit = bare_server.should_exit = True
        await asyncio.gather(task, bare_task, return_exceptions=True)
        moto.terminate()
        moto.wait(10)
        await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await admin.close()
        if use_rabbit:
            await _drop_topology(settings.topology_prefix)
        tmp.cleanup()


results: dict[str, list[float]] = {}
SEQUENTIAL = False
phases: list[tuple[float, float, float]] = []


async def _store(coro: Awaitable[list[float]], into: dict[str, list[float]], name: str) -> None:
    into[name] = await coro


async def _drop_topology(prefix: str) -> None:
    import aio_pika

    from portfolio_shared.events.subscribers import SUBSCRIBERS
    from portfolio_shared.messaging import Topology

    topology = Topology(prefix=prefix)
    conn = await aio_pika.connect(RABBIT)
    async with conn.channel() as channel:
        # The service declares every consumer queue of the platform at start, not only its own.
        for consumer in dict.fromkeys([*(subs.consumer for subs in SUBSCRIPTIONS), *SUBSCRIBERS]):
            await channel.queue_delete(topology.queue(consumer))
            await channel.queue_delete(topology.dead_letter_queue(consumer))
        for name in (topology.exchange, topology.dead_letter_exchange):
            await channel.exchange_delete(name)
    await conn.close()


if __name__ == "__main__":
    # httpcore looks for the optional ``sniffio`` on every request; when it is not installed each failed
    # import walks sys.path (~1 ms of load-generator CPU per request). Remember the absence once.
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--size", type=int, default=MB, help="bytes per PDF (default 1 MB)")
    parser.add_argument("--requests", type=int, default=3000, help="GETs per read-path measurement")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--sequential", action="store_true", help="diagnostics: one upload at a time")
    arguments = parser.parse_args()
    SEQUENTIAL = arguments.sequential
    try:  # the loop uvicorn itself would choose when serving ("auto": uvloop when installed)
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    asyncio.run(main(arguments))
