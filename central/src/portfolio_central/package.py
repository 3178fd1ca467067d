"""Writing a submission package: one zip per school, kind and term, streamed.

The zip holds the kind's workbook in its folder (e.g. ``02_非學業表現上傳資料/2_學生自填多元表現名冊.xlsx``),
the files the workbook names in the same folder, and ``manifest.json`` last, carrying the SHA-256 of
every other entry. Nothing is held whole in memory: files are copied chunk by chunk from their
source into the zip stream (zipstream-ng) and hashed on the way; the workbook is written with
xlsxwriter in constant-memory mode to a temporary file, then streamed into the zip.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import xlsxwriter
from zipstream import ZIP_DEFLATED, ZIP_STORED, ZipStream

from .layouts import DEFAULT_VERSION, LayoutSet, Workbook, load
from .manifest import MANIFEST_NAME, Manifest, ManifestFile
from .rules import to_cell

CHUNK = 64 * 1024
Row = Mapping[str, Any]


@dataclass(frozen=True)
class PackageSpec:
    """What a package is for: it must agree with the workbook's header sheet and the request."""

    school_code: str
    kind: str
    academic_year: int
    semester: int
    batch_id: str
    idempotency_key: str
    layout_version: str = ""


@dataclass(frozen=True)
class PackageFile:
    """A file the workbook names (by ``name``, in the workbook's folder); ``open`` yields its bytes
    in chunks when the zip stream reaches it, so the source (object storage, disk) is read once."""

    name: str
    open: Callable[[], Iterable[bytes]]


def _hashing(chunks: Iterable[bytes], path: str, record: Callable[[ManifestFile], None]) -> Iterator[bytes]:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        yield chunk
    record(ManifestFile(path=path, size=size, sha256=digest.hexdigest()))


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def write_workbook(
    target: Path, workbook: Workbook, spec: PackageSpec, rows: Mapping[str, Iterable[Row]], *, date_format: str
) -> None:
    """Write the kind's workbook: the header sheet with school code, year and semester, then each
    data sheet's header row and rows (keyed by column ``key``). Every cell is written as text so
    codes and school codes keep their leading zeros. Sheets missing from ``rows`` stay empty."""
    unknown = set(rows) - {s.name for s in workbook.sheets}
    if unknown:
        raise ValueError(f"{workbook.kind} has no sheet {', '.join(sorted(unknown))}")
    book = xlsxwriter.Workbook(
        str(target),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    try:
        header = book.add_worksheet(workbook.header_sheet.name)
        header.write_row(0, 0, workbook.header_sheet.headers)
        header.write_row(1, 0, [spec.school_code, str(spec.academic_year), str(spec.semester)])
        for sheet in workbook.sheets:
            ws = book.add_worksheet(sheet.name)
            ws.write_row(0, 0, sheet.headers)
            for index, row in enumerate(rows.get(sheet.name, ()), start=1):
                extra = set(row) - {c.key for c in sheet.columns}
                if extra:
                    raise ValueError(f"{workbook.kind}/{sheet.name}: no column {', '.join(sorted(extra))}")
                ws.write_row(index, 0, [to_cell(row.get(c.key), c, date_format) for c in sheet.columns])
    finally:
        book.close()


def build(
    spec: PackageSpec,
    rows: Mapping[str, Iterable[Row]],
    files: Iterable[PackageFile] = (),
    *,
    layouts: LayoutSet | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Iterator[bytes]:
    """The package as a stream of zip bytes. Rows are validated by the receiver (and by the
    submission service's pre-check), not here: a writer writes what it is given."""
    layouts = layouts or load(spec.layout_version or DEFAULT_VERSION)
    workbook = layouts.workbook(spec.kind)
    if not workbook.semester_ok(spec.semester):
        raise ValueError(f"{spec.kind} is a {workbook.term} workbook: semester {spec.semester} does not fit")
    listed: list[ManifestFile] = []
    with tempfile.TemporaryDirectory(prefix="central-package-") as tmp:
        book = Path(tmp) / "workbook.xlsx"
        write_workbook(book, workbook, spec, rows, date_format=layouts.date_format)
        zs = ZipStream(compress_type=ZIP_STORED, sized=False)
        # An xlsx is itself a zip: storing it again saves CPU; the manifest is small text.
        zs.add(_hashing(_file_chunks(book), workbook.path, listed.append), workbook.path)
        seen = {workbook.path}
        for item in files:
            path = f"{workbook.folder}/{item.name}"
            if path in seen or "/" in item.name or "\\" in item.name:
                raise ValueError(f"file name {item.name!r} is repeated or has a path")
            seen.add(path)
            zs.add(_hashing(item.open(), path, listed.append), path)
        yield from zs.all_files()
        manifest = Manifest(
            layout_version=layouts.version,
            school_code=spec.school_code,
            kind=spec.kind,
            academic_year=spec.academic_year,
            semester=spec.semester,
            batch_id=spec.batch_id,
            idempotency_key=spec.idempotency_key,
            created_at=now(),
            files=tuple(listed),
        )
        zs.add(manifest.model_dump_json(indent=1).encode(), MANIFEST_NAME, compress_type=ZIP_DEFLATED)
        yield from zs.finalize()


def write(
    target: BinaryIO, spec: PackageSpec, rows: Mapping[str, Iterable[Row]], files: Iterable[PackageFile] = (), **kw: Any
) -> int:
    """Write the package to a binary stream; returns the number of bytes written."""
    size = 0
    for chunk in build(spec, rows, files, **kw):
        target.write(chunk)
        size += len(chunk)
    return size
