"""Signing keys (JWKS): Ed25519 key pairs stored in the identity database, private halves encrypted.

The encryption key is derived from `Settings.key_encryption_secret` with HKDF-SHA256 and used with
AES-256-GCM; the key id is the associated data, so a ciphertext cannot be moved to another row.
Rotation publishes a new key at once and lets it sign after a delay (verifiers cache the JWKS), then
retires the old one; a retired key stays published in the JWKS until the last access token it
signed has expired (`publish_until`).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import signing_keys

ALGORITHM = "EdDSA"
_NONCE = 12
_INFO = b"portfolio-identity signing-key encryption v1"


class KeyDecryptionError(Exception):
    """The stored private key cannot be decrypted: the encryption secret changed or the row was tampered."""


def _wrapping_key(secret: str) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"portfolio-identity", info=_INFO)
    return AESGCM(hkdf.derive(secret.encode()))


def encrypt_private_key(key: Ed25519PrivateKey, kid: str, secret: str) -> bytes:
    raw = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    nonce = os.urandom(_NONCE)
    return nonce + _wrapping_key(secret).encrypt(nonce, raw, kid.encode())


def decrypt_private_key(blob: bytes, kid: str, secret: str) -> Ed25519PrivateKey:
    try:
        raw = _wrapping_key(secret).decrypt(blob[:_NONCE], blob[_NONCE:], kid.encode())
    except Exception as exc:
        raise KeyDecryptionError(f"cannot decrypt signing key {kid}") from exc
    key = serialization.load_der_private_key(raw, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyDecryptionError(f"signing key {kid} is not an Ed25519 key")
    return key


def public_jwk(key: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    return jwk


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey


async def create_key(session: AsyncSession, secret: str, now: datetime, activates_at: datetime | None = None) -> str:
    key = Ed25519PrivateKey.generate()
    kid = f"{now:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    await session.execute(
        insert(signing_keys).values(
            kid=kid,
            algorithm=ALGORITHM,
            public_jwk=public_jwk(key, kid),
            private_key=encrypt_private_key(key, kid, secret),
            created_at=now,
            activates_at=activates_at or now,
        )
    )
    return kid


async def active_key(session: AsyncSession, secret: str, now: datetime) -> SigningKey | None:
    """The key that signs now: the most recently activated one."""
    row = (
        await session.execute(
            select(signing_keys.c.kid, signing_keys.c.private_key)
            .where(signing_keys.c.activates_at <= now)
            .order_by(signing_keys.c.activates_at.desc(), signing_keys.c.created_at.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return SigningKey(row.kid, decrypt_private_key(row.private_key, row.kid, secret))


async def ensure_active_key(session: AsyncSession, secret: str, now: datetime) -> str:
    """The active key id, creating the first key when there is none."""
    current = await active_key(session, secret, now)
    if current is not None:
        return current.kid
    return await create_key(session, secret, now)


async def rotate(
    session: AsyncSession, secret: str, now: datetime, token_lifetime: timedelta, activation_delay: timedelta
) -> tuple[str, list[str]]:
    """Make a new signing key; retire the others. Returns (new kid, retired kids).

    The new key is published at once but signs only after `activation_delay`, so that every
    verifier's cached JWKS knows it before the first token it signs arrives. The previous key signs
    until then, and stays published until the last token it signed has expired.
    """
    activates_at = now + activation_delay
    retired = list(
        (await session.execute(select(signing_keys.c.kid).where(signing_keys.c.retired_at.is_(None)))).scalars()
    )
    if retired:
        # A token signed a moment before the switch lives `token_lifetime` more; keep a minute of slack.
        await session.execute(
            update(signing_keys)
            .where(signing_keys.c.kid.in_(retired))
            .values(retired_at=activates_at, publish_until=activates_at + token_lifetime + timedelta(minutes=1))
        )
    kid = await create_key(session, secret, now, activates_at)
    return kid, retired


async def published_jwks(session: AsyncSession, now: datetime) -> dict[str, Any]:
    """Public keys a verifier needs now: the next, the active and retired keys whose tokens may still live."""
    rows = (
        await session.execute(
            select(signing_keys.c.public_jwk)
            .where(or_(signing_keys.c.publish_until.is_(None), signing_keys.c.publish_until > now))
            .order_by(signing_keys.c.created_at.desc())
        )
    ).scalars()
    return {"keys": list(rows)}


async def key_summaries(session: AsyncSession) -> list[dict[str, Any]]:
    rows = (await session.execute(select(signing_keys).order_by(signing_keys.c.created_at.desc()))).mappings()
    return [
        {
            "kid": r["kid"],
            "algorithm": r["algorithm"],
            "created_at": r["created_at"],
            "activates_at": r["activates_at"],
            "retired_at": r["retired_at"],
            "publish_until": r["publish_until"],
        }
        for r in rows
    ]
