"""Taiwan national ID numbers (身分證明號碼), part of basic data (R-DATA-1).

Three formats are accepted, all ten characters long:

- citizen ID (國民身分證統一編號): area letter, sex digit ``1``/``2``, eight digits;
- old resident certificate number (舊式居留證統一證號, before 2021): area letter, a second
  letter ``A``–``D`` (sex), eight digits;
- new resident certificate number (新式統一證號, since 2021): area letter, ``8``/``9`` (sex),
  eight digits.

The check digit is the last digit. The area letter is replaced by its two-digit code from the
table below and the sum ``d1*1 + d2*9 + c2*8 + c3*7 + ... + c9*1 + c10*1`` must be a multiple of
ten. For the old resident format the second letter counts as the last digit of its own code
(A=10 → 0, B=11 → 1, C=12 → 2, D=13 → 3).

Input is never silently repaired: full-width characters (Ａ, １) and lower-case letters are
reported with their own reason codes so the person typing can fix them; only surrounding ASCII
whitespace is stripped.

Only ASCII letters and digits are accepted (R-DATA-1). Python's ``\\d``, ``str.isdigit`` and
``int()`` also accept Arabic-Indic (``٢``), Devanagari (``२``), mathematical bold (``𝟐``) and
every other Unicode decimal digit; such a number would be a second student for the same person
and would be submitted as it was typed. Full-width forms are refused with reason ``full_width``
(the typist knows what to fix), every other non-ASCII character with reason ``non_ascii``; both
are the same 422 ``invalid-national-id``. The blind index folds full-width forms only (see
``domain.crypto.normalise_lookup_value``), never NFKC's other compatibility digits.
"""

from __future__ import annotations

import enum
import re
import unicodedata

from portfolio_records.domain.errors import InvalidNationalId

# The standard area-letter code table. The letters added later keep codes out of order:
# I=34, O=35, W=32, X=30, Y=31, Z=33.
LETTER_CODES: dict[str, int] = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17,
    "I": 34, "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23,
    "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30,
    "Y": 31, "Z": 33,
}  # fmt: skip

# Weights of positions 2..10 (the second character through the check digit).
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1, 1)

# Explicit ASCII classes: ``\d`` would match any Unicode decimal digit (R-DATA-1).
_CITIZEN = re.compile(r"[A-Z][12][0-9]{8}", re.ASCII)
_RESIDENT_OLD = re.compile(r"[A-Z][A-D][0-9]{8}", re.ASCII)
_RESIDENT_NEW = re.compile(r"[A-Z][89][0-9]{8}", re.ASCII)

_ID_LENGTH = 10
_ASCII_WHITESPACE = " \t\r\n\f\v"


class NationalIdKind(enum.StrEnum):
    """Which of the three formats a valid number has."""

    CITIZEN = "citizen"
    RESIDENT_OLD = "resident_old"
    RESIDENT_NEW = "resident_new"


def _kind_of(value: str) -> NationalIdKind | None:
    if _CITIZEN.fullmatch(value):
        return NationalIdKind.CITIZEN
    if _RESIDENT_NEW.fullmatch(value):
        return NationalIdKind.RESIDENT_NEW
    if _RESIDENT_OLD.fullmatch(value):
        return NationalIdKind.RESIDENT_OLD
    return None


def _weighted_sum(value: str) -> int:
    """Checksum sum over all ten characters of a well-formed number (any of the three kinds)."""
    area = LETTER_CODES[value[0]]
    total = (area // 10) * 1 + (area % 10) * 9
    second = value[1]
    second_digit = LETTER_CODES[second] % 10 if second.isalpha() else int(second)
    digits = (second_digit, *(int(c) for c in value[2:]))
    return total + sum(d * w for d, w in zip(digits, _WEIGHTS, strict=True))


def check_digit(first_nine: str) -> str:
    """The check digit that completes ``first_nine`` (letter, second char, seven digits).

    Useful to generate valid test numbers; raises ``InvalidNationalId`` (format) on a bad prefix.
    """
    candidate = first_nine + "0"
    if _kind_of(candidate) is None:
        raise InvalidNationalId(
            "format",
            f"{first_nine!r} is not the first nine characters of a national ID number",
            f"「{first_nine}」不是身分證明號碼的前九碼",
        )
    return str((10 - _weighted_sum(candidate) % 10) % 10)


def _has_full_width(value: str) -> bool:
    # East-Asian width "F" covers full-width Latin letters, digits, punctuation and U+3000.
    return any(unicodedata.east_asian_width(ch) == "F" for ch in value)


def validate_national_id(raw: str) -> str:
    """Validate a national ID number and return it normalised (surrounding whitespace removed).

    Raises ``InvalidNationalId`` with reason ``empty``, ``full_width``, ``non_ascii``,
    ``lower_case``, ``length``, ``format`` or ``checksum``, checked in that order (R-DATA-1).
    """
    value = (raw or "").strip(_ASCII_WHITESPACE)
    if not value:
        raise InvalidNationalId("empty", "The national ID number is required", "請填寫身分證明號碼")
    if _has_full_width(value):
        raise InvalidNationalId(
            "full_width",
            "The national ID number contains full-width characters; type it with half-width letters and digits",
            "身分證明號碼含有全形字元，請改用半形英數字輸入",
        )
    if not value.isascii():
        raise InvalidNationalId(
            "non_ascii",
            "The national ID number may contain only ASCII letters A-Z and digits 0-9",
            "身分證明號碼只能包含半形英文字母 A-Z 與數字 0-9",
        )
    if any("a" <= ch <= "z" for ch in value):
        raise InvalidNationalId(
            "lower_case",
            "The letters of the national ID number must be upper case",
            "身分證明號碼的英文字母須為大寫",
        )
    if len(value) != _ID_LENGTH:
        raise InvalidNationalId(
            "length",
            f"The national ID number must be 10 characters long, not {len(value)}",
            f"身分證明號碼應為 10 碼，目前為 {len(value)} 碼",
        )
    if _kind_of(value) is None:
        raise InvalidNationalId(
            "format",
            "The national ID number must be a letter, then 1, 2, 8, 9 or a letter A-D, then 8 digits",
            "身分證明號碼格式應為：1 個英文字母，接 1、2、8、9 或 A-D，再接 8 位數字",
        )
    if _weighted_sum(value) % 10 != 0:
        raise InvalidNationalId(
            "checksum",
            "The national ID number's check digit is wrong; please check for a typing error",
            "身分證明號碼檢查碼錯誤，請確認是否輸入錯誤",
        )
    return value


def is_valid_national_id(raw: str) -> bool:
    """True when ``validate_national_id`` would accept ``raw``."""
    try:
        validate_national_id(raw)
    except InvalidNationalId:
        return False
    return True


def national_id_kind(raw: str) -> NationalIdKind:
    """The format of a valid number; raises ``InvalidNationalId`` for an invalid one."""
    kind = _kind_of(validate_national_id(raw))
    assert kind is not None  # validate_national_id guarantees a known format
    return kind


def mask_national_id(value: str) -> str:
    """Mask the middle of a number for display and logs: ``A123456789`` → ``A12****789``.

    Short or odd inputs are masked completely rather than leaking most of the value.
    """
    value = value.strip(_ASCII_WHITESPACE)
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 6) + value[-3:]
