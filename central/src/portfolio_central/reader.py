"""Reading and validating a submission package, the way the central database would.

:func:`read` opens a package zip (a seekable file: the receiver stored it first), checks the
manifest, every entry's SHA-256, the workbook's header sheet, each data sheet's columns and every
cell against the layout, and each named file (present, type and size by R-FILE-1). It returns
every refusal with workbook, sheet, row, column and rule, and the accepted rows as receipt items.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError
from python_calamine import CalamineWorkbook

from .layouts import LayoutSet, UnknownKind, Workbook, load
from .manifest import FORMAT, MANIFEST_NAME, Manifest, ManifestFile
from .rules import Violation, cell_text, check

MAX_VIOLATIONS = 1000


@dataclass(frozen=True)
class ReceivedFile:
    column: str
    name: str
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ReceivedItem:
    """One data row as received: the student's national ID as the workbook has it."""

    national_id: str
    sheet: str
    row: int
    fields: dict[str, str]
    files: tuple[ReceivedFile, ...]


@dataclass
class PackageReport:
    manifest: Manifest | None = None
    violations: list[Violation] = field(default_factory=list)
    items: list[ReceivedItem] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.manifest is not None and not self.violations

    def refuse(self, v: Violation) -> None:
        if len(self.violations) >= MAX_VIOLATIONS:
            self.truncated = True
            return
        self.violations.append(v)


@dataclass(frozen=True)
class _Present:
    """A manifest entry that is in the zip, with its first bytes (for the type check)."""

    file: ManifestFile
    head: bytes


def _sha256(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, bytes]:
    digest, head = hashlib.sha256(), b""
    with zf.open(info) as fh:
        while chunk := fh.read(1024 * 1024):
            if not head:
                head = chunk[:64]
            digest.update(chunk)
    return digest.hexdigest(), head


def _manifest(zf: zipfile.ZipFile, report: PackageReport) -> Manifest | None:
    try:
        raw = zf.read(MANIFEST_NAME)
    except KeyError:
        report.refuse(Violation("manifest-missing", f"the package has no {MANIFEST_NAME}"))
        return None
    try:
        manifest = Manifest.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        fields = (
            ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
            if isinstance(exc, ValidationError)
            else "JSON"
        )
        report.refuse(Violation("manifest", f"{MANIFEST_NAME} is not a valid manifest ({fields})"))
        return None
    if manifest.format != FORMAT:
        report.refuse(Violation("manifest", f"unsupported package format {manifest.format!r}, expected {FORMAT}"))
        return None
    return manifest


def _check_entries(zf: zipfile.ZipFile, manifest: Manifest, report: PackageReport) -> dict[str, _Present]:
    """Every zip entry is listed with its SHA-256 and every listed entry is there and matches.
    Returns the listed entries that are there (rows may name only those)."""
    entries = {i.filename: i for i in zf.infolist() if not i.is_dir() and i.filename != MANIFEST_NAME}
    listed: dict[str, ManifestFile] = {}
    present: dict[str, _Present] = {}
    for item in manifest.files:
        if item.path in listed:
            report.refuse(Violation("manifest", f"{item.path} is listed twice", column=item.path))
            continue
        listed[item.path] = item
        info = entries.get(item.path)
        if info is None:
            report.refuse(
                Violation(
                    "file-missing", f"{item.path} is listed in the manifest but not in the package", column=item.path
                )
            )
            continue
        sha256, head = _sha256(zf, info)
        present[item.path] = _Present(item, head)
        if info.file_size != item.size:
            report.refuse(
                Violation(
                    "size-mismatch",
                    f"{item.path} has {info.file_size} bytes, the manifest says {item.size}",
                    column=item.path,
                )
            )
        elif sha256 != item.sha256:
            report.refuse(
                Violation(
                    "sha256-mismatch", f"{item.path} does not match its SHA-256 in the manifest", column=item.path
                )
            )
    for name in entries:
        if name not in listed:
            report.refuse(Violation("unlisted-file", f"{name} is in the package but not in the manifest", column=name))
    return present


def read(path: Path, *, layouts: LayoutSet | None = None, expect: dict[str, Any] | None = None) -> PackageReport:
    """Validate the package at ``path``. ``expect`` (school_code, kind, academic_year, semester,
    idempotency_key) is what the request said; the manifest must agree with it."""
    report = PackageReport()
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        report.refuse(Violation("not-a-zip", "the package is not a zip archive"))
        return report
    with zf:
        manifest = _manifest(zf, report)
        if manifest is None:
            return report
        for key, value in (expect or {}).items():
            if getattr(manifest, key) != value:
                report.refuse(
                    Violation("manifest-mismatch", f"the manifest's {key} differs from the request's", column=key)
                )
        try:
            layouts = layouts or load(manifest.layout_version)
            workbook = layouts.workbook(manifest.kind)
        except (LookupError, UnknownKind) as exc:
            report.refuse(Violation("manifest", str(exc).strip('"')))
            return report
        if not workbook.semester_ok(manifest.semester):
            report.refuse(
                Violation(
                    "manifest",
                    f"{workbook.kind} is a {workbook.term} workbook: semester {manifest.semester} does not fit",
                    column="semester",
                )
            )
        listed = _check_entries(zf, manifest, report)
        if workbook.path not in listed:
            report.refuse(
                Violation("workbook-missing", f"the package has no {workbook.path}", workbook=workbook.file_name)
            )
            return report
        with tempfile.TemporaryDirectory(prefix="central-read-") as tmp:
            book = Path(tmp) / "workbook.xlsx"
            with zf.open(workbook.path) as src, book.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
            try:
                _read_workbook(book, workbook, layouts, manifest, listed, report)
            except Exception as exc:  # calamine refuses a broken workbook with its own errors
                report.refuse(
                    Violation(
                        "workbook", f"the workbook cannot be read ({type(exc).__name__})", workbook=workbook.file_name
                    )
                )
    report.manifest = manifest
    return report


def _read_workbook(
    book: Path,
    workbook: Workbook,
    layouts: LayoutSet,
    manifest: Manifest,
    listed: dict[str, _Present],
    report: PackageReport,
) -> None:
    wb = CalamineWorkbook.from_path(str(book))
    try:
        names = wb.sheet_names
        if not names or names[0] != workbook.header_sheet.name:
            report.refuse(
                Violation(
                    "header", f"the first sheet must be {workbook.header_sheet.name}", workbook=workbook.file_name
                )
            )
        else:
            _check_header(
                wb.get_sheet_by_name(names[0]).to_python(skip_empty_area=False), workbook, layouts, manifest, report
            )
        for sheet in workbook.sheets:
            if sheet.name not in names:
                report.refuse(
                    Violation(
                        "sheet-missing",
                        f"the workbook has no sheet {sheet.name}",
                        workbook=workbook.file_name,
                        sheet=sheet.name,
                    )
                )
                continue
            rows = wb.get_sheet_by_name(sheet.name).to_python(skip_empty_area=False)
            _check_sheet(rows, workbook, sheet.name, layouts, listed, report)
        for extra in set(names) - {s.name for s in workbook.sheets} - {workbook.header_sheet.name}:
            report.refuse(
                Violation("sheet-unknown", f"the layout has no sheet {extra}", workbook=workbook.file_name, sheet=extra)
            )
    finally:
        wb.close()


def _check_header(
    rows: list[list[Any]], workbook: Workbook, layouts: LayoutSet, manifest: Manifest, report: PackageReport
) -> None:
    sheet = workbook.header_sheet
    where = {"workbook": workbook.file_name, "sheet": sheet.name}
    if not rows or [cell_text(v, layouts.date_format) for v in rows[0][: len(sheet.columns)]] != sheet.headers:
        report.refuse(Violation("columns", f"row 1 must be {', '.join(sheet.headers)}", row=1, **where))
        return
    values = [cell_text(v, layouts.date_format) for v in (rows[1] if len(rows) > 1 else [])]
    values += [""] * (len(sheet.columns) - len(values))
    expected = {
        "school_code": manifest.school_code,
        "academic_year": str(manifest.academic_year),
        "semester": str(manifest.semester),
    }
    for col, text in zip(sheet.columns, values, strict=False):
        broken = check(text, col, layouts.date_format)
        if broken:
            report.refuse(Violation(broken[0], broken[1], row=2, column=col.name, domain_rule=col.rule, **where))
        elif text != expected[col.key]:
            report.refuse(
                Violation("header-mismatch", f"{col.name} differs from the manifest's", row=2, column=col.name, **where)
            )


def _check_sheet(
    rows: list[list[Any]],
    workbook: Workbook,
    name: str,
    layouts: LayoutSet,
    listed: dict[str, _Present],
    report: PackageReport,
) -> None:
    sheet = workbook.sheet(name)
    where = {"workbook": workbook.file_name, "sheet": name}
    width = len(sheet.columns)
    header = [cell_text(v, layouts.date_format) for v in (rows[0] if rows else [])]
    if header[:width] != sheet.headers or any(header[width:]):
        report.refuse(Violation("columns", f"row 1 must be exactly {', '.join(sheet.headers)}", row=1, **where))
        return
    for index, raw in enumerate(rows[1:], start=2):
        texts = [cell_text(v, layouts.date_format) for v in raw]
        if not any(texts):
            continue  # an empty line between rows is not a row
        if any(texts[width:]):
            report.refuse(Violation("columns", f"row {index} has cells past the last column", row=index, **where))
        texts = (texts + [""] * width)[:width]
        fields = {c.key: t for c, t in zip(sheet.columns, texts, strict=True)}
        row_ok = True
        files: list[ReceivedFile] = []
        for col, text in zip(sheet.columns, texts, strict=True):
            broken = check(text, col, layouts.date_format)
            if broken:
                row_ok = False
                report.refuse(
                    Violation(broken[0], broken[1], row=index, column=col.name, domain_rule=col.rule, **where)
                )
                continue
            if col.type == "file" and text:
                received = _check_file(text, col.name, col.media or "", workbook, layouts, listed, report, index, where)
                if received is None:
                    row_ok = False
                else:
                    files.append(received)
        for group in sheet.require_one_of:
            if not any(fields[k] for k in group.columns):
                row_ok = False
                names = [c.name for c in sheet.columns if c.key in group.columns]
                report.refuse(
                    Violation(
                        "one-of",
                        f"at least one of {', '.join(names)} is required",
                        row=index,
                        column=names[0],
                        domain_rule=group.rule,
                        **where,
                    )
                )
        if row_ok:
            report.items.append(ReceivedItem(fields["national_id"], name, index, fields, tuple(files)))


def _check_file(
    name: str,
    column: str,
    media: str,
    workbook: Workbook,
    layouts: LayoutSet,
    listed: dict[str, _Present],
    report: PackageReport,
    row: int,
    where: dict[str, str],
) -> ReceivedFile | None:
    rule = layouts.files[media]
    path = f"{workbook.folder}/{name}"
    entry = listed.get(path)
    if entry is None:
        report.refuse(
            Violation(
                "file-missing",
                f"{column} names {name}, which is not in {workbook.folder}/",
                row=row,
                column=column,
                **where,
            )
        )
        return None
    suffix = PurePosixPath(name).suffix.lower().lstrip(".")
    if suffix not in rule.extensions:
        report.refuse(
            Violation(
                "file-type",
                f"{column} must be {', '.join(rule.extensions)}",
                row=row,
                column=column,
                domain_rule="R-FILE-1",
                **where,
            )
        )
        return None
    if not rule.matches(suffix, entry.head):
        report.refuse(
            Violation(
                "file-type",
                f"{column} is not a {suffix} file by its content",
                row=row,
                column=column,
                domain_rule="R-FILE-1",
                **where,
            )
        )
        return None
    if entry.file.size > rule.max_bytes:
        report.refuse(
            Violation(
                "file-size",
                f"{column} is {entry.file.size} bytes, at most {rule.max_bytes}",
                row=row,
                column=column,
                domain_rule="R-FILE-1",
                **where,
            )
        )
        return None
    return ReceivedFile(column=column, name=name, path=path, size=entry.file.size, sha256=entry.file.sha256)
