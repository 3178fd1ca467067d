"""Reading a receipt file (收訖明細) that an office imports by hand (the manual adapter, R-SUB-5).

The reference format is the receipt workbook of the central-database emulator
(``GET /api/v1/submissions/{id}/receipt.xlsx``): sheet 收訖明細, one header row, then one row per
received file (an item without files has one row with the file columns empty). The same columns as
CSV (UTF-8, with or without BOM) are read too. Every problem names the line (1 = the header) and
the field; a file with any problem is refused whole — nothing is half-imported. A cell's value is
never repeated in a message (the 身分證號 column holds national IDs).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from python_calamine import CalamineWorkbook

from .receipts import FileSeen, ReceivedItem
from .receipts_errors import ReceiptFileUnreadable

COLUMNS: tuple[str, ...] = (
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
SHEET = "收訖明細"
MAX_LINES = 200_000
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NATIONAL_ID = re.compile(r"^[A-Z][A-Z0-9][0-9]{8}$")


@dataclass(frozen=True, slots=True)
class ReceiptFile:
    school_code: str
    academic_year: int
    semester: int
    items: tuple[ReceivedItem, ...]
    line_count: int


def _problem(line: int, column: str, why: str, why_zh: str) -> ReceiptFileUnreadable:
    return ReceiptFileUnreadable(
        f"line {line}, field {column}: {why}",
        f"第 {line} 列「{column}」欄：{why_zh}",
        field=column,
        extra={"line_number": line, "column": column},
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(data: bytes, filename: str) -> Iterator[list[str]]:
    name = filename.lower()
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise _problem(line, "(encoding)", "not UTF-8 text", "不是 UTF-8 文字") from exc
        reader = csv.reader(io.StringIO(text), strict=True)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # stray quotes: the line cannot be split into its cells
                raise _problem(reader.line_num, "(file)", "not a readable CSV line", "無法讀取的 CSV 資料列") from exc
            yield [_text(c) for c in cells]
    if not name.endswith((".xlsx", ".xls", ".ods")):
        raise _problem(1, "(file)", "a receipt file is .xlsx or .csv", "收訖明細檔案須為 .xlsx 或 .csv")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if SHEET not in book.sheet_names:
            raise _problem(1, "(sheet)", f"the workbook has no sheet {SHEET}", f"活頁簿沒有「{SHEET}」工作表")
        rows = book.get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    except ReceiptFileUnreadable:
        raise
    except Exception as exc:  # calamine refuses a broken workbook with its own errors
        raise _problem(1, "(file)", "not a readable workbook", "不是可讀取的活頁簿") from exc
    for raw in rows:
        yield [_text(c) for c in raw]


def parse(data: bytes, filename: str) -> ReceiptFile:
    """The receipt file's items, or ReceiptFileUnreadable naming the first bad line and field."""
    rows = _rows(data, filename)
    header = next(rows, None)
    if header is None:
        raise _problem(1, "(header)", "the file is empty", "檔案是空的")
    header = [h for h in header]
    while header and header[-1] == "":
        header.pop()
    if tuple(header) != COLUMNS:
        wrong = next((c for i, c in enumerate(COLUMNS) if i >= len(header) or header[i] != c), "(header)")
        raise _problem(1, wrong, "the header must list the receipt's columns in order", "標題列須依序列出收訖明細欄位")
    school: tuple[str, int, int] | None = None
    grouped: dict[tuple[str, str, int], list[FileSeen]] = {}
    summaries: dict[tuple[str, str, int], str] = {}
    line = 1
    for cells in rows:
        line += 1
        if line > MAX_LINES:
            raise _problem(line, "(file)", f"more than {MAX_LINES} lines", f"超過 {MAX_LINES} 列")
        if not any(cells):
            continue
        cells = (cells + [""] * len(COLUMNS))[: len(COLUMNS)]
        row = dict(zip(COLUMNS, cells, strict=True))
        term = (row["學校代碼"], _int(row, "學年度", line), _int(row, "學期", line))
        if not term[0]:
            raise _problem(line, "學校代碼", "required", "必填")
        if term[2] not in (0, 1, 2):
            raise _problem(line, "學期", "0, 1 or 2", "須為 0、1 或 2")
        if school is None:
            school = term
        elif term != school:
            field = "學校代碼" if term[0] != school[0] else ("學年度" if term[1] != school[1] else "學期")
            raise _problem(line, field, "differs from the first line's", "與第一筆資料不同")
        nid = row["身分證號"].upper()
        if not _NATIONAL_ID.match(nid):
            raise _problem(line, "身分證號", "not a national ID", "身分證號格式不正確")
        if not row["工作表"]:
            raise _problem(line, "工作表", "required", "必填")
        at = _int(row, "列", line)
        if at < 2:
            raise _problem(line, "列", "a data row is 2 or more", "資料列須為 2 以上")
        key = (nid, row["工作表"], at)
        summaries.setdefault(key, row["項目"])
        files = grouped.setdefault(key, [])
        if row["檔案名稱"] or row["檔案欄位"] or row["SHA-256"]:
            for col in ("檔案欄位", "檔案名稱", "SHA-256"):
                if not row[col]:
                    raise _problem(line, col, "required when the row names a file", "列有檔案時必填")
            if not _SHA256.match(row["SHA-256"].lower()):
                raise _problem(line, "SHA-256", "64 hexadecimal digits", "須為 64 位十六進位數字")
            size = _int(row, "位元組", line)
            if size < 0:
                raise _problem(line, "位元組", "0 or more", "須為 0 以上")
            files.append(FileSeen(row["檔案欄位"], row["檔案名稱"], row["SHA-256"].lower(), size))
    if school is None:
        raise _problem(2, "(file)", "the receipt lists no item", "收訖明細沒有任何項目")
    items = tuple(
        ReceivedItem(national_id=k[0], sheet=k[1], row=k[2], fields=None, files=tuple(f), summary=summaries[k])
        for k, f in grouped.items()
    )
    return ReceiptFile(school[0], school[1], school[2], items, line)


def _int(row: dict[str, str], column: str, line: int) -> int:
    try:
        return int(row[column])
    except ValueError:
        raise _problem(line, column, "a whole number", "須為整數") from None


def received_from_json(students: Sequence[Mapping[str, Any]]) -> list[ReceivedItem]:
    """Items of the emulator's JSON receipt (``students[].items[]``), fields and files included."""
    out: list[ReceivedItem] = []
    for student in students:
        nid = str(student["national_id"])
        for item in student["items"]:
            fields = {str(k): _text(v) for k, v in dict(item["fields"]).items()}
            files = tuple(
                FileSeen(str(f["column"]), str(f["name"]), str(f["sha256"]).lower(), int(f["size"]))
                for f in item["files"] or ()
            )
            out.append(ReceivedItem(nid, str(item["sheet"]), int(item["row"]), fields, files))
    return out
