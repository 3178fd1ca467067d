"""Every script's decimal digits, for tests that identifiers accept ASCII ``0``-``9`` only (R-DATA-1)."""

from __future__ import annotations

import sys
import unicodedata

# The zero of every run of decimal digits (category Nd) other than ASCII: Arabic-Indic U+0660,
# Devanagari U+0966, Thai U+0E50, full-width U+FF10, mathematical bold U+1D7CE and the rest.
OTHER_ZEROS: tuple[str, ...] = tuple(
    chr(code)
    for code in range(sys.maxunicode + 1)
    if code != 0x30 and unicodedata.category(chr(code)) == "Nd" and unicodedata.digit(chr(code)) == 0
)
FULL_WIDTH_ZERO = "\uff10"
# The ones the security report named, for slower (HTTP) tests that cannot try all of them.
NAMED_ZEROS: tuple[str, ...] = ("\u0660", "\u06f0", "\u0966", "\U0001d7ce", FULL_WIDTH_ZERO)


def in_script(text: str, zero: str) -> str:
    """``text`` with each ASCII digit written in the script whose zero is ``zero``."""
    return "".join(chr(ord(zero) + int(ch)) if "0" <= ch <= "9" else ch for ch in text)


def script_name(zero: str) -> str:
    """A readable test id: ``ARABIC-INDIC`` for U+0660."""
    return unicodedata.name(zero, hex(ord(zero))).replace(" DIGIT ZERO", "").replace(" ", "-")
