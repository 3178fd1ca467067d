"""Field encryption at rest and blind indexes (protecting R-DATA-1 basic data)."""

import base64

import pytest

from portfolio_records.domain.crypto import (
    BlindIndex,
    FieldCipher,
    format_keys,
    generate_key,
    normalise_lookup_value,
    parse_keys,
    token_kid,
)
from portfolio_records.domain.errors import (
    DecryptionFailed,
    KeyConfigError,
    MalformedToken,
    UnknownKeyId,
)

K1 = bytes(range(32))
K2 = bytes(range(32, 64))
AAD = b"student:42:national_id"


def test_round_trip_and_token_shape() -> None:
    cipher = FieldCipher({"k1": K1}, "k1")
    token = cipher.encrypt("A123456789", AAD)
    version, kid, nonce, _ciphertext = token.split(".")
    assert (version, kid) == ("v1", "k1")
    assert "A123456789" not in token
    assert len(base64.urlsafe_b64decode(nonce + "==")) == 12
    assert cipher.decrypt(token, AAD) == "A123456789"


def test_unicode_round_trip() -> None:
    cipher = FieldCipher({"k1": K1}, "k1")
    assert cipher.decrypt(cipher.encrypt("王小明，臺北市", AAD), AAD) == "王小明，臺北市"


def test_nonce_is_random() -> None:
    cipher = FieldCipher({"k1": K1}, "k1")
    assert cipher.encrypt("same", AAD) != cipher.encrypt("same", AAD)


def test_rotation_old_tokens_still_decrypt() -> None:
    old = FieldCipher({"k1": K1}, "k1")
    old_token = old.encrypt("A123456789", AAD)

    rotated = FieldCipher({"k1": K1, "k2": K2}, "k2")
    new_token = rotated.encrypt("A123456789", AAD)
    assert token_kid(new_token) == "k2"
    assert rotated.decrypt(old_token, AAD) == "A123456789"
    assert rotated.needs_reencryption(old_token)
    assert not rotated.needs_reencryption(new_token)

    migrated = rotated.reencrypt(old_token, AAD)
    assert token_kid(migrated) == "k2"
    assert rotated.reencrypt(migrated, AAD) == migrated
    # Once every token is migrated the old key can be dropped.
    assert FieldCipher({"k2": K2}, "k2").decrypt(migrated, AAD) == "A123456789"


def test_removed_key_gives_unknown_kid() -> None:
    token = FieldCipher({"k1": K1}, "k1").encrypt("x", AAD)
    with pytest.raises(UnknownKeyId) as info:
        FieldCipher({"k2": K2}, "k2").decrypt(token, AAD)
    assert info.value.extensions()["kid"] == "k1"


def test_wrong_aad_fails_clearly() -> None:
    cipher = FieldCipher({"k1": K1}, "k1")
    token = cipher.encrypt("A123456789", AAD)
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(token, b"student:43:national_id")


def test_wrong_key_under_same_kid_fails_clearly() -> None:
    token = FieldCipher({"k1": K1}, "k1").encrypt("A123456789", AAD)
    with pytest.raises(DecryptionFailed):
        FieldCipher({"k1": K2}, "k1").decrypt(token, AAD)


def test_relabelled_kid_fails() -> None:
    # Same key under another name: the authenticated header catches the relabelling.
    token = FieldCipher({"k1": K1}, "k1").encrypt("x", AAD)
    relabelled = token.replace("v1.k1.", "v1.k9.", 1)
    with pytest.raises(DecryptionFailed):
        FieldCipher({"k1": K1, "k9": K1}, "k1").decrypt(relabelled, AAD)


def test_tampered_ciphertext_fails() -> None:
    cipher = FieldCipher({"k1": K1}, "k1")
    token = cipher.encrypt("A123456789", AAD)
    head, body = token.rsplit(".", 1)
    flipped = head + "." + ("A" if body[0] != "A" else "B") + body[1:]
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(flipped, AAD)


@pytest.mark.parametrize(
    "token",
    ["", "v2.k1.AAAA.AAAA", "v1.k1.AAAA", "v1.k1.!!!!.AAAA", "v1.k1.AAAA.AAAA", "v1.k.1.AAAAAAAAAAAAAAAA.A"],
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(MalformedToken):
        FieldCipher({"k1": K1}, "k1").decrypt(token, AAD)


def test_cipher_key_checks() -> None:
    with pytest.raises(KeyConfigError):
        FieldCipher({}, "k1")
    with pytest.raises(KeyConfigError):
        FieldCipher({"k1": K1}, "k2")
    with pytest.raises(KeyConfigError):
        FieldCipher({"k1": b"short"}, "k1")
    with pytest.raises(KeyConfigError):
        FieldCipher({"k.1": K1}, "k.1")


def test_parse_keys_setting() -> None:
    setting = f"k1:{base64.b64encode(K1).decode()}, k2:{base64.urlsafe_b64encode(K2).decode().rstrip('=')}"
    assert parse_keys(setting) == {"k1": K1, "k2": K2}
    assert parse_keys(format_keys({"a": K1, "b": K2})) == {"a": K1, "b": K2}
    assert len(generate_key()) == 32


@pytest.mark.parametrize(
    "setting",
    [
        "",
        " , ",
        "k1",
        f"k1:{base64.b64encode(b'x' * 16).decode()}",
        "k1:not*base64",
        f"k1:{base64.b64encode(K1).decode()},k1:{base64.b64encode(K2).decode()}",
        f"bad kid:{base64.b64encode(K1).decode()}",
    ],
)
def test_parse_keys_rejects(setting: str) -> None:
    with pytest.raises(KeyConfigError):
        parse_keys(setting)


def test_blind_index_is_deterministic_and_normalised() -> None:
    index = BlindIndex(K1, purpose="national_id")
    digest = index.compute("A123456789")
    assert digest == BlindIndex(K1, purpose="national_id").compute("A123456789")
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert index.compute(" a123456789 ") == digest
    assert index.compute("Ａ１２３４５６７８９") == digest
    assert index.matches("A123456789", digest)
    assert not index.matches("A123456780", digest)


def test_blind_index_separates_keys_and_purposes() -> None:
    digest = BlindIndex(K1, purpose="national_id").compute("110001")
    assert BlindIndex(K2, purpose="national_id").compute("110001") != digest
    assert BlindIndex(K1, purpose="student_number").compute("110001") != digest


def test_blind_index_key_checks() -> None:
    with pytest.raises(KeyConfigError):
        BlindIndex(b"short")
    from_setting = BlindIndex.from_setting(base64.b64encode(K1).decode(), purpose="p")
    assert from_setting.compute("x") == BlindIndex(K1, purpose="p").compute("x")


def test_blind_index_folds_full_width_only_not_other_compatibility_digits() -> None:
    # NFKC would map mathematical bold 𝟏 (and circled, superscript digits) to 1 as well, so two
    # different inputs would share the index; only full-width forms are folded (R-DATA-1).
    index = BlindIndex(K1, purpose="national_id")
    digest = index.compute("A123456789")
    assert index.compute("A\U0001d7cf23456789") != digest
    assert index.compute("A\u0661\u0662\u0663456789") != digest
    assert index.compute("Ａ１２３４５６７８９\u3000") == digest
    assert normalise_lookup_value("ａ１２３") == "A123"
