"""District-wide fan-out: N reminder e-mails from ONE event to a real SMTP server (aiosmtpd) on this
machine, through the notification service, against raw aiosmtplib sends of the same messages.

- The SMTP server runs in its own process and only counts what it accepts (and when).
- Baseline: the same N messages (same subjects, bodies, sizes; composed before the clock starts) sent
  by raw aiosmtplib ``sendmail`` over the same number of persistent connections as the service uses
  (``--connections``).
- Ours: N students with e-mail addresses are in the service's read copy (seeded, not timed); ONE
  ``records.schedule.window_set`` event (the upload window closes in 2 days) goes through the outbox,
  the relay and RabbitMQ to the service's consumer, which records N inbox messages and N e-mails in one
  transaction; the dispatcher claims, sends and records them (each with a NotificationSent event).
  Reported: e-mails/s over the sending phase and end to end, the ratio to raw, and the time from the
  event's commit to the last delivery.

    .venv/bin/python bench/notification_fanout.py --emails 20000
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiosmtplib
import asyncpg
import sqlalchemy as sa

from portfolio_notification.adapters.mailer import Outgoing, compose
from portfolio_notification.adapters.orm import contacts, deliveries
from portfolio_notification.app import create
from portfolio_notification.bootstrap import bootstrap, deps_of
from portfolio_notification.config import Settings
from portfolio_shared.events.records import PhaseWindowSet
from portfolio_shared.messaging import Topology
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

SERVER = r"""
import asyncio, sys, time
from aiosmtpd.controller import Controller
expect = int(sys.argv[2])
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        if Count.n % expect == 0:
            print(f"done {Count.n} {time.time():.6f}", flush=True)
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_line(proc: asyncio.subprocess.Process, prefix: str) -> str:
    assert proc.stdout is not None
    while True:
        line = (await proc.stdout.readline()).decode()
        if not line:
            raise RuntimeError("SMTP server process ended")
        if line.startswith(prefix):
            return line.strip()


async def raw_send(messages: list[Outgoing], port: int, connections: int) -> None:
    queue: asyncio.Queue[Outgoing] = asyncio.Queue()
    for m in messages:
        queue.put_nowait(m)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        while not queue.empty():
            m = queue.get_nowait()
            await client.sendmail(m.sender, [m.recipient], m.data)
        await client.quit()

    await asyncio.gather(*(worker() for _ in range(connections)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1000, help="e-mails claimed per dispatcher round")
    parser.add_argument(
        "--no-sent-events", action="store_true", help="no NotificationSent per e-mail (shows what the events cost)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the service's phase; print the top functions")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("PORTFOLIO_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument(
        "--amqp", default=os.environ.get("PORTFOLIO_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    args = parser.parse_args()
    n = args.emails

    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVER, str(port), str(n), stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    await wait_line(server, "ready")

    dbname = f"bench_notification_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    await admin.execute(f'CREATE DATABASE "{dbname}"')
    url = args.admin_url.rsplit("/", 1)[0] + f"/{dbname}"
    topology = Topology(prefix=f"bench{uuid.uuid4().hex[:6]}")
    minter = TokenMinter()
    settings = Settings(
        environment="test",
        database_url=url,
        broker_url=args.amqp,
        topology_prefix=topology.prefix,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_connections=args.connections,
        email_batch_size=args.batch,
        publish_sent_events=not args.no_sent_events,
        dispatch_poll_seconds=0.05,
        run_scheduler=False,
        log_json=False,
    )
    runtime = bootstrap(settings, verifier=minter.verifier())
    deps = deps_of(runtime)
    try:
        async with running(runtime, create):
            # seed N students with e-mail addresses (encrypted), as identity's and records' events would
            rows = [
                {
                    "user_id": f"stu-{i:06d}",
                    "school_id": f"sch-{i % 40:02d}",  # one district: 40 schools
                    "display_name": f"學生{i:06d}",
                    "kind": "student",
                    "left_school": False,
                    "email_enc": deps.cipher.encrypt(f"stu-{i:06d}@school.example"),
                    "email_reminders": True,
                }
                for i in range(n)
            ]
            async with runtime.uow() as uow:
                for start in range(0, n, 2000):
                    await uow.session.execute(sa.insert(contacts), rows[start : start + 2000])
                await uow.commit()

            # baseline: the same messages, rendered by the same templates, raw aiosmtplib
            from portfolio_notification.adapters.templates import render
            from portfolio_notification.domain.model import Trigger

            closes = datetime.now(UTC) + timedelta(days=2)
            context = {"school_name": "本校", "closes_at": closes.strftime("%Y-%m-%d %H:%M"), "what_zh": "課程學習成果"}
            context |= {"what_en": "course outcome"}
            messages = []  # composed before the clock starts: raw pays only for sending
            for i in range(n):
                text = render(Trigger.UPLOAD_REMINDER, "email", context | {"name": f"學生{i:06d}"})
                messages.append(
                    compose(
                        mail_from=settings.mail_from,
                        to=f"stu-{i:06d}@school.example",
                        subject=text.subject,
                        body=text.body,
                        message_id=f"<{uuid.uuid4()}@{settings.message_id_domain}>",
                        date=format_datetime(datetime.now(UTC)),
                    )
                )
            t0 = time.time()
            await raw_send(messages, port, args.connections)
            raw_done = float((await wait_line(server, "done")).split()[2])
            raw_seconds = raw_done - t0
            del messages

            # ours: ONE event per school's window (40 events, one burst), through outbox → RabbitMQ → consumer
            profiler = cProfile.Profile() if args.profile else None
            if profiler is not None:
                profiler.enable()
            t_event = time.time()
            async with runtime.uow() as uow:
                for school in range(40):
                    uow.publish(
                        PhaseWindowSet(
                            school_id=f"sch-{school:02d}",
                            academic_year=114,
                            semester=1,
                            phase="outcome_upload",
                            starts_at=closes - timedelta(days=30),
                            ends_at=closes,
                            self_check_at=closes - timedelta(days=7),
                        ),
                        school_id=f"sch-{school:02d}",
                        actor="bench",
                    )
                await uow.commit()
            ours_done = float((await wait_line(server, "done")).split()[2])
            while True:  # the server has them all; wait for the service to have recorded them all as sent
                async with runtime.uow() as uow:
                    count = (
                        await uow.session.execute(
                            sa.select(sa.func.count()).where(
                                deliveries.c.channel == "email", deliveries.c.status == "sent"
                            )
                        )
                    ).scalar_one()
                if count >= n:
                    break
                await asyncio.sleep(0.1)
            recorded_all = time.time()
            if profiler is not None:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            async with runtime.uow() as uow:
                first_sent, _last_sent, sent = (
                    await uow.session.execute(
                        sa.select(
                            sa.func.min(deliveries.c.created_at),
                            sa.func.max(deliveries.c.sent_at),
                            sa.func.count(),
                        ).where(deliveries.c.channel == "email", deliveries.c.status == "sent")
                    )
                ).one()
            recorded_at = first_sent.timestamp()
            end_to_end = ours_done - t_event
            send_phase = ours_done - recorded_at
            events = "without" if args.no_sent_events else "with"
            print(f"e-mails: {n} over {args.connections} SMTP connections (aiosmtpd in its own process), {events} a")
            print(f"NotificationSent per e-mail; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
            print(f"raw aiosmtplib:      {n / raw_seconds:8.0f} e-mails/s ({raw_seconds:.1f} s)")
            print(
                f"service, send phase: {n / send_phase:8.0f} e-mails/s ({send_phase:.1f} s from the first "
                f"recorded message) = {raw_seconds / send_phase:.0%} of raw"
            )
            print(
                f"service, end to end: {n / end_to_end:8.0f} e-mails/s ({end_to_end:.1f} s from the events' "
                f"commit to the last delivery) = {raw_seconds / end_to_end:.0%} of raw"
            )
            print(f"fan-out (events committed → all {2 * n} messages recorded): {recorded_at - t_event:.1f} s")
            print(f"recorded as sent: {sent}, {recorded_all - ours_done:.1f} s after the last delivery")
    finally:
        await delete_topology(
            args.amqp,
            topology,
            ("notification.identity", "notification.records", "notification.artifacts", "notification.submission"),
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await admin.close()
        assert server.stdin is not None
        server.stdin.close()
        await server.wait()


if __name__ == "__main__":
    asyncio.run(main())
