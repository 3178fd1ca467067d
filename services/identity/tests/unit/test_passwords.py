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


# ASVS V6: common and breached passwords, passwords built from the login or the school.
SCHOOL = ["330301", "臺北市立建國高級中學"]


def test_bundled_list_is_the_real_twenty_thousand() -> None:
    from portfolio_identity.domain.passwords import common_passwords

    assert len(common_passwords()) > 19_000
    assert {"password12", "qwertyuiop", "aaaaaaaaaa", "1q2w3e4r5t"} <= common_passwords()


def test_common_passwords_are_refused_in_any_case() -> None:
    assert PasswordViolationCode.COMMON in _codes("password12")
    assert PasswordViolationCode.COMMON in _codes("qwertyuiop")
    assert PasswordViolationCode.COMMON in _codes("QwertyUIOP")
    assert PasswordViolationCode.COMMON in _codes("aaaaaaaaaa")


def test_too_few_distinct_characters_is_refused_even_off_the_list() -> None:
    assert PasswordViolationCode.REPEATED in _codes("zzzzzzzzzzzzzz")
    assert PasswordViolationCode.REPEATED in _codes("xyzxyzxyzxyz")  # three distinct
    assert PasswordViolationCode.REPEATED not in _codes("wxyzwxyzwxyz")  # four: at the limit


def test_passwords_built_from_the_login_are_refused() -> None:
    assert PasswordViolationCode.BUILT_FROM_NAMES in _codes("wang.xm20240517", "wang.xm")
    assert PasswordViolationCode.BUILT_FROM_NAMES in _codes("mx.gnaw!2025", "wang.xm")  # reversed
    assert PasswordViolationCode.BUILT_FROM_NAMES in _codes("Teacher.Chen.99", "teacher.chen")
    assert PasswordViolationCode.BUILT_FROM_NAMES in _codes("chen-password1", "teacher.chen")  # part + common
    # The login inside a long, otherwise strong passphrase is fine.
    assert _codes("wang.xm likes hot pot in winter", "wang.xm") == set()


def test_passwords_built_from_the_school_are_refused() -> None:
    assert PasswordViolationCode.BUILT_FROM_NAMES in {v.code for v in check_password_policy("330301abcd", "li", SCHOOL)}
    built = check_password_policy("臺北市立建國高級中學2025", "li", SCHOOL)
    assert PasswordViolationCode.BUILT_FROM_NAMES in {v.code for v in built}
    assert check_password_policy("tea-and-mooncakes", "li", SCHOOL) == []
