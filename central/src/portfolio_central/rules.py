"""Cell rules of the central database's workbooks, driven by a :class:`~.layouts.Column`.

A value is checked as the text a workbook cell holds; every refusal is a :class:`Violation` naming
workbook, sheet, row, column and rule, so a school can find the cell. Messages never repeat the
value: a cell may hold a national ID, which must not end up in logs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .layouts import Column

# The check letter's value in a national ID / resident certificate number (內政部 rules).
_LETTER_VALUES = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True))
_NATIONAL_ID = re.compile(r"[A-Z][12389ABCD][0-9]{8}")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class Violation:
    """One refused thing, located as precisely as the package allows (row is the sheet's row
    number as a spreadsheet shows it, header = 1)."""

    rule: str
    message: str
    workbook: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    domain_rule: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def national_id_ok(value: str) -> bool:
    """Taiwan national ID (A123456789) or resident certificate number, old (AB12345678) and new
    (A812345678) forms, with the check digit."""
    if not _NATIONAL_ID.fullmatch(value):  # fullmatch: "$" would let a trailing newline through
        return False
    first = _LETTER_VALUES[value[0]]
    second = value[1]
    if second.isalpha():  # old resident certificate: the second letter counts by its last digit
        digits = [_LETTER_VALUES[second] % 10] + [int(d) for d in value[2:]]
    else:
        digits = [int(d) for d in value[1:]]
    total = (
        first // 10 + (first % 10) * 9 + sum(d * w for d, w in zip(digits, (8, 7, 6, 5, 4, 3, 2, 1, 1), strict=True))
    )
    return total % 10 == 0


def cell_text(value: Any, date_format: str) -> str:
    """What a workbook cell holds, as the text the rules check (numbers written by hand in Excel
    come back as floats, dates as dates)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime(date_format)
    return str(value).strip()


def to_cell(value: Any, column: Column, date_format: str) -> str:
    """What a writer puts in a cell: always text, so codes keep their leading zeros."""
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime) and column.type == "date":
        return value.strftime(date_format)
    return cell_text(value, date_format)


def check(text: str, column: Column, date_format: str) -> tuple[str, str] | None:
    """The first rule ``text`` breaks in ``column`` as (rule, message), or None."""
    if text == "":
        return ("required", f"{column.name} is required") if column.required else None
    if column.max_length is not None and len(text) > column.max_length:
        return "max-length", f"{column.name} has {len(text)} characters, at most {column.max_length}"
    kind = column.type
    if kind == "national_id" and not national_id_ok(text):
        return "national-id", f"{column.name} is not a valid national ID or resident certificate number"
    if kind == "code" and text not in (column.codes or ()):
        return "code-list", f"{column.name} must be one of {', '.join(column.codes or ())}"
    if kind == "date":
        try:
            parsed = dt.datetime.strptime(text, date_format)
        except ValueError:
            parsed = None
        # The round trip refuses what strptime forgives (a 3-digit ROC year read as year 970).
        if parsed is None or parsed.strftime(date_format) != text or parsed.year < 1900:
            return "date", f"{column.name} is not a date in the form {date_format}"
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]+", text):
            return "integer", f"{column.name} must be a whole number"
        if (problem := _range(int(text), column)) is not None:
            return problem
    if kind == "decimal":
        # ASCII digits only: Decimal() would also read full-width or other scripts' digits.
        if not _DECIMAL.fullmatch(text):
            return "decimal", f"{column.name} must be a number"
        try:
            number = Decimal(text)
        except InvalidOperation:
            return "decimal", f"{column.name} must be a number"
        exponent = number.as_tuple().exponent
        if column.places is not None and isinstance(exponent, int) and -exponent > column.places:
            return "decimal", f"{column.name} has more than {column.places} decimal places"
        if (problem := _range(float(number), column)) is not None:
            return problem
    if kind == "url" and not _URL.fullmatch(text):
        return "url", f"{column.name} must be an http(s) address"
    if kind == "file" and ("/" in text or "\\" in text or text in (".", "..")):
        return "file-name", f"{column.name} names a file in the workbook's folder, without a path"
    if column.pattern is not None and not re.fullmatch(column.pattern, text):
        return "pattern", f"{column.name} does not have the required form"
    return None


def _range(number: float, column: Column) -> tuple[str, str] | None:
    if column.min is not None and number < column.min:
        return "range", f"{column.name} must be at least {column.min:g}"
    if column.max is not None and number > column.max:
        return "range", f"{column.name} must be at most {column.max:g}"
    return None
