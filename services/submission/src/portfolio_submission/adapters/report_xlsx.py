"""The pre-check report as a workbook, written by xlsxwriter in constant-memory mode to a temporary
file (streamed to the client from there, then removed): never the whole report in memory."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any

import xlsxwriter

from portfolio_shared.spreadsheet import neutralise_cell

COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "序號"),
    ("student_id", "學生 (platform id)"),
    ("student_name", "姓名"),
    ("class_name", "班級"),
    ("seat_number", "座號"),
    ("sheet", "工作表"),
    ("row_number", "列"),
    ("field", "欄位"),
    ("rule", "規則"),
    ("domain_rule", "法規條目"),
    ("message", "說明"),
)


def write_report(findings: Iterable[Mapping[str, Any]], exclusions: Iterable[Mapping[str, Any]], *, tag: str) -> str:
    """Write the report to a new temporary file named after ``tag`` and return its path (the caller
    removes it)."""
    handle, path = tempfile.mkstemp(prefix=f"precheck-{tag}-", suffix=".xlsx")
    os.close(handle)
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    try:
        sheet = book.add_worksheet("檢核結果")
        bold = book.add_format({"bold": True})
        for col, (_, title) in enumerate(COLUMNS):
            sheet.write_string(0, col, title, bold)
        for r, finding in enumerate(findings, start=1):
            for col, (key, _) in enumerate(COLUMNS):
                _cell(sheet, r, col, finding.get(key))
        excluded = book.add_worksheet("排除學生")
        for col, title in enumerate(("學生 (platform id)", "排除者", "排除時間 (UTC)", "原因")):
            excluded.write_string(0, col, title, bold)
        for r, row in enumerate(exclusions, start=1):
            for col, key in enumerate(("student_id", "excluded_by", "excluded_at", "reason")):
                _cell(excluded, r, col, row.get(key))
    finally:
        book.close()
    return path


def _cell(sheet: Any, row: int, col: int, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_string(row, col, "1" if value else "0")
    elif isinstance(value, int):
        sheet.write_number(row, col, value)
    else:
        # Text is written as text, neutralised: a name or a message starting with "=" is no formula.
        sheet.write_string(row, col, str(neutralise_cell(str(value))))
