"""Reading a receipt file by hand (the manual adapter, R-SUB-5): the emulator's receipt workbook is
the reference; every refusal names the line and the field, and never repeats a national ID."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from portfolio_central.emulator.receipt import RECEIPT_COLUMNS, write_workbook
from portfolio_central.emulator.store import Submission
from portfolio_submission.domain.receipts_errors import ReceiptFileUnreadable
from portfolio_submission.domain.receipts_file import COLUMNS, MAX_LINES, parse, received_from_json

NID = "A123456789"
SHA = "a" * 64


def test_columns_are_the_emulators() -> None:
    assert COLUMNS == RECEIPT_COLUMNS


def _emulator_workbook(tmp_path: Path) -> bytes:
    s = Submission(
        "sub-1",
        "123456",
        "course_outcomes",
        114,
        0,
        "key-12345678",
        "0" * 64,
        1,
        "b-1",
        201,
        {},
        dt.datetime.now(dt.UTC),
    )
    items = [
        {
            "national_id": NID,
            "sheet": "學期",
            "row": 2,
            "fields": {"course_code": "C1", "subject_name": "國文"},
            "files": [
                {"column": "document_file", "name": "a.pdf", "size": 10, "sha256": SHA},
                {"column": "video_file", "name": "a.mp4", "size": 20, "sha256": "b" * 64},
            ],
        },
        {"national_id": "B223456789", "sheet": "學期", "row": 3, "fields": {"course_code": "C2"}, "files": []},
    ]
    target = tmp_path / "r.xlsx"
    write_workbook(target, s, items, "學生課程學習成果名冊")
    return target.read_bytes()


def test_reads_the_emulators_receipt_workbook(tmp_path: Path) -> None:
    got = parse(_emulator_workbook(tmp_path), "receipt.xlsx")
    assert (got.school_code, got.academic_year, got.semester) == ("123456", 114, 0)
    first, second = got.items
    assert (first.national_id, first.sheet, first.row, first.summary) == (NID, "學期", 2, "國文 / C1")
    assert [(f.column, f.name, f.sha256, f.size) for f in first.files] == [
        ("document_file", "a.pdf", SHA, 10),
        ("video_file", "a.mp4", "b" * 64, 20),
    ]
    assert second.files == () and second.row == 3


def _csv(*rows: list[str]) -> bytes:
    lines = [",".join(COLUMNS)] + [",".join(r) for r in rows]
    return ("\ufeff" + "\r\n".join(lines)).encode()


def row(**over: str) -> list[str]:
    base = dict(
        zip(
            COLUMNS,
            ["123456", "114", "0", "名冊", NID, "學期", "2", "國文", "document_file", "a.pdf", "10", SHA],
            strict=True,
        )
    )
    base.update({k.replace("_", "-"): v for k, v in over.items()})
    return list(base.values())


def test_reads_csv_with_bom() -> None:
    got = parse(_csv(row(), row(**{"列": "3", "檔案名稱": "b.pdf"})), "r.csv")
    assert len(got.items) == 2 and got.line_count == 3


@pytest.mark.parametrize(
    ("over", "line", "field"),
    [
        ({"學年度": "x"}, 2, "學年度"),
        ({"學期": "3"}, 2, "學期"),
        ({"學校代碼": ""}, 2, "學校代碼"),
        ({"身分證號": "12345"}, 2, "身分證號"),
        ({"工作表": ""}, 2, "工作表"),
        ({"列": "1"}, 2, "列"),
        ({"SHA-256": "abc"}, 2, "SHA-256"),
        ({"位元組": "-1"}, 2, "位元組"),
        ({"位元組": "ten"}, 2, "位元組"),
        ({"檔案名稱": ""}, 2, "檔案名稱"),
    ],
)
def test_a_bad_cell_names_line_and_field_and_hides_the_value(over: dict[str, str], line: int, field: str) -> None:
    with pytest.raises(ReceiptFileUnreadable) as err:
        parse(_csv(row(**over)), "r.csv")
    assert err.value.extra["line_number"] == line and err.value.field == field and err.value.rule == "R-SUB-5"
    assert NID not in err.value.detail and NID not in (err.value.detail_zh or "")


def test_the_third_line_is_named_and_a_term_change_refused() -> None:
    with pytest.raises(ReceiptFileUnreadable) as err:
        parse(_csv(row(), row(), row(**{"學年度": "113"})), "r.csv")
    assert err.value.extra["line_number"] == 4 and err.value.field == "學年度"


def test_boundaries_row_two_and_size_zero_accepted() -> None:
    assert parse(_csv(row(**{"列": "2", "位元組": "0"})), "r.csv").items[0].files[0].size == 0


@pytest.mark.parametrize(
    ("data", "name", "field"),
    [
        (b"", "r.csv", "(header)"),
        (b"\xff\xfe\x00", "r.csv", "(encoding)"),
        ("學校代碼,學年度\r\n".encode(), "r.csv", "學期"),
        (",".join(COLUMNS).encode(), "r.csv", "(file)"),
        (b"PK\x03\x04 not really", "r.xlsx", "(file)"),
        (b"whatever", "r.pdf", "(file)"),
    ],
)
def test_unreadable_files(data: bytes, name: str, field: str) -> None:
    with pytest.raises(ReceiptFileUnreadable) as err:
        parse(data, name)
    assert err.value.field == field


def test_a_workbook_without_the_receipt_sheet() -> None:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    book.add_worksheet("Sheet1").write_row(0, 0, COLUMNS)
    book.close()
    with pytest.raises(ReceiptFileUnreadable) as err:
        parse(buf.getvalue(), "r.xlsx")
    assert err.value.field == "(sheet)"


def test_too_many_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    import portfolio_submission.domain.receipts_file as rf

    monkeypatch.setattr(rf, "MAX_LINES", 3)
    assert len(parse(_csv(row(), row(**{"列": "3"})), "r.csv").items) == 2
    with pytest.raises(ReceiptFileUnreadable) as err:
        parse(_csv(row(), row(**{"列": "3"}), row(**{"列": "4"})), "r.csv")
    assert err.value.extra["line_number"] == 4
    assert MAX_LINES == 200_000


def test_json_receipt_items() -> None:
    students: list[dict[str, Any]] = [
        {
            "national_id": NID,
            "items": [
                {
                    "sheet": "學期",
                    "row": 2,
                    "fields": {"course_code": "C1", "credits": 2},
                    "files": [{"column": "document_file", "name": "a.pdf", "size": 1, "sha256": SHA.upper()}],
                }
            ],
        }
    ]
    (item,) = received_from_json(students)
    assert item.fields == {"course_code": "C1", "credits": "2"} and item.files[0].sha256 == SHA


def test_a_csv_line_with_stray_quotes_is_named() -> None:
    data = _csv(row()) + b'\r\n123456,"114"x,0'
    with pytest.raises(ReceiptFileUnreadable) as err:
        parse(data, "r.csv")
    assert err.value.field == "(file)" and err.value.extra["line_number"] == 3
