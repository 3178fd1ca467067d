"""Benchmark: the records service's SIS grade import on the real PostgreSQL (R-DATA-2, R-DUTY-3).

Not a test and not run in CI. It creates a scratch database, migrates it, seeds the students,
generates an SIS grade CSV, then measures in one run, for each size of a small curve (10 k and 100 k
rows; 1 M with ``--million``; or one ``--rows`` size):

1. the service's import (parse + COPY into staging + one INSERT … SELECT … ON CONFLICT, the
   outbox events and the import report, committed) into an empty ``grades`` table;
2. the same file again (idempotent: nothing changes, no events);
3. raw asyncpg ``COPY`` of the same rows (student ids already resolved) into the same, emptied
   table — the floor no import can beat.

The target is an import at ≥ 50 % of raw COPY's rows per second (issue 15).

    .venv/bin/python bench/records_grade_import.py                   # 10k, 100k
    .venv/bin/python bench/records_grade_import.py --million         # 10k, 100k, 1M
    .venv/bin/python bench/records_grade_import.py --rows 20000      # quick check
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import math
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

from portfolio_records.bootstrap import SERVICE_DIR, bootstrap
from portfolio_records.config import Settings
from portfolio_records.domain.crypto import generate_key
from portfolio_records.domain.grades_csv import parse_grades_csv
from portfolio_records.domain.national_id import check_digit
from portfolio_records.service_layer.grades import import_grades
from portfolio_records.service_layer.security import RecordsCrypto
from portfolio_shared.migrations import upgrade

SCHOOL = "bench-school"
HEADER = "student_number,academic_year,semester,course_code,subject_name,credits,score,passed\n"


def grade_csv(rows: int, per_student: int) -> bytes:
    lines = [HEADER]
    for i in range(rows):
        student, course = divmod(i, per_student)
        score = 40 + (student * 7 + course * 13) % 60  # 40.5 … 99.5
        lines.append(f"S{student:07d},114,1,C{course:03d},科目{course},2,{score}.5,{'Y' if score >= 60 else 'N'}\n")
    return "".join(lines).encode()


async def seed_students(dsn: str, crypto: RecordsCrypto, count: int) -> dict[str, uuid.UUID]:
    now = datetime.now(UTC)
    people, enrolled, numbers = [], [], {}
    for n in range(count):
        student_id = uuid.uuid4()
        first = f"A{1 + n % 2}{n:07d}"
        sealed = crypto.seal_national_id(student_id, first + check_digit(first))
        people.append(
            (
                student_id,
                f"S{n}",
                sealed.token,
                sealed.kid,
                sealed.index,
                sealed.masked,
                date(2009, 1, 1),
                None,
                now,
                now,
            )
        )
        number = f"S{n:07d}"
        enrolled.append(
            (uuid.uuid4(), student_id, SCHOOL, number, 1, "101", None, "enrolled", False, date(2025, 8, 1), now)
        )
        numbers[number] = student_id
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table("students", records=people)
        await conn.copy_records_to_table("enrolments", records=enrolled)
        # Windows are closed unless opened (R-REC-1): the school opens 114-1's data entry.
        far = datetime(2199, 1, 1, tzinfo=UTC)
        window = (SCHOOL, 114, 1, "data_entry", datetime(2000, 1, 1, tzinfo=UTC), far, far, "bench", now)
        await conn.copy_records_to_table("phase_windows", records=[window])
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return numbers


async def timed_import(settings: Settings, data: bytes) -> tuple[float, dict[str, int]]:
    runtime = bootstrap(settings)
    try:
        start = time.perf_counter()
        async with runtime.uow() as uow:
            report = await import_grades(uow, SCHOOL, "bench", data)
            events = len(uow.pending_events)
            await uow.commit()
        elapsed = time.perf_counter() - start
    finally:
        await runtime.engine.dispose()
    return elapsed, {
        "stored": report.stored,
        "inserted": report.inserted,
        "updated": report.updated,
        "rejected": len(report.rejected),
        "events": events,
    }


async def timed_raw_copy(dsn: str, data: bytes, numbers: dict[str, uuid.UUID]) -> float:
    parsed = parse_grades_csv(data)
    now = datetime.now(UTC)
    records = [
        (
            numbers[r.student_number],
            r.academic_year,
            r.semester,
            r.course_code,
            SCHOOL,
            r.subject_name,
            r.credits,
            r.score,
            r.passed,
            r.makeup_score,
            r.qualitative,
            now,
        )
        for r in parsed.rows
    ]
    columns = [
        "student_id",
        "academic_year",
        "semester",
        "course_code",
        "school_id",
        "subject_name",
        "credits",
        "score",
        "passed",
        "makeup_score",
        "qualitative",
        "updated_at",
    ]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("TRUNCATE grades")
        await conn.execute("CHECKPOINT")
        start = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("grades", records=records, columns=columns)
        return time.perf_counter() - start
    finally:
        await conn.close()


async def measure(args: argparse.Namespace, rows: int) -> float:
    """One size of the curve in its own scratch database; returns import / raw COPY throughput."""
    admin_dsn = args.admin_url.replace("postgresql+asyncpg://", "postgresql://")
    dbname = f"bench_records_{os.getpid()}_{rows}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{dbname}"')
    url = args.admin_url.rpartition("/")[0] + f"/{dbname}"
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    workdir = Path(tempfile.mkdtemp(prefix="bench-records-"))
    key = lambda: base64.b64encode(generate_key()).decode()  # noqa: E731
    settings = Settings(
        environment="test",
        database_url=url,
        broker_url=f"sqlite+aiosqlite:///{workdir}/bus.db",
        field_keys=f"b1:{key()}",
        field_current_kid="b1",
        blind_index_key=key(),
        log_json=False,
    )
    try:
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
        students = math.ceil(rows / args.per_student)
        print(f"\n== {rows:,} grade rows; seeding {students:,} students … (load average {_load()})", flush=True)
        numbers = await seed_students(dsn, RecordsCrypto.from_settings(settings), students)
        data = grade_csv(rows, args.per_student)
        start = time.perf_counter()
        parse_grades_csv(data)
        parse_only = time.perf_counter() - start
        print(f"grade file: {rows:,} rows, {len(data) / 1e6:.1f} MB", flush=True)

        first, report = await timed_import(settings, data)
        again, report_again = await timed_import(settings, data)
        raw = await timed_raw_copy(dsn, data, numbers)
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await admin.close()

    table = [
        ("service import (empty table)", first, report),
        ("same file again (no change)", again, report_again),
        ("raw asyncpg COPY (same rows)", raw, {"stored": rows}),
    ]
    print(f"{'run':<32}{'seconds':>10}{'rows/s':>14}  details")
    for name, seconds, details in table:
        print(f"{name:<32}{seconds:>10.2f}{rows / seconds:>14,.0f}  {details}")
    print(f"{'(parsing alone)':<32}{parse_only:>10.2f}{rows / parse_only:>14,.0f}")
    ratio = (rows / first) / (rows / raw)
    print(f"import / raw COPY throughput: {ratio:.0%} (target ≥ 50 %); load average {_load()}")
    assert report["stored"] == rows and report_again["inserted"] == report_again["updated"] == 0
    assert report_again["events"] == 0 and report["events"] == math.ceil(rows / args.per_student)
    return ratio


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=None, help="one size instead of the curve")
    parser.add_argument("--million", action="store_true", help="add 1,000,000 rows to the 10k / 100k curve")
    parser.add_argument("--per-student", type=int, default=15, help="grade lines per student (courses)")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("PORTFOLIO_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    sizes = [args.rows] if args.rows else [10_000, 100_000] + ([1_000_000] if args.million else [])
    ratios = {rows: await measure(args, rows) for rows in sizes}
    print("\nhow cost grows (import / raw COPY): " + ", ".join(f"{r:,} rows {v:.0%}" for r, v in ratios.items()))


if __name__ == "__main__":
    asyncio.run(main())
