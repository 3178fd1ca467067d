"""Benchmark: building an outcomes package (學生課程學習成果名冊 + files) for the central database.

Not a test and not run in CI. In one run, on one machine:

1. starts the S3 test server (moto in server mode, its own process, on a free port) and seeds
   ``--students`` × 6 outcome files of ``--file-kb`` KB (PDFs) into a bucket;
2. raw baseline, in a child process: a streaming zip (zipstream-ng, stored) of the same objects read
   from the same server with the same client, written to a byte counter;
3. the package, in a child process: ``portfolio_central.package.build`` — the workbook (xlsxwriter
   constant-memory, one row per outcome) plus the same objects streamed from S3 and hashed, then the
   manifest — written to a byte counter.

Each child reports its wall time, bytes and peak RSS (``ru_maxrss``). Targets (issue 11): peak RSS
of the building process < 256 MB and package throughput ≥ 50 % of the raw streaming zip's.
moto keeps objects in memory: 2,000 students × 6 × 256 KB is 3 GB in the moto process.

    .venv/bin/python bench/central_package.py --students 200          # quick
    .venv/bin/python bench/central_package.py --students 2000         # the issue's size
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from minio import Minio

BUCKET = "central-bench"
ACCESS, SECRET = "testing", "testing-secret"
OUTCOMES_PER_STUDENT = 6


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def client(port: int) -> Minio:
    return Minio(f"127.0.0.1:{port}", access_key=ACCESS, secret_key=SECRET, secure=False, region="us-east-1")


def key(student: int, n: int) -> str:
    return f"outcomes/{student:05d}/{n}.pdf"


def objects(mc: Minio, key_name: str) -> Iterator[bytes]:
    response = mc.get_object(BUCKET, key_name)
    try:
        yield from response.stream(64 * 1024)
    finally:
        response.close()
        response.release_conn()


class Counter:
    def __init__(self) -> None:
        self.bytes = 0

    def write(self, chunk: bytes) -> int:
        self.bytes += len(chunk)
        return len(chunk)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def role_raw(port: int, students: int) -> dict[str, Any]:
    from zipstream import ZIP_STORED, ZipStream

    mc = client(port)
    zs = ZipStream(compress_type=ZIP_STORED, sized=False)
    for s in range(students):
        for n in range(OUTCOMES_PER_STUDENT):
            zs.add(objects(mc, key(s, n)), key(s, n))
    sink, started = Counter(), time.perf_counter()
    for chunk in zs:
        sink.write(chunk)
    return {"seconds": time.perf_counter() - started, "bytes": sink.bytes, "peak_rss_mb": peak_rss_mb()}


def role_package(port: int, students: int) -> dict[str, Any]:
    from portfolio_central import layouts, package, samples

    mc = client(port)
    lay = layouts.load()
    wb = lay.workbook("course_outcomes")

    def rows() -> Iterator[dict[str, Any]]:  # a generator: rows are not held either
        for s in range(students):
            for n in range(OUTCOMES_PER_STUDENT):
                r = samples.row(wb, "學期", s * OUTCOMES_PER_STUDENT + n, lay)
                yield {**r, "national_id": samples.national_id(s), "document_file": f"{s:05d}_{n}.pdf"}

    files = (
        package.PackageFile(f"{s:05d}_{n}.pdf", lambda s=s, n=n: objects(mc, key(s, n)))  # type: ignore[misc]
        for s in range(students)
        for n in range(OUTCOMES_PER_STUDENT)
    )
    spec = package.PackageSpec("999001", "course_outcomes", 114, 0, "bench", "bench-idempotency-key")
    sink, started = Counter(), time.perf_counter()
    package.write(sink, spec, {"學期": rows()}, files)  # type: ignore[arg-type]
    return {"seconds": time.perf_counter() - started, "bytes": sink.bytes, "peak_rss_mb": peak_rss_mb()}


def child(role: str, port: int, students: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--role", role, "--port", str(port), "--students", str(students)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def seed(port: int, students: int, file_kb: int) -> None:
    mc = client(port)
    mc.make_bucket(BUCKET)
    body = b"%PDF-1.4\n" + os.urandom(file_kb * 1024 - 9)
    for s in range(students):
        for n in range(OUTCOMES_PER_STUDENT):
            data = body[:-8] + f"{s:05d}{n:03d}".encode()  # distinct objects, same size
            mc.put_object(BUCKET, key(s, n), io.BytesIO(data), len(data), content_type="application/pdf")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--file-kb", type=int, default=256)
    parser.add_argument("--role", choices=["raw", "package"], default=None)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.role:
        result = (role_raw if args.role == "raw" else role_package)(args.port, args.students)
        print(json.dumps(result))
        return 0
    port = free_port()
    exe = Path(sys.executable).with_name("moto_server")
    moto = subprocess.Popen(
        [str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(200):
            if port_open(port):
                break
            time.sleep(0.05)
        started = time.perf_counter()
        seed(port, args.students, args.file_kb)
        took = time.perf_counter() - started
        print(f"seeded {args.students * OUTCOMES_PER_STUDENT} objects of {args.file_kb} KB in {took:.1f} s")
        raw = child("raw", port, args.students)
        built = child("package", port, args.students)
    finally:
        moto.terminate()
        moto.wait()
    mb = 1024 * 1024
    for name, r in (("raw streaming zip", raw), ("central package", built)):
        size, rate, rss = r["bytes"] / mb, r["bytes"] / mb / r["seconds"], r["peak_rss_mb"]
        print(f"{name:<18} {size:8.1f} MB in {r['seconds']:6.2f} s = {rate:7.1f} MB/s, peak RSS {rss:.0f} MB")
    ratio = (built["bytes"] / built["seconds"]) / (raw["bytes"] / raw["seconds"])
    rss = built["peak_rss_mb"]
    print(f"package throughput / raw: {ratio:.0%} (target ≥ 50 %); package peak RSS {rss:.0f} MB (target < 256 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
