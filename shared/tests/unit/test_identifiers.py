"""ASCII identifiers (R-DATA-1 care): full-width folding only, every other script's digits seen."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from portfolio_shared.events.identity import SchoolCreated
from portfolio_shared.identifiers import fold_full_width, is_ascii_digits, non_ascii_digits
from portfolio_shared.testing.unicode_digits import FULL_WIDTH_ZERO, OTHER_ZEROS, in_script, script_name


def test_full_width_forms_fold_to_ascii() -> None:
    assert fold_full_width("Ａ１２３\u3000ｂ－") == "A123 b-"
    assert fold_full_width("高三１班") == "高三1班"


@pytest.mark.parametrize("zero", [z for z in OTHER_ZEROS if z != FULL_WIDTH_ZERO], ids=script_name)
def test_other_digits_are_not_folded_but_found(zero: str) -> None:
    # NFKC would turn mathematical bold 𝟑 into 3; this fold must not (only full-width forms).
    text = in_script("301", zero)
    assert fold_full_width(text) == text
    assert non_ascii_digits("高三" + text) == list(text)
    assert not is_ascii_digits(text)
    assert text.isdigit()  # what str.isdigit would have let through


def test_cjk_numerals_and_ascii_are_not_foreign_digits() -> None:
    assert non_ascii_digits("三年一班 301") == []
    assert non_ascii_digits("①²") == ["①", "²"]
    assert is_ascii_digits("0123456789")
    assert not is_ascii_digits("")


@pytest.mark.parametrize("zero", OTHER_ZEROS, ids=script_name)
def test_school_code_in_events_is_six_ascii_digits(zero: str) -> None:
    # pydantic patterns run on Rust regex, where \d is Unicode-wide as well.
    SchoolCreated(school_id="s", school_code="313302", name="n", district_id="d")
    with pytest.raises(ValidationError):
        SchoolCreated(school_id="s", school_code=in_script("313302", zero), name="n", district_id="d")
