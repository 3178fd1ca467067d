"""The part builder: a batch's rows and files → the package, streamed from object storage, checked
against the SHA-256 verified at upload, encrypted at rest; the download decrypts it on the fly."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from portfolio_central import layouts, reader, samples
from portfolio_central.package import PackageSpec
from portfolio_shared.storage.local import LocalDiskStorage
from portfolio_submission.packaging.builder import (
    PackageFileChanged,
    PackageFileMissing,
    build_package,
    open_package,
)
from portfolio_submission.packaging.crypto import PackageKeyring

L = layouts.load()
RING = PackageKeyring.parse(PackageKeyring.generate("t1"))
SPEC = PackageSpec("999001", "course_outcomes", 114, 0, "batch-1", "idem-key-0123456789")


@dataclass(frozen=True)
class Ref:
    name: str
    object_key: str
    size: int
    sha256: str


def _store(tmp_path: Path) -> LocalDiskStorage:
    return LocalDiskStorage(tmp_path / "objects", secret="x" * 32, base_url="http://test")


def _content(store: LocalDiskStorage, students: int = 3) -> tuple[dict[str, list[dict[str, Any]]], list[Ref]]:
    rows, files = samples.package_content(L.workbook("course_outcomes"), L, students=students, per_sheet=2)
    refs = []
    for f in files:
        data = b"".join(f.open()) + f.name.encode()  # distinct bytes per file
        key = f"artifacts/{f.name}"
        store.write_chunks(key, [data], content_type="application/pdf")
        refs.append(Ref(f.name, key, len(data), hashlib.sha256(data).hexdigest()))
    return rows, refs


def _download(store: LocalDiskStorage, key: str, target: Path) -> Path:
    with target.open("wb") as fh:
        for chunk in open_package(store, RING, key):
            fh.write(chunk)
    return target


def test_the_package_round_trips_through_the_central_reader(tmp_path: Path) -> None:
    store = _store(tmp_path)
    rows, refs = _content(store)
    built = build_package(store, RING, spec=SPEC, rows=rows, files=refs, object_key="pk/batch-1/a.pfpk")
    stored = (tmp_path / "objects" / "pk/batch-1/a.pfpk").read_bytes()
    assert built.stored_size == len(stored) and built.key_id == "t1"
    # Encrypted at rest: neither the zip's signature nor a national ID is in the stored object.
    assert not stored.startswith(b"PK") and samples.national_id(0).encode() not in stored
    path = _download(store, built.object_key, tmp_path / "package.zip")
    clear = path.read_bytes()
    assert len(clear) == built.size and hashlib.sha256(clear).hexdigest() == built.sha256
    report = reader.read(
        path, expect={"school_code": "999001", "kind": "course_outcomes", "idempotency_key": SPEC.idempotency_key}
    )
    assert report.ok, report.violations
    assert len(report.items) == sum(len(r) for r in rows.values())
    assert report.manifest is not None
    listed = {f.path.rsplit("/", 1)[-1]: f.sha256 for f in report.manifest.files}
    assert all(listed[r.name] == r.sha256 for r in refs)


def test_a_fixed_clock_gives_the_same_zip(tmp_path: Path) -> None:
    store = _store(tmp_path)
    rows, refs = _content(store, students=1)
    at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    one = build_package(store, RING, spec=SPEC, rows=rows, files=refs, object_key="pk/1", now=lambda: at)
    two = build_package(store, RING, spec=SPEC, rows=rows, files=refs, object_key="pk/2", now=lambda: at)
    assert one.object_key != two.object_key
    manifest_1 = _download(store, "pk/1", tmp_path / "1.zip")
    assert reader.read(manifest_1).manifest.created_at == at  # type: ignore[union-attr]


def test_a_file_changed_since_upload_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    store = _store(tmp_path)
    rows, refs = _content(store)
    bad = refs[1]
    refs[1] = Ref(bad.name, bad.object_key, bad.size, "0" * 64)
    with pytest.raises(PackageFileChanged) as caught:
        build_package(store, RING, spec=SPEC, rows=rows, files=refs, object_key="pk/x")
    assert caught.value.name == bad.name
    assert not (tmp_path / "objects" / "pk" / "x").exists()
    assert not [p for p in (tmp_path / "objects" / "pk").iterdir()]


def test_a_size_mismatch_alone_is_refused(tmp_path: Path) -> None:
    store = _store(tmp_path)
    rows, refs = _content(store, students=1)
    refs[0] = Ref(refs[0].name, refs[0].object_key, refs[0].size + 1, refs[0].sha256)
    with pytest.raises(PackageFileChanged):
        build_package(store, RING, spec=SPEC, rows=rows, files=refs, object_key="pk/y")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    store = _store(tmp_path)
    rows, refs = _content(store, students=1)
    refs[0] = Ref(refs[0].name, "artifacts/not-there.pdf", 1, "0" * 64)
    with pytest.raises(PackageFileMissing) as caught:
        build_package(store, RING, spec=SPEC, rows=rows, files=refs, object_key="pk/z")
    assert caught.value.name == refs[0].name


def test_building_and_downloading_hold_no_file_whole(tmp_path: Path) -> None:
    """24 MiB of files through build and download with a Python heap peak of a few MiB."""
    store = _store(tmp_path)
    wb = L.workbook("course_outcomes")
    rows: list[dict[str, Any]] = []
    refs: list[Ref] = []
    big = b"%PDF-1.4\n" + os.urandom(4 * 1024 * 1024 - 9)
    for n in range(6):
        r = samples.row(wb, "學期", n, L)
        name = f"big{n}.pdf"
        rows.append({**r, "national_id": samples.national_id(n), "document_file": name})
        store.write_chunks(f"artifacts/{name}", [big], content_type="application/pdf")
        refs.append(Ref(name, f"artifacts/{name}", len(big), hashlib.sha256(big).hexdigest()))
    del big
    tracemalloc.start()
    try:
        built = build_package(store, RING, spec=SPEC, rows={"學期": rows}, files=refs, object_key="pk/big")
        size = sum(len(c) for c in open_package(store, RING, "pk/big"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == built.size > 24 * 1024 * 1024
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
