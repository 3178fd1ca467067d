"""Personal fields encrypted at rest (AES-256-GCM), one helper for every service that keeps them
(issue 10, "helpers once"): notification's contact store, identity's e-mail addresses.

``keys`` is ``"<kid>:<base64 32-byte key>,..."``: the first key encrypts, every listed key decrypts,
so a key is rotated by putting a new one first and re-saving the values. A token is
``<kid>:<base64(nonce + ciphertext)>``; the key id is the associated data.

``EncryptedText`` is a column type that encrypts on write and decrypts on read with a ``KeyRing``
that the service configures at bootstrap (``ring.configure(settings.…_keys)``): code that reads and
writes the column keeps handling plain values, and nothing can store one in the clear by
forgetting a call. A value written before the column was encrypted (no key id in front: an e-mail
address always holds an ``@``, which base64 never does) is still read; re-saving encrypts it.
Encrypted columns cannot be searched or compared in SQL (random nonces) — by design.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class FieldCipher:
    def __init__(self, keys: str) -> None:
        self._keys: dict[str, AESGCM] = {}
        self._current = ""
        for item in keys.split(","):
            kid, _, material = item.strip().partition(":")
            try:
                raw = base64.b64decode(material, validate=True)
            except ValueError:
                raw = b""
            if not kid or len(raw) != 32:
                raise ValueError("field keys: each entry is <kid>:<base64 of 32 bytes>")
            self._keys[kid] = AESGCM(raw)
            self._current = self._current or kid

    def encrypt(self, plain: str) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self._current].encrypt(nonce, plain.encode(), self._current.encode())
        return f"{self._current}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str) -> str:
        kid, _, data = token.partition(":")
        raw = base64.b64decode(data)
        return self._keys[kid].decrypt(raw[:12], raw[12:], kid.encode()).decode()

    @staticmethod
    def is_token(value: str) -> bool:
        kid, sep, data = value.partition(":")
        return bool(sep and kid and data) and "@" not in value


class KeyRing:
    """The cipher of a column type, configured once the settings are known (bootstrap)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._cipher: FieldCipher | None = None

    def configure(self, keys: str) -> FieldCipher:
        self._cipher = FieldCipher(keys)
        return self._cipher

    @property
    def cipher(self) -> FieldCipher:
        if self._cipher is None:
            raise RuntimeError(f"the {self.name} keys are not configured (the service's bootstrap does it)")
        return self._cipher


class EncryptedText(TypeDecorator[str]):
    """A text column stored AES-GCM encrypted with ``ring``'s current key (see the module doc)."""

    impl = Text
    cache_ok = True

    def __init__(self, ring: KeyRing) -> None:
        super().__init__()
        self.ring = ring

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.ring.cipher.encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = str(value)
        return self.ring.cipher.decrypt(text) if FieldCipher.is_token(text) else text


def mask_email(address: str) -> str:
    """``w***@example.org``: enough to recognise one's own address, never the whole of it."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
