"""Spreadsheet formula injection (CSV injection): neutralise on export, flag on import. One place.

A spreadsheet program opening a CSV or workbook runs a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula (``=HYPERLINK("http://…")``, ``=cmd|' /C calc'!A0``); a leading tab or carriage
return hides such a start from a quick look. A grade file's subject name, a student's name or a
course code written by anyone can reach a staff member's spreadsheet through an export, so:

- every export the platform writes for spreadsheets passes each text cell through
  :func:`neutralise_cell`, which prefixes a single quote (OWASP "CSV Injection"): the program shows
  the text as typed and runs nothing;
- numbers stay numbers: ``-5`` in a numeric column (an ``int``, ``float`` or ``Decimal`` value) is
  data, not a formula, and is written unchanged; the same ``"-5"`` as *text* is neutralised;
- imports keep the value as it was sent (it is data; it is only dangerous in a spreadsheet) and
  report each such cell with its line and column (:func:`formula_warnings`).

JSON answers are not spreadsheets and carry values unchanged; their consumers are programs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""What a cell may not start with in a spreadsheet export (OWASP CSV injection)."""

WARNING_REASON = "formula_like"
WARNING_EN = "The value starts with = + - @, a tab or a carriage return; it is kept, and exports neutralise it"
WARNING_ZH = "此欄位以 = + - @、定位字元或歸位字元開頭，可能被試算表當成公式執行；已照原值保存，匯出時會加上單引號"


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would run as a formula. Numbers are never formula-like."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise_cell(value: Any) -> Any:
    """The value to write into a spreadsheet cell: formula-like text gets a leading ``'``.

    ``int``/``float``/``Decimal`` (and ``bool``, ``None``, dates) pass unchanged: a negative number
    is data. Only ``str`` values are text cells.
    """
    if is_formula_like(value):
        return "'" + value
    return value


def _cell_text(value: Any) -> str:
    value = neutralise_cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def csv_bytes(columns: Sequence[str], rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> bytes:
    """A CSV export (UTF-8 with BOM, so Excel on zh-TW Windows reads the Chinese) with every text
    cell neutralised; the header is the ``columns`` themselves."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell_text(c) for c in columns])
    for row in rows:
        cells = [row.get(c) for c in columns] if isinstance(row, Mapping) else list(row)
        writer.writerow([_cell_text(c) for c in cells])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


@dataclass(frozen=True, slots=True)
class FormulaWarning:
    """An imported cell that a spreadsheet would run: kept as sent, reported by line and column."""

    line_number: int
    field: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line_number": self.line_number,
            "field": self.field,
            "reason": WARNING_REASON,
            "message": WARNING_EN,
            "message_zh": WARNING_ZH,
        }


def formula_warnings(rows: Iterable[tuple[int, Mapping[str, Any]]]) -> list[FormulaWarning]:
    """One warning per formula-like text cell of ``(line number, {column: value})`` rows."""
    return [
        FormulaWarning(line, column)
        for line, cells in rows
        for column, value in cells.items()
        if is_formula_like(value)
    ]


CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def csv_response(filename: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> Any:
    """A FastAPI response downloading :func:`csv_bytes` as ``filename`` (an attachment, never inline)."""
    from fastapi import Response

    from portfolio_shared.storage.disposition import content_disposition

    return Response(
        csv_bytes(columns, rows),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": content_disposition(filename), "X-Content-Type-Options": "nosniff"},
    )
