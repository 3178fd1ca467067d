"""Benchmark: deadline-day upload surge on the artifacts service (R-ART-1, R-FILE-1).

Not a test and not run in CI. In one run, on one machine:

1. starts the S3 test server (moto in server mode, its own process, on a free port), a scratch
   PostgreSQL database (127.0.0.1:5432), and feeds the records events (caps, windows, courses,
   enrolments) through the consumer handler;
2. for each ``--workers`` value (default 1 and 2) starts the artifacts service **in its own process
   tree**, as the container does (``python -m portfolio_shared.serve artifacts`` with
   ``PORTFOLIO_WORKERS``; tokens checked against a JWKS served by this process, as identity's);
3. for each ``--curve`` size (default 50 / 200 / 1000 students): raw baseline — that many concurrent
   presigned S3 PUTs of the same 1 MB PDFs to the same server — then the surge: that many students
   each init → PUT → complete one 1 MB PDF (the service checks size and magic bytes from a HEAD and a
   ranged GET; its parser worker fetches, hashes and parses the file);
4. read path: the outcome-list endpoint (a student's own outcomes: JWT check, visibility filter, one
   query, files) against a bare FastAPI endpoint served the same way (uvicorn, same worker count).

The load generator (httpx, one client per student as one browser each) is this process; the service's
own CPU (its whole process tree, from /proc) is reported per upload and per request, beside this
process's. Targets (issue 15): surge ≥ 50 % of raw PUTs/s with p99 ≤ 3 × raw p99; list ≥ 40 % of
bare. The machine's load is printed with every figure (other work on it skews both sides).

    .venv/bin/python bench/artifacts_upload_surge.py                       # 1 and 2 workers, 50/200/1000
    .venv/bin/python bench/artifacts_upload_surge.py --curve 200 --workers 2 --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import JwksServer, ServiceProcess, free_port, load, own_cpu

from portfolio_artifacts.bootstrap import bootstrap
from portfolio_artifacts.config import Settings
from portfolio_artifacts.consumers import SUBSCRIPTIONS
from portfolio_shared.events.base import EventPayload, envelope_for
from portfolio_shared.events.records import (
    ArtifactCapsSet,
    PhaseWindowSet,
    StudentEnrolled,
    TeacherAssignmentChanged,
)
from portfolio_shared.messaging import EventConsumer, IncomingMessage
from portfolio_shared.permissions import Permission
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.storage.s3 import S3Storage
from portfolio_shared.testing.sample_files import sample_pdf
from portfolio_shared.testing.tokens import TokenMinter

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
RABBIT = "amqp://guest:guest@127.0.0.1:5672/"
SCHOOL, COURSE, YEAR = "bench-school", "bench-course", 114
SEM: Literal[1, 2] = 1
MB = 1024 * 1024
DISTINCT_FILES = 200  # the files are reused beyond this many students (memory of the load generator)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def start_moto(port: int) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, before any load
        [str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    async with httpx.AsyncClient(timeout=1) as client:
        for _ in range(200):
            try:
                await client.get(f"http://127.0.0.1:{port}/")
                return proc
            except httpx.TransportError:
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


async def timed(fn: Callable[[], Awaitable[None]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def raw_puts(storage: S3Storage, files: list[bytes], n: int, tag: str) -> list[float]:
    """Each PUT from its own client (one browser per student), as in the surge; same signed headers."""
    tickets = []
    for i in range(n):
        data = files[i % len(files)]
        tickets.append(
            await storage.presign_put(
                f"raw/{tag}/{i}",
                content_type="application/pdf",
                max_size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )

    async def one(i: int) -> float:
        async def put() -> None:
            async with httpx.AsyncClient(timeout=300) as client:
                r = await put_retrying(client, tickets[i].url, files[i % len(files)], tickets[i].headers)
                r.raise_for_status()

        return await timed(put)

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def surge(
    base: str, minter: TokenMinter, files: list[bytes], n: int, offset: int, phases: list[tuple[float, ...]]
) -> list[float]:
    perms = [Permission.OUTCOME_UPLOAD]

    async def one(i: int) -> float:
        headers = minter.headers(f"s{offset + i}", schools={SCHOOL: perms}, roles={SCHOOL: ["student"]}, kind="student")
        data = files[i % len(files)]

        async def flow() -> None:
            async with httpx.AsyncClient(timeout=300) as client:
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
                r = await post(client, f"{base}/api/v1/outcomes/uploads", json=body, headers=headers | key)
                r.raise_for_status()
                started = r.json()
                ticket = started["uploads"][0]
                t1 = time.perf_counter()
                (await put_retrying(client, ticket["url"], data, ticket["headers"])).raise_for_status()
                t2 = time.perf_counter()
                done = await post(
                    client,
                    f"{base}/api/v1/outcomes/{started['outcome_id']}/complete",
                    headers=headers | {"Idempotency-Key": key["Idempotency-Key"] + "-complete"},
                )
                if done.status_code != 200 or done.json()["status"] != "submitted":
                    raise RuntimeError(f"upload {i} not accepted: {done.status_code} {done.text[:200]}")
                phases.append((t1 - t0, t2 - t1, time.perf_counter() - t2))

        return await timed(flow)

    return list(await asyncio.gather(*(one(i) for i in range(n))))


RETRIES = [0]


async def put_retrying(client: httpx.AsyncClient, url: str, data: bytes, headers: dict[str, str]) -> httpx.Response:
    """A PUT the S3 test server dropped (its listen backlog overflows at a 1000-client surge) is sent
    again, as a browser's upload would be; counted with the retries."""
    for _ in range(5):
        try:
            return await client.put(url, content=data, headers=headers)
        except httpx.TransportError:
            RETRIES[0] += 1
            await asyncio.sleep(1)
    return await client.put(url, content=data, headers=headers)


async def post(client: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    """As the web client does: a 503 (pool or storage busy) is retried after its Retry-After, and a
    dropped connection at once, with the same Idempotency-Key; the retries are counted and reported."""
    for _ in range(30):
        try:
            r = await client.post(url, **kwargs)
        except httpx.TransportError:  # a connection dropped under the surge: same request, same key
            RETRIES[0] += 1
            await asyncio.sleep(1)
            continue
        if r.status_code != 503:
            return r
        RETRIES[0] += 1
        await asyncio.sleep(min(5.0, float(r.headers.get("retry-after") or 1)))
    return r


async def hammer(url: str, headers: dict[str, str], requests: int, concurrency: int) -> float:
    """Requests per second of ``requests`` GETs from ``concurrency`` keep-alive clients."""
    remaining = iter(range(requests))

    async def worker() -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            for _ in remaining:
                try:
                    r = await client.get(url, headers=headers)
                except httpx.RemoteProtocolError:  # a kept-alive connection the server closed as it was reused
                    RETRIES[0] += 1
                    r = await client.get(url, headers=headers)
                r.raise_for_status()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - start)


def line(name: str, lat: list[float], wall: float) -> str:
    n = len(lat)
    return (
        f"  {name:<24} {n / wall:8.1f} uploads/s  wall {wall:6.2f}s  p50 {pct(lat, 50) * 1000:7.1f} ms  "
        f"p99 {pct(lat, 99) * 1000:7.1f} ms  mean {statistics.mean(lat) * 1000:7.1f} ms"
    )


async def run_workers(
    workers: int,
    args: argparse.Namespace,
    env: dict[str, str],
    storage: S3Storage,
    minter: TokenMinter,
    files: list[bytes],
    offset: int,
) -> tuple[int, list[str]]:
    service = ServiceProcess.service("artifacts", env, workers)
    bare = ServiceProcess.app("bare_app:app", workers, str(Path(__file__).resolve().parent))
    summary: list[str] = []
    await service.start(workers=workers)
    await bare.start(workers=workers)
    try:
        print(f"\n== {workers} worker process(es) ==")
        # warm-up: connection pools, S3 bucket, parser workers, caches
        await raw_puts(storage, files, 10, f"warm{workers}")
        await surge(service.base, minter, files, 10, offset, [])
        offset += 10
        for n in args.curve:
            phases: list[tuple[float, ...]] = []
            print(f"-- {n} students x {args.size / MB:.2f} MB ({load()})")
            gen0 = own_cpu()
            raw_lat: list[float] = []
            RETRIES[0] = 0

            async def do_raw(n: int = n, out: list[float] = raw_lat) -> None:
                out += await raw_puts(storage, files, n, f"run{workers}-{n}")

            raw_wall = await timed(do_raw)
            raw_gen, raw_retries = own_cpu() - gen0, RETRIES[0]
            svc0, gen0 = service.cpu(), own_cpu()
            surge_lat: list[float] = []
            RETRIES[0] = 0

            async def do_surge(
                n: int = n, out: list[float] = surge_lat, phases: list[tuple[float, ...]] = phases, first: int = offset
            ) -> None:
                out += await surge(service.base, minter, files, n, first, phases)

            surge_wall = await timed(do_surge)
            svc_cpu, gen_cpu = service.cpu() - svc0, own_cpu() - gen0
            offset += n
            print(line("raw S3 presigned PUT", raw_lat, raw_wall))
            print(line("init → PUT → complete", surge_lat, surge_wall))
            ratio = raw_wall / surge_wall
            p99 = pct(surge_lat, 99) / pct(raw_lat, 99)
            print(f"  ratio surge / raw PUT: {ratio:.1%} (target ≥ 50 %); p99 {p99:.2f} x raw p99 (target ≤ 3)")
            print(
                f"  service CPU per upload {svc_cpu / n * 1000:.1f} ms (its process tree; "
                f"{svc_cpu / surge_wall:.2f} cores busy); load generator {gen_cpu / n * 1000:.1f} ms per upload "
                f"(raw: {raw_gen / n * 1000:.1f} ms)"
            )
            init, put, complete = (statistics.mean(p[k] for p in phases) * 1000 for k in range(3))
            print(
                f"  mean per step: init {init:.1f} ms, PUT {put:.1f} ms, complete {complete:.1f} ms; "
                f"retried: {RETRIES[0]} (503 after Retry-After, or a dropped PUT); raw PUTs retried: {raw_retries}"
            )
            summary.append(f"workers={workers} students={n}: surge/raw {ratio:.1%}, p99 x{p99:.2f}")
        own = minter.headers(
            "s0", schools={SCHOOL: [Permission.OUTCOME_UPLOAD]}, roles={SCHOOL: ["student"]}, kind="student"
        )
        list_url, bare_url = f"{service.base}/api/v1/outcomes", f"{bare.base}/bare"
        await hammer(list_url, own, 300, args.concurrency)  # warm-up
        await hammer(bare_url, {}, 300, args.concurrency)
        svc0, gen0 = service.cpu(), own_cpu()
        list_rps = await hammer(list_url, own, args.requests, args.concurrency)
        list_cpu, list_gen = service.cpu() - svc0, own_cpu() - gen0
        bare0, gen0 = bare.cpu(), own_cpu()
        bare_rps = await hammer(bare_url, {}, args.requests, args.concurrency)
        bare_cpu, bare_gen = bare.cpu() - bare0, own_cpu() - gen0
        print(f"-- read path, {args.requests} GETs, concurrency {args.concurrency} ({load()})")
        print(
            f"  outcome list {list_rps:8.1f} req/s (service CPU {list_cpu / args.requests * 1000:.2f} ms/req, "
            f"generator {list_gen / args.requests * 1000:.2f} ms/req)"
        )
        print(
            f"  bare FastAPI {bare_rps:8.1f} req/s (server CPU {bare_cpu / args.requests * 1000:.2f} ms/req, "
            f"generator {bare_gen / args.requests * 1000:.2f} ms/req)"
        )
        print(f"  ratio list / bare: {list_rps / bare_rps:.1%} (target ≥ 40 %)")
        summary.append(f"workers={workers} list/bare {list_rps / bare_rps:.1%}")
    finally:
        service.stop()
        bare.stop()
    return offset, summary


async def main(args: argparse.Namespace) -> None:
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    rid = uuid.uuid4().hex[:8]
    s3_port = free_port()
    moto = await start_moto(s3_port)
    dbname = f"bench_artifacts_{rid}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{dbname}"')
    tmp = tempfile.TemporaryDirectory()
    use_rabbit = await rabbit_up()
    minter = TokenMinter()
    jwks = JwksServer(minter.jwks())
    storage_url = f"s3://testing:testing-secret@127.0.0.1:{s3_port}/bench-{rid}?secure=false&region=us-east-1"
    env = {
        "PORTFOLIO_ARTIFACTS_ENVIRONMENT": "test",
        "PORTFOLIO_ARTIFACTS_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{dbname}",
        "PORTFOLIO_ARTIFACTS_BROKER_URL": RABBIT if use_rabbit else f"sqlite+aiosqlite:///{tmp.name}/bus.db",
        "PORTFOLIO_ARTIFACTS_TOPOLOGY_PREFIX": f"bench.{rid}.",
        "PORTFOLIO_ARTIFACTS_STORAGE_URL": storage_url,
        "PORTFOLIO_ARTIFACTS_VERIFY_INTERVAL_SECONDS": "0",
        "PORTFOLIO_ARTIFACTS_UPLOAD_URL_SECONDS": "900",
        "PORTFOLIO_ARTIFACTS_LOG_JSON": "false",
        "PORTFOLIO_ARTIFACTS_JWKS_URL": jwks.url,
    }
    settings = Settings(
        environment="test",
        database_url=env["PORTFOLIO_ARTIFACTS_DATABASE_URL"],
        broker_url=env["PORTFOLIO_ARTIFACTS_BROKER_URL"],
        topology_prefix=env["PORTFOLIO_ARTIFACTS_TOPOLOGY_PREFIX"],
        storage_url=storage_url,
        verify_interval_seconds=0,
        log_json=False,
    )
    runtime = bootstrap(settings, verifier=minter.verifier())
    storage = S3Storage.from_url(storage_url)
    summaries: list[str] = []
    try:
        await runtime.migrate()
        await storage.ensure_bucket()
        now = datetime.now(UTC)
        total = len(args.workers) * (10 + sum(args.curve))
        students = [f"s{i}" for i in range(total)]
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
        files = [sample_pdf(args.size) for _ in range(min(DISTINCT_FILES, max(args.curve)))]
        print(f"artifacts upload surge; {load()}")
        print(
            "service: python -m portfolio_shared.serve artifacts (own process tree); S3: moto_server; "
            f"DB: PostgreSQL; bus: {'RabbitMQ' if use_rabbit else 'SQLite (RabbitMQ not reachable)'}; "
            "load generator: httpx in this process"
        )
        offset = 0
        for workers in args.workers:
            offset, summary = await run_workers(workers, args, env, storage, minter, files, offset)
            summaries += summary
        print("\nsummary:")
        for s in summaries:
            print(f"  {s}")
    finally:
        await runtime.stop()
        jwks.close()
        moto.terminate()
        moto.wait(10)
        await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await admin.close()
        if use_rabbit:
            await _drop_topology(settings.topology_prefix)
        tmp.cleanup()


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


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


if __name__ == "__main__":
    # httpcore looks for the optional ``sniffio`` on every request; when it is not installed each failed
    # import walks sys.path (~1 ms of load-generator CPU per request). Remember the absence once.
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--curve", type=_ints, default=[50, 200, 1000], help="students per surge (comma-separated)")
    parser.add_argument("--workers", type=_ints, default=[1, 2], help="service worker processes (comma-separated)")
    parser.add_argument("--size", type=int, default=MB, help="bytes per PDF (default 1 MB)")
    parser.add_argument("--requests", type=int, default=3000, help="GETs per read-path measurement")
    parser.add_argument("--concurrency", type=int, default=10)
    arguments = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    try:  # the loop uvicorn itself would choose when serving ("auto": uvloop when installed)
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    asyncio.run(main(arguments))
