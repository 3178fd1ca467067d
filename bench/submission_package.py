"""Benchmark: the submission service's part builder on an outcomes package (issue 11).

Not a test and not run in CI. In one run, on one machine:

1. starts the S3 test server (moto in server mode, its own process, on a free port) and seeds
   ``--students`` × 6 outcome files of ``--file-kb`` KB (PDFs) into a bucket;
2. raw baseline, in a child process: a streaming zip (zipstream-ng, stored) of the same objects read
   from the same server, uploaded back to the same server (a multipart upload of unknown length,
   ``S3Storage.write_chunks``) — the least any package writer has to do;
3. the package, in a child process: ``portfolio_submission.packaging.builder.build_package`` — the
   workbook (xlsxwriter constant-memory, one row per outcome, national IDs included), every object
   streamed from S3, checked against its SHA-256, the zip hashed, encrypted record by record
   (AES-256-GCM) and uploaded the same way — then downloaded and decrypted on the fly and checked
   against the SHA-256 the builder reported (the download, timed apart).

Each child reports its wall time, bytes and peak RSS (``ru_maxrss``). Targets (issue 11): peak RSS
of the building process < 256 MB and package throughput ≥ 50 % of the raw streaming zip's.
moto keeps objects in memory: 2,000 students × 6 × 256 KB is 3 GB (plus the two uploads) in the
moto process.

    .venv/bin/python bench/submission_package.py --students 200          # quick
    .venv/bin/python bench/submission_package.py --students 2000 --sink count   # the issue's size

``--sink count`` drops what both writers produce after counting it (the package still encrypted):
moto completes a multipart upload of 3 GB too slowly to measure anything but moto.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minio import Minio

BUCKET = "submission-bench"
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


def storage(port: int, sink: str = "s3") -> Any:
    """The S3 store; with ``sink="count"`` writes are counted and dropped (reads still come from S3):
    moto assembles a multipart upload of several GB in minutes on completion, which would measure
    moto, not the builder, at the issue's size."""
    from portfolio_shared.storage.s3 import S3Storage

    store = S3Storage.from_url(f"s3://{ACCESS}:{SECRET}@127.0.0.1:{port}/{BUCKET}?secure=false&read_timeout=900")
    return store if sink == "s3" else CountingSink(store)


class CountingSink:
    def __init__(self, store: Any) -> None:
        self.store = store

    def read_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> Any:
        return self.store.read_chunks(key, chunk_size)

    def write_chunks(self, key: str, chunks: Any, *, content_type: str) -> int:
        return sum(len(c) for c in chunks)


def key(student: int, n: int) -> str:
    return f"outcomes/{student:05d}/{n}.pdf"


def body(base: bytes, student: int, n: int) -> bytes:
    return base[:-8] + f"{student:05d}{n:03d}".encode()  # distinct objects, same size


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def role_raw(port: int, students: int, file_kb: int, sink: str) -> dict[str, Any]:
    from zipstream import ZIP_STORED, ZipStream

    store = storage(port, sink)
    zs = ZipStream(compress_type=ZIP_STORED, sized=False)
    for s in range(students):
        for n in range(OUTCOMES_PER_STUDENT):
            zs.add(store.read_chunks(key(s, n), 64 * 1024), key(s, n))
    started = time.perf_counter()
    size = store.write_chunks("bench/raw.zip", iter(zs), content_type="application/zip")
    return {"seconds": time.perf_counter() - started, "bytes": size, "peak_rss_mb": peak_rss_mb()}


@dataclass(frozen=True)
class Ref:
    name: str
    object_key: str
    size: int
    sha256: str


def role_package(port: int, students: int, file_kb: int, sink: str) -> dict[str, Any]:
    from portfolio_central import layouts, samples
    from portfolio_central.package import PackageSpec
    from portfolio_submission.packaging.builder import build_package, open_package
    from portfolio_submission.packaging.crypto import PackageKeyring

    store = storage(port, sink)
    lay = layouts.load()
    wb = lay.workbook("course_outcomes")
    rows: list[dict[str, Any]] = []
    refs: list[Ref] = []
    for s in range(students):
        for n in range(OUTCOMES_PER_STUDENT):
            name = f"{s:05d}_{n}.pdf"
            r = samples.row(wb, "學期", s * OUTCOMES_PER_STUDENT + n, lay)
            rows.append({**r, "national_id": samples.national_id(s), "document_file": name})
            data = seeded(file_kb, s, n)
            refs.append(Ref(name, key(s, n), len(data), hashlib.sha256(data).hexdigest()))
    ring = PackageKeyring.parse(PackageKeyring.generate("bench"))
    spec = PackageSpec("999001", "course_outcomes", 114, 0, "bench", "bench-idempotency-key")
    started = time.perf_counter()
    built = build_package(store, ring, spec=spec, rows={"學期": rows}, files=refs, object_key="bench/package.pfpk")
    seconds = time.perf_counter() - started
    download = None
    if sink == "s3":  # read it back, decrypting on the fly, and check it against the build
        started = time.perf_counter()
        digest, size = hashlib.sha256(), 0
        for chunk in open_package(store, ring, built.object_key):
            digest.update(chunk)
            size += len(chunk)
        download = time.perf_counter() - started
        assert (size, digest.hexdigest()) == (built.size, built.sha256), "the download does not match the build"
    return {
        "seconds": seconds,
        "bytes": built.size,
        "stored_bytes": built.stored_size,
        "download_seconds": download,
        "peak_rss_mb": peak_rss_mb(),
    }


_SEED: dict[int, bytes] = {}


def seeded(file_kb: int, student: int, n: int) -> bytes:
    """The bytes of one object: the same random body (seeded once per process from a fixed seed, so
    the seeding process and the builder agree) with the student and item in its last bytes."""
    if file_kb not in _SEED:
        import random

        _SEED[file_kb] = b"%PDF-1.4\n" + random.Random(file_kb).randbytes(file_kb * 1024 - 9)
    return body(_SEED[file_kb], student, n)


def child(role: str, port: int, students: int, file_kb: int, sink: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--role", role, "--port", str(port), "--students", str(students),
         "--file-kb", str(file_kb), "--sink", sink],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"the {role} child failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def seed(port: int, students: int, file_kb: int) -> None:
    mc = client(port)
    mc.make_bucket(BUCKET)
    for s in range(students):
        for n in range(OUTCOMES_PER_STUDENT):
            data = seeded(file_kb, s, n)
            mc.put_object(BUCKET, key(s, n), io.BytesIO(data), len(data), content_type="application/pdf")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--file-kb", type=int, default=256)
    parser.add_argument("--role", choices=["raw", "package"], default=None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--sink", choices=["s3", "count"], default="s3", help="where both zips go: back to S3, or counted and dropped"
    )
    args = parser.parse_args()
    if args.role:
        result = (role_raw if args.role == "raw" else role_package)(args.port, args.students, args.file_kb, args.sink)
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
        results = {role: child(role, port, args.students, args.file_kb, args.sink) for role in ("raw", "package")}
    finally:
        moto.terminate()
        moto.wait()
    raw, built = results["raw"], results["package"]
    mb = 1024 * 1024
    for name, r in (("raw streaming zip", raw), ("encrypted package", built)):
        size, rate, rss = r["bytes"] / mb, r["bytes"] / mb / r["seconds"], r["peak_rss_mb"]
        print(f"{name:<18} {size:8.1f} MB in {r['seconds']:6.2f} s = {rate:7.1f} MB/s, peak RSS {rss:.0f} MB")
    if built["download_seconds"] is not None:
        size, seconds = built["bytes"] / mb, built["download_seconds"]
        print(f"{'download+decrypt':<18} {size:8.1f} MB in {seconds:6.2f} s = {size / seconds:7.1f} MB/s")
    ratio = (built["bytes"] / built["seconds"]) / (raw["bytes"] / raw["seconds"])
    rss = built["peak_rss_mb"]
    print(f"package throughput / raw: {ratio:.0%} (target ≥ 50 %); package peak RSS {rss:.0f} MB (target < 256 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
