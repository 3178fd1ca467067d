"""Identifiers that are matched or submitted stay ASCII (R-DATA-1 and the care it asks for).

Python's ``str.isdigit``, ``int()``, ``Decimal()`` and the regular expression ``\\d`` (in ``re``
without ``re.ASCII`` and in pydantic's Rust patterns) accept every Unicode decimal digit:
Arabic-Indic ``٢``, Devanagari ``२``, mathematical bold ``𝟐`` and about seventy other scripts.
An identifier typed with them is a second spelling of the same student number, course code or
national ID: it would not match the real one, and it would be submitted as typed. So every
identifier is held to explicit ASCII classes (``[0-9]``, ``re.ASCII``).

The one normalisation the platform documents is full-width folding (全形轉半形): a zh-TW input
method easily types ``３０１`` for ``301``. It is done explicitly here rather than with NFKC,
because NFKC would also turn mathematical, circled and superscript digits into ASCII.
"""

from __future__ import annotations

# Full-width ASCII variants U+FF01..U+FF5E and the ideographic space U+3000.
_FULL_WIDTH_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def fold_full_width(value: str) -> str:
    """Replace full-width forms (``Ａ``, ``１``, U+3000) by ASCII; leave every other character."""
    return value.translate(_FULL_WIDTH_TO_ASCII)


def non_ascii_digits(value: str) -> list[str]:
    """The characters of ``value`` that Python counts as digits but that are not ``0``-``9``.

    ``str.isdigit`` covers every decimal digit (category Nd) plus superscript and circled digits;
    CJK numerals such as ``一`` or ``三`` are not digits and may appear in class names.
    """
    return [ch for ch in value if ch.isdigit() and not "0" <= ch <= "9"]


def is_ascii_digits(value: str) -> bool:
    """True for a non-empty string of ASCII ``0``-``9`` only (unlike ``str.isdigit``)."""
    return bool(value) and value.isascii() and value.isdigit()
