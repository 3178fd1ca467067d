"""Personal data sealed for the submission service alone (design 1 of "Personal data in submission
packages", docs/ARCHITECTURE.md).

Every central-database workbook row is keyed by the student's national ID (身分證號), yet the bus must
never carry one in plain text (R-DATA-1). Records therefore seals, per student, the few personal
fields the workbooks need (national ID, birth date, name) to the submission service's public key and
publishes only the ciphertext; submission alone holds the private key and opens it only where a
package or its pre-check is built.

Envelope encryption: an ephemeral X25519 key agrees a secret with the recipient's static key, HKDF-
SHA256 derives a 256-bit AES-GCM key from it, and AES-GCM encrypts the JSON payload. The token binds
a ``context`` (school and student) as associated data, so a ciphertext moved to another student's
event does not open. Token: ``x25519.v1.<ephemeral public key>.<nonce + ciphertext>`` (base64url,
no padding). ``SEALED_PATTERN`` is what the event contracts accept: a plain national ID cannot pass.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "x25519.v1"
SEALED_PATTERN = r"^x25519\.v1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{40,}$"
_INFO = b"portfolio submission sealed personal data v1"

# Public development key pair (raw X25519, base64): refused outside development by the settings of
# records (public half) and submission (private half), like every development secret of the platform.
DEV_SUBMISSION_PRIVATE_KEY = "oFky1eqOlqZAn4ZskBHdpAWeJTFU7vYyhMya9Fuug2g"
DEV_SUBMISSION_PUBLIC_KEY = "GhnKxQFF6_6hTEe4fNbOdcMddK7cvWek78UbkScyGFE"


class SealError(ValueError):
    """A sealed token that is malformed, was sealed for another key, or was moved to another context."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def generate_keypair() -> tuple[str, str]:
    """A new (private, public) key pair as base64url text, for ``PORTFOLIO_SUBMISSION_PRIVATE_KEY`` and
    ``PORTFOLIO_RECORDS_SUBMISSION_PUBLIC_KEY``."""
    private = X25519PrivateKey.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return _b64(raw), _b64(_raw(private.public_key()))


def public_key_of(private_key: str) -> str:
    return _b64(_raw(_private(private_key).public_key()))


def _private(text: str) -> X25519PrivateKey:
    try:
        return X25519PrivateKey.from_private_bytes(_unb64(text))
    except ValueError as error:
        raise SealError("not an X25519 private key (32 bytes, base64url)") from error


def _public(text: str) -> X25519PublicKey:
    try:
        return X25519PublicKey.from_public_bytes(_unb64(text))
    except ValueError as error:
        raise SealError("not an X25519 public key (32 bytes, base64url)") from error


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_INFO).derive(shared)


def check_public_key(text: str) -> str:
    """The key if it is a valid X25519 public key (settings validate with this)."""
    _public(text)
    return text


def check_private_key(text: str) -> str:
    _private(text)
    return text


def seal(public_key: str, payload: Mapping[str, Any], *, context: str) -> str:
    """Encrypt ``payload`` (JSON-able) so that only the holder of the private key opens it, in ``context``."""
    recipient = _public(public_key)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = _raw(ephemeral.public_key())
    key = _key(ephemeral.exchange(recipient), ephemeral_raw, _raw(recipient))
    nonce = os.urandom(12)
    plain = json.dumps(dict(payload), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    box = AESGCM(key).encrypt(nonce, plain, context.encode())
    return f"{PREFIX}.{_b64(ephemeral_raw)}.{_b64(nonce + box)}"


def open_sealed(private_key: str, token: str, *, context: str) -> dict[str, Any]:
    """The payload of a token sealed for this key in this context; ``SealError`` otherwise (the message
    never repeats the token or the payload)."""
    parts = token.split(".")
    if len(parts) != 4 or ".".join(parts[:2]) != PREFIX:
        raise SealError("not a sealed token of version x25519.v1")
    private = _private(private_key)
    try:
        ephemeral_raw, blob = _unb64(parts[2]), _unb64(parts[3])
        ephemeral = X25519PublicKey.from_public_bytes(ephemeral_raw)
    except ValueError as error:
        raise SealError("sealed token is malformed") from error
    if len(blob) < 12 + 16:
        raise SealError("sealed token is truncated")
    key = _key(private.exchange(ephemeral), ephemeral_raw, _raw(private.public_key()))
    try:
        plain = AESGCM(key).decrypt(blob[:12], blob[12:], context.encode())
    except InvalidTag as error:
        raise SealError("sealed token does not open with this key in this context") from error
    value = json.loads(plain)
    if not isinstance(value, dict):
        raise SealError("sealed payload is not an object")
    return value
