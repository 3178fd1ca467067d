"""Contact data encrypted at rest (AES-GCM, key id in front so a key can be rotated later).

``contact_keys`` is ``"<kid>:<base64 32-byte key>,..."``; the first key encrypts, all decrypt.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class FieldCipher:
    def __init__(self, keys: str) -> None:
        self._keys: dict[str, AESGCM] = {}
        self._current = ""
        for item in keys.split(","):
            kid, _, material = item.strip().partition(":")
            raw = base64.b64decode(material)
            if not kid or len(raw) != 32:
                raise ValueError("contact_keys: each entry is <kid>:<base64 of 32 bytes>")
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
