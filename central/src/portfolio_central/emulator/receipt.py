"""The receipt (收訖明細): per student, as the central database keys them (national ID), every item
received with each file's SHA-256 — as JSON and as a workbook a school can import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter

from .store import Submission

RECEIPT_COLUMNS = (
    "學校代碼",
    "學年度",
    "學期",
    "名冊",
    "身分證號",
    "工作表",
    "列",
    "項目",
    "檔案欄位",
    "檔案名稱",
    "位元組",
    "SHA-256",
)
_SUMMARY_KEYS = ("subject_name", "course_code", "description", "name", "competition", "unit", "position")


def local(value: dt.datetime, tz: str) -> str:
    """RFC 3339 in the school's zone (Asia/Taipei)."""
    return value.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")


def summary(fields: dict[str, str]) -> str:
    return " / ".join(fields[k] for k in _SUMMARY_KEYS if fields.get(k))


def as_json(s: Submission, items: list[dict[str, Any]], tz: str) -> dict[str, Any]:
    students: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        fields = {k: v for k, v in item["fields"].items() if k != "national_id"}
        students.setdefault(item["national_id"], []).append(
            {"sheet": item["sheet"], "row": item["row"], "fields": fields, "files": item["files"]}
        )
    return {
        "submission_id": s.id,
        "school_code": s.school_code,
        "kind": s.kind,
        "academic_year": s.academic_year,
        "semester": s.semester,
        "batch_id": s.batch_id,
        "received_at": local(s.received_at, tz),
        "package_sha256": s.package_sha256,
        "student_count": len(students),
        "item_count": len(items),
        "students": [{"national_id": nid, "items": rows} for nid, rows in sorted(students.items())],
    }


def write_workbook(target: Path, s: Submission, items: list[dict[str, Any]], title: str) -> None:
    """One row per received file (an item without files still gets its row), constant memory."""
    book = xlsxwriter.Workbook(
        str(target),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    try:
        ws = book.add_worksheet("收訖明細")
        ws.write_row(0, 0, RECEIPT_COLUMNS)
        line = 1
        for item in items:
            head = [
                s.school_code,
                str(s.academic_year),
                str(s.semester),
                title,
                item["national_id"],
                item["sheet"],
                str(item["row"]),
                summary(item["fields"]),
            ]
            for f in item["files"] or [None]:
                tail = [f["column"], f["name"], str(f["size"]), f["sha256"]] if f else ["", "", "", ""]
                ws.write_row(line, 0, head + tail)
                line += 1
    finally:
        book.close()
