"""Password hashing (argon2id) and the password policy (密碼原則).

Parameters meet OWASP's argon2id minimum (19 MiB memory, 2 iterations, 1 lane). Hashes carry
their parameters, so raising them later only needs `needs_rehash` at the next successful login.
Passwords are NFC-normalised before hashing so that the same text in composed or decomposed
Unicode form (different operating systems and input methods differ) gives the same hash.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Final

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ARGON2_MEMORY_COST_KIB: Final = 19_456
ARGON2_TIME_COST: Final = 2
ARGON2_PARALLELISM: Final = 1
ARGON2_HASH_LEN: Final = 32
ARGON2_SALT_LEN: Final = 16

MIN_PASSWORD_LENGTH: Final = 10
MAX_PASSWORD_LENGTH: Final = 256
"""Upper bound so that a login request cannot make the server hash megabytes."""

_HASHER: Final = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_COST_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=ARGON2_HASH_LEN,
    salt_len=ARGON2_SALT_LEN,
    type=Type.ID,
)


def _normalise(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def hash_password(password: str) -> str:
    """An argon2id hash (PHC string, salt and parameters included) of `password`."""
    return _HASHER.hash(_normalise(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`; False on mismatch or a malformed hash."""
    try:
        return _HASHER.verify(password_hash, _normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash uses other parameters than the current ones (or cannot be parsed)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("dummy password for unknown accounts")


def verify_against_dummy(password: str) -> bool:
    """Spend the same time as a real verification; always False.

    Call it when the login name is unknown so that response time does not reveal which
    accounts exist.
    """
    verify_password(_dummy_hash(), password)
    return False


class PasswordViolationCode(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    ALL_DIGITS = "all_digits"
    EQUALS_LOGIN_NAME = "equals_login_name"
    BLANK_EDGES = "blank_edges"
    COMMON = "common_password"
    BUILT_FROM_NAMES = "built_from_login_or_school"
    REPEATED = "too_few_distinct_characters"


@dataclass(frozen=True, slots=True)
class PasswordViolation:
    """One way a password fails the policy, with messages in English and zh-TW."""

    code: PasswordViolationCode
    message_en: str
    message_zh: str

    def __str__(self) -> str:
        return self.message_en


MIN_DISTINCT_CHARACTERS: Final = 4
_NOT_ALNUM = re.compile(r"[\W_]+")


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of 20,000 common and breached passwords (ASVS V6; see the LICENSE file)."""
    data = resources.files(__package__).joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(line.strip() for line in gzip.decompress(data).decode().splitlines() if line.strip())


def _squeeze(text: str) -> str:
    return _NOT_ALNUM.sub("", _normalise(text).casefold())


def _built_from(folded: str, names: Iterable[str]) -> bool:
    """True when the password is one of `names` plus little else: digits (a year, a birthday),
    a common password, or fewer than six more letters ("chen.teacher2025", "330301abcd")."""
    squeezed = _squeeze(folded)
    for name in names:
        term = _squeeze(name)
        if len(term) < 3:
            continue
        for variant in (term, term[::-1]):
            if variant in squeezed:
                rest = squeezed.replace(variant, "")
                if len(rest) < 6 or rest.isdigit() or rest in common_passwords():
                    return True
    return False


def _names_of(login_name: str, context: Iterable[str]) -> list[str]:
    """The login, its parts ("wang.xm" → "wang"), and the school's code and name."""
    login = _normalise(login_name).strip()
    parts = [p for p in re.split(r"[._@\-\s]+", login) if len(p) >= 4]
    return [login, *parts, *(c for c in context if c)]


def check_password_policy(password: str, login_name: str = "", context: Iterable[str] = ()) -> list[PasswordViolation]:
    """Every policy violation of `password` (empty when it is acceptable).

    Policy: at least 10 characters, at most 256, not digits only (e.g. a birthday or phone
    number), not the login name (case-insensitive, reversed too), no leading or trailing blanks;
    and (ASVS V6) not on the bundled list of common and breached passwords, not built from the
    login name or the school's name or code (`context`), at least four distinct characters.
    """
    normalised = _normalise(password)
    violations: list[PasswordViolation] = []
    if len(normalised) < MIN_PASSWORD_LENGTH:
        violations.append(
            PasswordViolation(
                PasswordViolationCode.TOO_SHORT,
                f"must be at least {MIN_PASSWORD_LENGTH} characters",
                f"長度至少 {MIN_PASSWORD_LENGTH} 個字元",
            )
        )
    if len(normalised) > MAX_PASSWORD_LENGTH:
        violations.append(
            PasswordViolation(
                PasswordViolationCode.TOO_LONG,
                f"must be at most {MAX_PASSWORD_LENGTH} characters",
                f"長度不可超過 {MAX_PASSWORD_LENGTH} 個字元",
            )
        )
    if normalised and normalised.isdigit():
        violations.append(
            PasswordViolation(PasswordViolationCode.ALL_DIGITS, "must not be digits only", "不可全為數字")
        )
    login = _normalise(login_name).strip().casefold()
    folded = normalised.strip().casefold()
    if login and folded in (login, login[::-1]):
        violations.append(
            PasswordViolation(PasswordViolationCode.EQUALS_LOGIN_NAME, "must not be the login name", "不可與帳號相同")
        )
    if normalised != normalised.strip():
        violations.append(
            PasswordViolation(
                PasswordViolationCode.BLANK_EDGES,
                "must not start or end with a blank",
                "開頭或結尾不可為空白",
            )
        )
    if len(normalised) < MIN_PASSWORD_LENGTH:
        return violations  # too short already says it; the lists below are about guessable long ones
    if folded in common_passwords():
        violations.append(
            PasswordViolation(
                PasswordViolationCode.COMMON,
                "is on the list of common or breached passwords",
                "屬於常見或已外洩的密碼",
            )
        )
    if len(set(folded)) < MIN_DISTINCT_CHARACTERS:
        violations.append(
            PasswordViolation(
                PasswordViolationCode.REPEATED,
                f"must use at least {MIN_DISTINCT_CHARACTERS} different characters",
                f"至少須包含 {MIN_DISTINCT_CHARACTERS} 種不同字元",
            )
        )
    equals_login = any(v.code is PasswordViolationCode.EQUALS_LOGIN_NAME for v in violations)
    if not equals_login and _built_from(folded, _names_of(login_name, context)):
        violations.append(
            PasswordViolation(
                PasswordViolationCode.BUILT_FROM_NAMES,
                "must not be built from the login name or the school's name or code",
                "不可由帳號或學校名稱、代碼組成",
            )
        )
    return violations
