"""Cell rules, each at its limit and one past it."""

from __future__ import annotations

import pytest

from portfolio_central import layouts, rules, samples
from portfolio_central.layouts import Column

L = layouts.load()
FMT = L.date_format


def col(**kw: object) -> Column:
    return Column.model_validate({"name": "欄", "key": "k", "type": "text", **kw})


@pytest.mark.parametrize(
    "value,ok",
    [
        ("A123456789", True),
        ("A123456788", False),  # check digit
        ("a123456789", False),
        ("A12345678", False),  # too short
        ("A323456789", False),  # second digit is 1/2 (citizens) or 8/9 (residents)
        ("A800000014", True),  # new resident certificate number
        ("AB00000000", False),
        ("AA00000009", True),  # old resident certificate number
        ("A123456789\n", False),
    ],
)
def test_national_id(value: str, ok: bool) -> None:
    assert rules.national_id_ok(value) is ok
    assert (rules.check(value, col(type="national_id", required=True), FMT) is None) is ok


def test_samples_make_valid_ids() -> None:
    assert all(rules.national_id_ok(samples.national_id(n)) for n in range(500))


def test_max_length_at_and_past_the_limit() -> None:
    c = col(max_length=100, rule="R-FILE-2")
    assert rules.check("字" * 100, c, FMT) is None
    assert rules.check("字" * 101, c, FMT) == ("max-length", "欄 has 101 characters, at most 100")


def test_required() -> None:
    assert rules.check("", col(required=True), FMT) == ("required", "欄 is required")
    assert rules.check("", col(required=False), FMT) is None


def test_code_list() -> None:
    c = col(type="code", codes=["1", "2", "3"])
    assert rules.check("3", c, FMT) is None
    assert rules.check("4", c, FMT) is not None and rules.check("4", c, FMT)[0] == "code-list"  # type: ignore[index]
    assert rules.check("0", c, FMT)[0] == "code-list"  # type: ignore[index]


@pytest.mark.parametrize(
    "text,ok", [("20080229", True), ("20070229", False), ("2008-02-01", False), ("20081301", False), ("0970101", False)]
)
def test_dates(text: str, ok: bool) -> None:
    assert (rules.check(text, col(type="date"), FMT) is None) is ok


def test_integer_range_at_and_past_the_limit() -> None:
    c = col(type="integer", min=0, max=30)
    assert rules.check("30", c, FMT) is None and rules.check("0", c, FMT) is None
    assert rules.check("31", c, FMT)[0] == "range"  # type: ignore[index]
    assert rules.check("-1", c, FMT)[0] == "range"  # type: ignore[index]
    assert rules.check("3.5", c, FMT)[0] == "integer"  # type: ignore[index]


def test_decimal_places_and_range() -> None:
    c = col(type="decimal", min=0, max=100, places=2)
    assert rules.check("100", c, FMT) is None and rules.check("59.75", c, FMT) is None
    assert rules.check("100.01", c, FMT)[0] == "range"  # type: ignore[index]
    assert rules.check("59.755", c, FMT)[0] == "decimal"  # type: ignore[index]
    assert rules.check("NaN", c, FMT)[0] == "decimal"  # type: ignore[index]
    assert rules.check("abc", c, FMT)[0] == "decimal"  # type: ignore[index]


def test_url_pattern_and_file_names() -> None:
    assert rules.check("https://example.org/a", col(type="url"), FMT) is None
    assert rules.check("javascript:alert(1)", col(type="url"), FMT)[0] == "url"  # type: ignore[index]
    assert rules.check("999001", col(pattern="^[0-9]{6}$"), FMT) is None
    assert rules.check("99900", col(pattern="^[0-9]{6}$"), FMT)[0] == "pattern"  # type: ignore[index]
    f = col(type="file", media="document")
    assert rules.check("a.pdf", f, FMT) is None
    assert rules.check("../a.pdf", f, FMT)[0] == "file-name"  # type: ignore[index]


def test_messages_never_repeat_a_national_id() -> None:
    broken = rules.check("A123456788", col(type="national_id"), FMT)
    assert broken is not None and "A123456788" not in broken[1]


def test_cell_text_of_hand_made_cells() -> None:
    import datetime as dt

    assert rules.cell_text(4.0, FMT) == "4"
    assert rules.cell_text(dt.date(2008, 5, 1), FMT) == "20080501"
    assert rules.cell_text(None, FMT) == ""
    assert rules.cell_text(" x ", FMT) == "x"


def test_only_ascii_digits_count() -> None:
    """Full-width digits (１００) are not numbers, dates or IDs here: int()/Decimal()/strptime would
    read them, so the rules match [0-9] first (the team's identifier rule)."""
    assert rules.check("１００", col(type="decimal", min=0, max=100), FMT)[0] == "decimal"  # type: ignore[index]
    assert rules.check("３", col(type="integer"), FMT)[0] == "integer"  # type: ignore[index]
    assert rules.check("２００８０１０１", col(type="date"), FMT)[0] == "date"  # type: ignore[index]
    assert not rules.national_id_ok("A１２３４５６７８９")
