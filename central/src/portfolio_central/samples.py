"""Sample rows and files written from the layouts themselves (for tests, demos and benchmarks).

Every value is valid by construction for its column, so a test can break exactly one rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from .layouts import Column, LayoutSet, Workbook
from .package import PackageFile

PDF = b"%PDF-1.4\n%sample\n"
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 8


def national_id(n: int, letter: str = "A", sex: str = "1") -> str:
    """A valid national ID number (check digit computed) for sample ``n``."""
    from .rules import _LETTER_VALUES  # the same table the rule checks with

    body = f"{sex}{n % 10_000_000:07d}"
    first = _LETTER_VALUES[letter]
    partial = (
        first // 10 + (first % 10) * 9 + sum(int(d) * w for d, w in zip(body, (8, 7, 6, 5, 4, 3, 2, 1), strict=True))
    )
    return f"{letter}{body}{(10 - partial % 10) % 10}"


def value(column: Column, n: int, layouts: LayoutSet) -> Any:
    kind = column.type
    if kind == "national_id":
        return national_id(n)
    if kind == "date":
        return dt.date(2008, 1, 1) + dt.timedelta(days=n % 3000)
    if kind == "code":
        codes = column.codes or ("",)
        return codes[n % len(codes)]
    if kind in ("integer", "decimal"):
        lo = int(column.min) if column.min is not None else 0
        hi = int(column.max) if column.max is not None else lo + 10
        return lo + n % (hi - lo + 1)
    if kind == "url":
        return f"https://example.org/{n}"
    if kind == "file":
        return f"{n}_{column.key}.{'pdf' if column.media == 'document' else 'mp4'}"
    text = f"{column.name}{n}"
    return text[: column.max_length] if column.max_length else text


def row(workbook: Workbook, sheet: str, n: int, layouts: LayoutSet, *, files: bool = True) -> dict[str, Any]:
    """A valid row; without ``files`` file columns stay empty (fine unless the sheet needs one)."""
    out = {}
    for column in workbook.sheet(sheet).columns:
        if column.type == "file" and (not files or column.media != "document"):
            continue  # one document per row is enough to satisfy R-FILE-2
        out[column.key] = value(column, n, layouts)
    return out


def package_content(
    workbook: Workbook, layouts: LayoutSet, students: int, per_sheet: int = 1
) -> tuple[dict[str, list[dict[str, Any]]], list[PackageFile]]:
    """Rows for every sheet of the workbook (``per_sheet`` per student) and the files they name."""
    rows: dict[str, list[dict[str, Any]]] = {}
    files: list[PackageFile] = []
    n = 0
    for sheet in workbook.sheets:
        rows[sheet.name] = []
        for student in range(students):
            for _ in range(per_sheet):
                r = row(workbook, sheet.name, n, layouts)
                r["national_id"] = national_id(student)
                rows[sheet.name].append(r)
                for column in sheet.file_columns:
                    if r.get(column.key):
                        files.append(PackageFile(r[column.key], _constant(PDF if column.media == "document" else MP4)))
                n += 1
    return rows, files


def _constant(data: bytes) -> Any:
    def open_() -> Iterator[bytes]:
        yield data

    return open_


def chunks(data: bytes, size: int = 65536) -> Iterable[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))
