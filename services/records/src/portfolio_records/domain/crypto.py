"""Field encryption at rest and blind indexes for exact lookup.

Sensitive basic data (R-DATA-1: the national ID number above all) is stored encrypted with
AES-256-GCM. A token is compact ASCII, safe for a text column::

    v1.<kid>.<nonce, base64url>.<ciphertext with tag, base64url>

The key id (``kid``) makes rotation possible: new values are written under ``current_kid`` while
tokens written under older keys still decrypt as long as their key stays configured; a background
job re-encrypts them with ``FieldCipher.reencrypt`` before the old key is removed.

Callers pass associated data (``aad``) that binds the value to where it lives (for example
``b"student:42:national_id"``) so a ciphertext copied to another row or column does not decrypt.
The token header (version and kid) is authenticated too.

Encrypted values cannot be searched, so a ``BlindIndex`` (HMAC-SHA256 over the normalised value,
with its own key) is stored beside them for exact lookups.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portfolio_records.domain.errors import (
    DecryptionFailed,
    KeyConfigError,
    MalformedToken,
    UnknownKeyId,
)
from portfolio_shared.identifiers import fold_full_width

TOKEN_VERSION = "v1"  # noqa: S105 - a format tag, not a secret
KEY_SIZE = 32  # AES-256
NONCE_SIZE = 12  # 96-bit nonce, the GCM standard size
_TAG_SIZE = 16
_KID = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _decode_key(kid: str, text: str) -> bytes:
    cleaned = "".join(text.split())
    try:
        if "-" in cleaned or "_" in cleaned:
            key = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
        else:
            key = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyConfigError(
            f"Key {kid!r} is not valid base64", f"金鑰「{kid}」不是有效的 base64", field="keys"
        ) from exc
    return key


def _check_kid(kid: str) -> None:
    if not _KID.fullmatch(kid):
        raise KeyConfigError(
            f"Key id {kid!r} must be 1-32 characters of A-Z, a-z, 0-9, '_' or '-'",
            f"金鑰代號「{kid}」須為 1 至 32 個英數字、底線或連字號",
            field="keys",
        )


def parse_keys(setting: str) -> dict[str, bytes]:
    """Parse ``"k1:<base64 key>,k2:<base64 key>"`` into ``{"k1": key, "k2": key}``.

    Keys are 32 bytes (AES-256), standard or URL-safe base64, padding optional. Raises
    ``KeyConfigError`` on an empty setting, a bad kid, bad base64, a wrong size or a repeated kid.
    """
    keys: dict[str, bytes] = {}
    for item in setting.split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, encoded = item.partition(":")
        kid = kid.strip()
        if not sep:
            raise KeyConfigError(
                "Each key must be written as '<kid>:<base64 key>'",
                "每把金鑰須寫成「代號:base64 金鑰」",
                field="keys",
            )
        _check_kid(kid)
        if kid in keys:
            raise KeyConfigError(f"Key id {kid!r} appears twice", f"金鑰代號「{kid}」重複", field="keys")
        key = _decode_key(kid, encoded)
        _check_key_size(kid, key)
        keys[kid] = key
    if not keys:
        raise KeyConfigError("No encryption key is configured", "未設定任何加密金鑰", field="keys")
    return keys


def format_keys(keys: Mapping[str, bytes]) -> str:
    """The inverse of ``parse_keys`` (standard base64)."""
    return ",".join(f"{kid}:{base64.b64encode(key).decode('ascii')}" for kid, key in keys.items())


def generate_key() -> bytes:
    """A fresh random 256-bit key."""
    return secrets.token_bytes(KEY_SIZE)


def _check_key_size(kid: str, key: bytes) -> None:
    if len(key) != KEY_SIZE:
        raise KeyConfigError(
            f"Key {kid!r} is {len(key)} bytes; AES-256 needs {KEY_SIZE}",
            f"金鑰「{kid}」長度為 {len(key)} 位元組，AES-256 需要 {KEY_SIZE} 位元組",
            field="keys",
        )


def token_kid(token: str) -> str:
    """The key id a token was written with (without decrypting it)."""
    return _split(token)[0]


def _split(token: str) -> tuple[str, bytes, bytes]:
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != TOKEN_VERSION:
        raise MalformedToken(
            "Encrypted value is not a v1 token", "加密值不是 v1 格式", extra={"expected": "v1.<kid>.<n>.<c>"}
        )
    _, kid, nonce_text, ct_text = parts
    if not _KID.fullmatch(kid):
        raise MalformedToken("Encrypted value has an invalid key id", "加密值的金鑰代號無效")
    try:
        nonce = _b64d(nonce_text)
        ciphertext = _b64d(ct_text)
    except (binascii.Error, ValueError) as exc:
        raise MalformedToken("Encrypted value is not valid base64url", "加密值不是有效的 base64url") from exc
    if len(nonce) != NONCE_SIZE or len(ciphertext) < _TAG_SIZE:
        raise MalformedToken("Encrypted value is truncated", "加密值長度不足")
    return kid, nonce, ciphertext


def _header_aad(kid: str, aad: bytes) -> bytes:
    # Authenticate the header with the caller's associated data; the length prefix keeps the
    # two parts unambiguous.
    header = f"{TOKEN_VERSION}.{kid}".encode("ascii")
    return len(header).to_bytes(2, "big") + header + aad


class FieldCipher:
    """AES-256-GCM encryption of single fields, with key ids for rotation."""

    def __init__(self, keys: Mapping[str, bytes], current_kid: str) -> None:
        if not keys:
            raise KeyConfigError("No encryption key is configured", "未設定任何加密金鑰", field="keys")
        for kid, key in keys.items():
            _check_kid(kid)
            _check_key_size(kid, key)
        if current_kid not in keys:
            raise KeyConfigError(
                f"The current key id {current_kid!r} is not among the configured keys",
                f"目前使用的金鑰代號「{current_kid}」不在已設定的金鑰中",
                field="current_kid",
            )
        self._aead = {kid: AESGCM(bytes(key)) for kid, key in keys.items()}
        self.current_kid = current_kid

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._aead)

    def encrypt(self, plaintext: str, aad: bytes) -> str:
        """Encrypt ``plaintext`` (UTF-8) under the current key, bound to ``aad``."""
        kid = self.current_kid
        nonce = secrets.token_bytes(NONCE_SIZE)
        ciphertext = self._aead[kid].encrypt(nonce, plaintext.encode("utf-8"), _header_aad(kid, aad))
        return f"{TOKEN_VERSION}.{kid}.{_b64e(nonce)}.{_b64e(ciphertext)}"

    def decrypt(self, token: str, aad: bytes) -> str:
        """Decrypt a token written under any configured key.

        Raises ``MalformedToken``, ``UnknownKeyId`` or ``DecryptionFailed`` (wrong key, wrong
        ``aad`` or tampering — GCM cannot tell these apart).
        """
        kid, nonce, ciphertext = _split(token)
        aead = self._aead.get(kid)
        if aead is None:
            raise UnknownKeyId(
                f"Encrypted value uses key id {kid!r}, which is not configured",
                f"加密值使用的金鑰代號「{kid}」未設定",
                extra={"kid": kid},
            )
        try:
            plaintext = aead.decrypt(nonce, ciphertext, _header_aad(kid, aad))
        except InvalidTag as exc:
            raise DecryptionFailed(
                "Encrypted value could not be authenticated (wrong key or associated data, or tampered)",
                "加密值驗證失敗（金鑰或關聯資料不符，或資料遭竄改）",
                extra={"kid": kid},
            ) from exc
        return plaintext.decode("utf-8")

    def needs_reencryption(self, token: str) -> bool:
        """True when ``token`` was written under a key other than the current one."""
        return token_kid(token) != self.current_kid

    def reencrypt(self, token: str, aad: bytes) -> str:
        """Re-encrypt under the current key (a no-op for tokens already under it)."""
        if not self.needs_reencryption(token):
            return token
        return self.encrypt(self.decrypt(token, aad), aad)


def normalise_lookup_value(value: str) -> str:
    """Default normalisation before blind indexing: full-width folding, strip, upper case.

    Deliberately not NFKC: NFKC also turns mathematical bold (``𝟏``), circled and superscript
    digits into ASCII, so different inputs would share one blind index. Folding full-width forms
    lets a lookup typed as ``Ａ１２３…`` still find ``A123…``; this is for searching only —
    stored values are validated strictly elsewhere (ASCII only, R-DATA-1).
    """
    return fold_full_width(value).strip().upper()


class BlindIndex:
    """Deterministic keyed digest (HMAC-SHA256) of a normalised value, for exact lookup.

    Use a key of its own (never an encryption key). ``purpose`` separates indexes of different
    fields so equal values in two columns do not produce equal digests.
    """

    def __init__(
        self,
        key: bytes,
        *,
        purpose: str = "",
        normalise: Callable[[str], str] = normalise_lookup_value,
    ) -> None:
        if len(key) < KEY_SIZE:
            raise KeyConfigError(
                f"Blind-index key must be at least {KEY_SIZE} bytes, not {len(key)}",
                f"盲索引金鑰至少需 {KEY_SIZE} 位元組，目前為 {len(key)} 位元組",
                field="blind_index_key",
            )
        self._key = bytes(key)
        self._prefix = purpose.encode("utf-8") + b"\x00"
        self._normalise = normalise

    def compute(self, value: str) -> str:
        """Lower-case hex HMAC-SHA256 of the normalised value (64 characters)."""
        message = self._prefix + self._normalise(value).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def matches(self, value: str, digest: str) -> bool:
        """Constant-time comparison of ``value``'s digest with a stored one."""
        return hmac.compare_digest(self.compute(value), digest)

    @classmethod
    def from_setting(cls, setting: str, *, purpose: str = "") -> BlindIndex:
        """Build from a base64 key setting (standard or URL-safe)."""
        return cls(_decode_key("blind_index", setting), purpose=purpose)
