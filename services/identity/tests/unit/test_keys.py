"""Signing keys are stored encrypted with a key derived from the settings' secret."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portfolio_identity.adapters.keys import KeyDecryptionError, decrypt_private_key, encrypt_private_key, public_jwk


def test_private_key_round_trips_with_the_same_secret_only() -> None:
    key = Ed25519PrivateKey.generate()
    blob = encrypt_private_key(key, "kid-1", "secret-one")
    assert b"PRIVATE" not in blob
    restored = decrypt_private_key(blob, "kid-1", "secret-one")
    assert restored.public_key().public_bytes_raw() == key.public_key().public_bytes_raw()
    with pytest.raises(KeyDecryptionError):
        decrypt_private_key(blob, "kid-1", "secret-two")
    with pytest.raises(KeyDecryptionError):  # the kid is bound to the ciphertext: rows cannot be swapped
        decrypt_private_key(blob, "kid-2", "secret-one")


def test_public_jwk_has_no_private_part() -> None:
    jwk = public_jwk(Ed25519PrivateKey.generate(), "kid-9")
    assert jwk["kid"] == "kid-9" and jwk["alg"] == "EdDSA" and jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519"
    assert "d" not in jwk
