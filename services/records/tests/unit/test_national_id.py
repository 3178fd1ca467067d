"""National ID number validation and masking (R-DATA-1)."""

import random
import string

import pytest

from portfolio_records.domain.errors import DomainError, InvalidNationalId
from portfolio_records.domain.national_id import (
    LETTER_CODES,
    NationalIdKind,
    check_digit,
    is_valid_national_id,
    mask_national_id,
    national_id_kind,
    validate_national_id,
)
from portfolio_shared.testing.unicode_digits import FULL_WIDTH_ZERO, NAMED_ZEROS, OTHER_ZEROS, in_script, script_name


def reason(raw: str) -> str:
    with pytest.raises(InvalidNationalId) as info:
        validate_national_id(raw)
    return info.value.reason_code


def test_letter_code_table_is_the_standard_one() -> None:
    # R-DATA-1: the late-added letters are out of alphabetical order.
    assert LETTER_CODES["A"] == 10
    assert LETTER_CODES["H"] == 17
    assert LETTER_CODES["I"] == 34
    assert LETTER_CODES["J"] == 18
    assert LETTER_CODES["O"] == 35
    assert LETTER_CODES["P"] == 23
    assert LETTER_CODES["V"] == 29
    assert LETTER_CODES["W"] == 32
    assert LETTER_CODES["X"] == 30
    assert LETTER_CODES["Y"] == 31
    assert LETTER_CODES["Z"] == 33
    assert sorted(LETTER_CODES.values()) == list(range(10, 36))


@pytest.mark.parametrize(
    "value",
    [
        "A123456789",  # the well-known public example
        "B123456780",
        "I123456781",  # I = 34
        "O123456782",  # O = 35
        "W123456789",  # W = 32
        "Z123456780",  # Z = 33
        "F231475660",
    ],
)
def test_valid_citizen_ids(value: str) -> None:
    # Check digits above computed by hand with the weights 1,9,8,7,6,5,4,3,2,1,1.
    assert validate_national_id(value) == value
    assert national_id_kind(value) is NationalIdKind.CITIZEN


def test_generated_ids_validate_for_every_letter_and_sex() -> None:
    rng = random.Random(20250801)
    for letter in string.ascii_uppercase:
        for second in "12ABCD89":
            prefix = letter + second + "".join(rng.choice(string.digits) for _ in range(7))
            value = prefix + check_digit(prefix)
            assert validate_national_id(value) == value
            wrong = prefix + str((int(value[-1]) + 1) % 10)
            assert reason(wrong) == "checksum"


def test_checksum_error() -> None:
    assert reason("A123456788") == "checksum"
    assert reason("I123456789") == "checksum"  # valid only if I were coded 18 (alphabetical)


@pytest.mark.parametrize("value", ["AA00000009", "AC01234567", "FD12345676"])
def test_old_resident_certificate(value: str) -> None:
    # Second letter A-D counts as the last digit of its code (A=10 → 0 ... D=13 → 3).
    assert validate_national_id(value) == value
    assert national_id_kind(value) is NationalIdKind.RESIDENT_OLD


def test_old_resident_check_digit_uses_second_letter_code() -> None:
    assert check_digit("AA0000000") == "9"
    assert check_digit("AB0000000") == "1"  # B → 1, weight 8: 1 + 8 = 9 → 1
    assert reason("AB00000009") == "checksum"


@pytest.mark.parametrize("value", ["A800000014", "A900000016"])
def test_new_resident_certificate(value: str) -> None:
    assert validate_national_id(value) == value
    assert national_id_kind(value) is NationalIdKind.RESIDENT_NEW


def test_empty() -> None:
    assert reason("") == "empty"
    assert reason("   ") == "empty"


def test_surrounding_whitespace_is_removed() -> None:
    assert validate_national_id("  A123456789\t") == "A123456789"


def test_lower_case_is_reported_not_fixed() -> None:
    assert reason("a123456789") == "lower_case"
    assert reason("Ac01234567") == "lower_case"


@pytest.mark.parametrize("value", ["Ａ123456789", "A１２3456789", "A123456789　", "ａ123456789"])
def test_full_width_characters_are_reported_not_converted(value: str) -> None:
    assert reason(value) == "full_width"


@pytest.mark.parametrize("value", ["A12345678", "A1234567890", "A", "A12 3456789"])
def test_wrong_length(value: str) -> None:
    assert reason(value) == "length"


@pytest.mark.parametrize("value", ["1123456789", "A323456789", "AE12345678", "A12345678X", "A12345-789"])
def test_wrong_format(value: str) -> None:
    assert reason(value) == "format"


def test_error_carries_field_rule_and_both_languages() -> None:
    with pytest.raises(InvalidNationalId) as info:
        validate_national_id("A123456788")
    error = info.value
    assert isinstance(error, DomainError)
    assert error.code == "invalid-national-id"
    assert error.field == "national_id"
    assert error.rule == "R-DATA-1"
    assert "check digit" in error.detail_en
    assert "檢查碼" in error.detail_zh
    assert error.extensions()["reason"] == "checksum"
    assert error.title_zh == "身分證明號碼格式錯誤"


def test_is_valid() -> None:
    assert is_valid_national_id("A123456789")
    assert not is_valid_national_id("A123456788")


def test_check_digit_rejects_bad_prefix() -> None:
    with pytest.raises(InvalidNationalId):
        check_digit("A3")


def test_mask() -> None:
    assert mask_national_id("A123456789") == "A12****789"
    assert mask_national_id("AC01234567") == "AC0****567"
    assert mask_national_id("A1234") == "*****"
    assert mask_national_id("") == ""


# -- ASCII only (R-DATA-1): Python's \d and int() take every script's digits --------------------
@pytest.mark.parametrize("zero", OTHER_ZEROS, ids=script_name)
def test_every_other_scripts_digits_are_refused(zero: str) -> None:
    # B123456780 is valid; the same number in Arabic-Indic, Devanagari, mathematical bold ... digits
    # checksums the same under int(), so before this rule it was a second, valid-looking student.
    value = "B1" + in_script("23456780", zero)
    expected = "full_width" if zero == FULL_WIDTH_ZERO else "non_ascii"
    assert reason(value) == expected
    assert not is_valid_national_id(value)


@pytest.mark.parametrize("zero", NAMED_ZEROS, ids=script_name)
def test_one_foreign_digit_is_enough(zero: str) -> None:
    assert reason("A12345678" + in_script("9", zero)) in {"non_ascii", "full_width"}
    assert reason("A" + in_script("1", zero) + "23456789") in {"non_ascii", "full_width"}


def test_non_ascii_letters_are_refused() -> None:
    assert reason("Ä123456789") == "non_ascii"  # not A
    assert reason("Α123456789") == "non_ascii"  # Greek capital alpha looks like A
    assert reason("A123456789\u200b") == "non_ascii"  # zero-width space is not whitespace to strip


def test_non_ascii_is_the_same_422_as_other_bad_forms() -> None:
    with pytest.raises(InvalidNationalId) as info:
        validate_national_id("B1" + in_script("23456780", "\u0660"))
    assert info.value.code == "invalid-national-id"
    assert info.value.field == "national_id"
    assert info.value.rule == "R-DATA-1"
    assert "ASCII" in info.value.detail_en
    assert "半形" in info.value.detail_zh
