"""Packages at rest: streamed chunked AES-GCM under a per-package data key wrapped by the package
key (no national ID ever lies in object storage in clear text)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from portfolio_submission.config import Settings
from portfolio_submission.packaging.crypto import (
    MAGIC,
    TAG,
    PackageKeyError,
    PackageKeyring,
    PackageTampered,
    decrypt,
    encrypt,
)

KEY_A = PackageKeyring.generate("a")
KEY_B = PackageKeyring.generate("b")


def _ring(value: str = KEY_A) -> PackageKeyring:
    return PackageKeyring.parse(value)


def _roundtrip(data: bytes, *, chunk_size: int, pieces: int = 7) -> tuple[bytes, bytes]:
    step = max(1, len(data) // pieces)
    sealed = b"".join(encrypt((data[i : i + step] for i in range(0, len(data), step)), _ring(), chunk_size=chunk_size))
    # Read back in odd-sized slices: record boundaries never line up with what storage hands over.
    slices = (sealed[i : i + 1000] for i in range(0, len(sealed), 1000))
    return sealed, b"".join(decrypt(slices, _ring()))


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 4096, 3 * 4096 + 1, 100_000])
def test_round_trip_at_and_around_record_boundaries(size: int) -> None:
    data = os.urandom(size)
    sealed, clear = _roundtrip(data, chunk_size=4096)
    assert clear == data
    # Plaintext is not carried as is (for short data a chance match in random ciphertext is likely:
    # a 1-byte value appears in a few KB of random bytes almost surely, so check from 16 bytes up).
    assert len(data) < 16 or data not in sealed
    # one record per full chunk plus the final one (possibly empty), each with its tag
    records = size // 4096 + 1
    header = len(MAGIC) + 1 + 1 + 12 + 32 + TAG + 4
    assert len(sealed) == header + size + records * TAG


def test_each_package_has_its_own_data_key() -> None:
    data = b"national id A123456789 " * 100
    one = b"".join(encrypt([data], _ring()))
    two = b"".join(encrypt([data], _ring()))
    assert one != two
    assert b"A123456789" not in one


def _sealed(size: int = 10_000) -> tuple[bytes, bytes]:
    data = os.urandom(size)
    return data, b"".join(encrypt([data], _ring(), chunk_size=1024))


def test_a_flipped_byte_is_refused() -> None:
    _, sealed = _sealed()
    broken = bytearray(sealed)
    broken[len(sealed) // 2] ^= 1
    with pytest.raises(PackageTampered, match="does not authenticate"):
        b"".join(decrypt([bytes(broken)], _ring()))


def test_truncation_at_a_record_boundary_is_refused() -> None:
    # Dropping the final record leaves a stream of whole records: only the final flag catches it.
    _, sealed = _sealed(4096)
    header = len(MAGIC) + 1 + 1 + 12 + 32 + TAG + 4
    cut = sealed[: header + 4 * (1024 + TAG)]  # four full records, the (empty) final one dropped
    with pytest.raises(PackageTampered):
        b"".join(decrypt([cut], _ring()))


def test_appended_bytes_are_refused() -> None:
    _, sealed = _sealed()
    with pytest.raises(PackageTampered):
        b"".join(decrypt([sealed + b"\x00" * 40], _ring()))


def test_a_truncated_header_and_foreign_bytes_are_refused() -> None:
    _, sealed = _sealed()
    with pytest.raises(PackageTampered, match="truncated"):
        b"".join(decrypt([sealed[:20]], _ring()))
    with pytest.raises(PackageTampered, match="magic"):
        b"".join(decrypt([b"PK\x03\x04" + sealed[4:]], _ring()))


def test_another_key_does_not_open_it_and_a_rotated_ring_still_does() -> None:
    data, sealed = _sealed()
    with pytest.raises(PackageKeyError, match="'a'"):
        b"".join(decrypt([sealed], _ring(KEY_B)))
    # Same kid, other key bytes: the wrapped data key does not unwrap.
    forged = "a:" + KEY_B.split(":", 1)[1]
    with pytest.raises(PackageTampered, match="unwrap"):
        b"".join(decrypt([sealed], _ring(forged)))
    rotated = _ring(f"{KEY_B},{KEY_A}")
    assert rotated.current == "b"
    assert b"".join(decrypt([sealed], rotated)) == data
    assert b"".join(decrypt(encrypt([data], rotated), _ring(KEY_B))) == data


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "no package key"),
        ("nokid", "<kid>"),
        ("a b:" + base64.b64encode(bytes(32)).decode(), "<kid>"),
        ("a:not base64!", "not base64"),
        ("a:" + base64.b64encode(bytes(31)).decode(), "32 bytes"),
        ("a:" + base64.b64encode(bytes(33)).decode(), "32 bytes"),
        (f"{KEY_A},{KEY_A}", "repeated"),
    ],
)
def test_malformed_keys_are_refused(value: str, message: str) -> None:
    with pytest.raises(PackageKeyError, match=message):
        PackageKeyring.parse(value)


def test_development_key_is_generated_once_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "package.key"
    first = PackageKeyring.development(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert PackageKeyring.development(path) == first


def test_production_refuses_a_missing_package_key() -> None:
    from portfolio_shared.sealing import generate_keypair

    production = {
        "private_key": generate_keypair()[0],
        "environment": "production",
        "signing_secret": "s" * 40,
        "database_url": "postgresql+asyncpg://db/submission",
    }
    with pytest.raises(ValidationError, match="PACKAGE_KEY is required in production"):
        Settings(**production, package_key="")
    with pytest.raises(ValidationError, match="package key"):
        Settings(**production, package_key="a:short")
    assert Settings(**production, package_key=KEY_A).package_key == KEY_A
