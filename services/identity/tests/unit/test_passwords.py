"""argon2id password hashing and the password policy."""

from argon2 import extract_parameters
from argon2.low_level import Type

from portfolio_identity.domain.passwords import (
    PasswordViolationCode,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_against_dummy,
    verify_password,
)


def test_hash_uses_argon2id_with_at_least_owasp_parameters() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    params = extract_parameters(hashed)
    assert params.type is Type.ID
    assert params.memory_cost >= 19_456
    assert params.time_cost >= 2
    assert params.parallelism == 1


def test_hashes_are_salted() -> None:
    assert hash_password("correct horse battery") != hash_password("correct horse battery")


def test_verify_returns_bool_and_never_raises() -> None:
    hashed = hash_password("correct horse battery")
    assert verify_password(hashed, "correct horse battery") is True
    assert verify_password(hashed, "wrong horse battery") is False
    assert verify_password("not a hash", "correct horse battery") is False
    assert verify_password("", "") is False
    assert verify_against_dummy("anything") is False


def test_unicode_forms_verify_alike() -> None:
    hashed = hash_password("caf\u00e9-密碼-2025")
    assert verify_password(hashed, "cafe\u0301-密碼-2025")


def test_needs_rehash() -> None:
    assert needs_rehash(hash_password("correct horse battery")) is False
    weak = "$argon2id$v=19$m=8192,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$" + "A" * 43
    assert needs_rehash(weak) is True
    assert needs_rehash("garbage") is True


def _codes(password: str, login: str = "wang.xm") -> set[PasswordViolationCode]:
    return {v.code for v in check_password_policy(password, login)}


def test_policy_accepts_a_good_password() -> None:
    assert check_password_policy("tea-and-mooncakes", "wang.xm") == []


def test_policy_violations() -> None:
    assert _codes("short1") == {PasswordViolationCode.TOO_SHORT}
    assert _codes("0912345678") == {PasswordViolationCode.ALL_DIGITS}
    assert PasswordViolationCode.EQUALS_LOGIN_NAME in _codes("Teacher.Chen", "teacher.chen")
    assert PasswordViolationCode.TOO_LONG in _codes("x" * 257)
    assert PasswordViolationCode.BLANK_EDGES in _codes(" tea-and-mooncakes")
    assert _codes("123") == {PasswordViolationCode.TOO_SHORT, PasswordViolationCode.ALL_DIGITS}


def test_violations_have_both_languages() -> None:
    (violation,) = check_password_policy("short1")
    assert violation.message_en and violation.message_zh
    assert str(violation) == violation.message_en
