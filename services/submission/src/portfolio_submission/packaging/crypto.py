"""Packages encrypted at rest: streamed, chunked AES-256-GCM under a per-package data key.

A package holds every national ID of a school's workbook, so it is never stored in clear text. Each
package gets a fresh random 256-bit data key; the key is wrapped (AES-GCM) by the configured package
key (``PORTFOLIO_SUBMISSION_PACKAGE_KEY``) and stored in the object's header, so rotating the
package key never re-encrypts a package: older key ids keep unwrapping until the packages under them
are purged.

Object layout::

    MAGIC (6) | kid length (1) | kid | wrap nonce (12) | wrapped data key (32 + 16 tag) | chunk size (4)
    record 0 | record 1 | ... | final record

Each record is one plaintext chunk of ``chunk size`` bytes (the final one shorter, possibly empty)
sealed with AES-GCM: nonce = the record's counter (11 bytes, big-endian) + 1 byte "final" flag, and
the header as associated data. A reordered, dropped, truncated or appended record — or a header
changed to another key — fails authentication (the STREAM construction); the stream only ends
cleanly on the record sealed as final. Nothing is held whole: one chunk at a time each way.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"PFPKG\x01"
CHUNK = 64 * 1024
TAG = 16
_KID_ALPHABET = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class PackageKeyError(ValueError):
    """The package key setting is malformed, or a package names a key id the ring does not hold."""


class PackageTampered(ValueError):
    """A stored package does not decrypt: changed, truncated or extended (never a partial clear text)."""


@dataclass(frozen=True)
class PackageKeyring:
    """Key id → 32-byte key; ``current`` wraps new packages, every id unwraps."""

    keys: dict[str, bytes]
    current: str

    @classmethod
    def parse(cls, value: str) -> PackageKeyring:
        """``"<kid>:<base64 32-byte key>[,<older kid>:<key>...]"``: the first is current."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for item in (p.strip() for p in value.split(",")):
            if not item:
                continue
            kid, sep, b64 = item.partition(":")
            if not sep or not kid or not set(kid) <= _KID_ALPHABET or len(kid) > 64:
                raise PackageKeyError("a package key is '<kid>:<base64 32 bytes>' (kid: letters, digits, - _ .)")
            try:
                raw = base64.b64decode(b64, validate=True)
            except (binascii.Error, ValueError):
                raise PackageKeyError(f"package key {kid!r} is not base64") from None
            if len(raw) != 32:
                raise PackageKeyError(f"package key {kid!r} must be 32 bytes (AES-256), not {len(raw)}")
            if kid in keys:
                raise PackageKeyError(f"package key id {kid!r} is repeated")
            keys[kid] = raw
            order.append(kid)
        if not order:
            raise PackageKeyError("no package key configured")
        return cls(keys=keys, current=order[0])

    @staticmethod
    def generate(kid: str = "dev") -> str:
        return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"

    @classmethod
    def development(cls, path: Path) -> PackageKeyring:
        """The development key: generated once into ``path`` (mode 0600) and read from it afterwards."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(cls.generate(f"dev-{secrets.token_hex(4)}") + "\n")
        return cls.parse(path.read_text().strip())


def _nonce(counter: int, final: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def _rechunk(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    yield bytes(buffer)  # the last piece, possibly empty: it becomes the final record


def encrypt(chunks: Iterable[bytes], keyring: PackageKeyring, *, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """Encrypt a stream: the header, then one record per ``chunk_size`` bytes of clear text."""
    data_key = AESGCM.generate_key(bit_length=256)
    kid = keyring.current.encode()
    wrap_nonce = secrets.token_bytes(12)
    wrapped = AESGCM(keyring.keys[keyring.current]).encrypt(wrap_nonce, data_key, MAGIC + kid)
    header = MAGIC + bytes([len(kid)]) + kid + wrap_nonce + wrapped + chunk_size.to_bytes(4, "big")
    yield header
    aead = AESGCM(data_key)
    pieces = _rechunk(chunks, chunk_size)
    counter, current = 0, next(pieces)
    for following in pieces:
        yield aead.encrypt(_nonce(counter, False), current, header)
        counter, current = counter + 1, following
    yield aead.encrypt(_nonce(counter, True), current, header)


class _Reader:
    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._it = iter(chunks)
        self.buffer = bytearray()
        self.done = False

    def fill(self, n: int) -> bool:
        """At least ``n`` bytes buffered (True), or the stream ended before (False)."""
        while len(self.buffer) < n and not self.done:
            chunk = next(self._it, None)
            if chunk is None:
                self.done = True
            else:
                self.buffer += chunk
        return len(self.buffer) >= n

    def take(self, n: int) -> bytes:
        out = bytes(self.buffer[:n])
        del self.buffer[:n]
        return out


def decrypt(chunks: Iterable[bytes], keyring: PackageKeyring) -> Iterator[bytes]:
    """Decrypt a stream written by :func:`encrypt`, yielding clear text record by record. Raises
    :class:`PackageTampered` at the first record that does not authenticate (the clear text before
    it was authentic, but a consumer must treat the whole as failed)."""
    reader = _Reader(chunks)
    if not reader.fill(len(MAGIC) + 1) or bytes(reader.buffer[: len(MAGIC)]) != MAGIC:
        raise PackageTampered("not an encrypted package (magic bytes)")
    kid_len = reader.buffer[len(MAGIC)]
    header_len = len(MAGIC) + 1 + kid_len + 12 + 32 + TAG + 4
    if not reader.fill(header_len):
        raise PackageTampered("the package header is truncated")
    header = reader.take(header_len)
    kid = header[len(MAGIC) + 1 : len(MAGIC) + 1 + kid_len]
    rest = header[len(MAGIC) + 1 + kid_len :]
    wrap_nonce, wrapped, chunk_size = rest[:12], rest[12 : 12 + 32 + TAG], int.from_bytes(rest[-4:], "big")
    master = keyring.keys.get(kid.decode(errors="replace"))
    if master is None:
        raise PackageKeyError(f"the package was sealed under key {kid.decode(errors='replace')!r}, not configured")
    try:
        data_key = AESGCM(master).decrypt(wrap_nonce, wrapped, MAGIC + kid)
    except InvalidTag:
        raise PackageTampered("the package's data key does not unwrap") from None
    if chunk_size <= 0:
        raise PackageTampered("the package header names no chunk size")
    aead = AESGCM(data_key)
    record = chunk_size + TAG
    counter = 0
    while True:
        more = reader.fill(record + 1)  # a byte past this record: it is not the final one
        final = not more
        if final and len(reader.buffer) < TAG:
            raise PackageTampered("the package is truncated")
        body = reader.take(record if not final else len(reader.buffer))
        try:
            yield aead.decrypt(_nonce(counter, final), body, header)
        except InvalidTag:
            raise PackageTampered(f"record {counter} of the package does not authenticate") from None
        if final:
            return
        counter += 1
