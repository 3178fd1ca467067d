"""Spreadsheet formula injection: exports neutralise text cells, imports flag them (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from portfolio_shared.spreadsheet import (
    FORMULA_PREFIXES,
    csv_bytes,
    csv_response,
    formula_warnings,
    is_formula_like,
    neutralise_cell,
)


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_text_starting_like_a_formula_is_prefixed_with_a_quote(prefix: str) -> None:
    value = prefix + 'HYPERLINK("http://evil.example/","click")'
    assert is_formula_like(value)
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["國語文", "A+ class", "x=1", " =1+1", "'=already", "", "5-3", "ＳＵＭ", "＝1"])
def test_other_text_is_unchanged(value: str) -> None:
    assert not is_formula_like(value)
    assert neutralise_cell(value) == value


@pytest.mark.parametrize("number", [-5, -5.5, Decimal("-5"), Decimal("-0.01"), 0, 7])
def test_negative_numbers_are_data_not_formulas(number: object) -> None:
    assert not is_formula_like(number)
    assert neutralise_cell(number) is number


def test_csv_keeps_numbers_and_neutralises_text_even_when_it_looks_numeric() -> None:
    rows = [
        {"subject": '=HYPERLINK("http://x")', "score": Decimal("-5"), "credits": -2, "note": "-5"},
        {"subject": "@SUM(A1)", "score": Decimal("88.50"), "credits": 3, "note": None},
        ("\tcmd", Decimal("1"), 1, "+1"),
    ]
    data = csv_bytes(["subject", "score", "credits", "note"], rows)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    assert parsed == [
        ["subject", "score", "credits", "note"],
        ['\'=HYPERLINK("http://x")', "-5", "-2", "'-5"],
        ["'@SUM(A1)", "88.50", "3", ""],
        ["'\tcmd", "1", "1", "'+1"],
    ]


def test_header_cells_are_neutralised_too() -> None:
    data = csv_bytes(["=A1"], [])
    assert data[3:].decode() == "'=A1\r\n"


def test_import_warnings_name_line_and_column_and_keep_nothing_else() -> None:
    warnings = formula_warnings(
        [(2, {"subject_name": "國語文", "qualitative": "-很好"}), (3, {"subject_name": "=1+1", "qualitative": None})]
    )
    assert [(w.line_number, w.field) for w in warnings] == [(2, "qualitative"), (3, "subject_name")]
    body = warnings[0].as_dict()
    assert body["reason"] == "formula_like" and body["message"] and body["message_zh"]


def test_csv_response_is_an_attachment() -> None:
    response = csv_response("自我檢核.csv", ["a"], [["=1"]])
    assert response.media_type == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.body.endswith(b"'=1\r\n")
