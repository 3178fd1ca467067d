"""The part builder: a batch's content → the package in object storage, encrypted at rest.

It runs in a worker thread (``asyncio.to_thread``), off the event loop, and holds nothing whole: the
workbook is written by xlsxwriter in constant-memory mode to a temporary file; each file is read
from object storage chunk by chunk, hashed on the way and checked against the size and SHA-256 the
artifacts service verified at upload (a file changed since is refused, never sent); the zip
stream (``portfolio_central.package.build``) is hashed, encrypted record by record
(:mod:`.crypto`) and written to object storage as a multipart upload of unknown length. Peak memory
is a few S3 parts, whatever the package's size.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from portfolio_central.package import PackageFile, PackageSpec, build

from .crypto import PackageKeyring, decrypt, encrypt

CONTENT_TYPE = "application/octet-stream"  # encrypted: never served as a zip from storage


class FileSource(Protocol):
    """What the builder needs of a file the workbook names (sub-core's ``FileRef``)."""

    @property
    def name(self) -> str: ...
    @property
    def object_key(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...


class ChunkStore(Protocol):
    def read_chunks(self, key: str, chunk_size: int = ...) -> Iterator[bytes]: ...
    def write_chunks(self, key: str, chunks: Iterable[bytes], *, content_type: str) -> int: ...


class PackageFileMissing(LookupError):
    """A file the workbook names is not in object storage."""

    def __init__(self, name: str) -> None:
        super().__init__(f"file {name!r} is missing from object storage")
        self.name = name


class PackageFileChanged(ValueError):
    """A file's bytes no longer match the size and SHA-256 verified at upload (R-FILE-1)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"file {name!r} no longer matches the SHA-256 verified at upload")
        self.name = name


@dataclass(frozen=True)
class BuiltPackage:
    object_key: str
    size: int  # of the zip (clear text)
    sha256: str  # of the zip: what the central database receives and reports
    stored_size: int  # of the encrypted object
    key_id: str


class _Hasher:
    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def through(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.digest.update(chunk)
            self.size += len(chunk)
            yield chunk


def _verified(store: ChunkStore, ref: FileSource) -> Iterator[bytes]:
    hasher = _Hasher()
    try:
        yield from hasher.through(store.read_chunks(ref.object_key))
    except KeyError:
        raise PackageFileMissing(ref.name) from None
    if hasher.size != ref.size or hasher.digest.hexdigest() != ref.sha256:
        raise PackageFileChanged(ref.name)


def build_package(
    store: ChunkStore,
    keyring: PackageKeyring,
    *,
    spec: PackageSpec,
    rows: Mapping[str, Iterable[Mapping[str, Any]]],
    files: Sequence[FileSource],
    object_key: str,
    now: Callable[[], dt.datetime] | None = None,
) -> BuiltPackage:
    """Build, encrypt and store one package (blocking: call it from a worker thread)."""
    sources = [
        PackageFile(ref.name, lambda ref=ref: _verified(store, ref))  # type: ignore[misc]
        for ref in files
    ]
    hasher = _Hasher()
    kw: dict[str, Any] = {"now": now} if now is not None else {}
    stream = hasher.through(build(spec, rows, sources, **kw))
    stored = store.write_chunks(object_key, encrypt(stream, keyring), content_type=CONTENT_TYPE)
    return BuiltPackage(
        object_key=object_key,
        size=hasher.size,
        sha256=hasher.digest.hexdigest(),
        stored_size=stored,
        key_id=keyring.current,
    )


def open_package(store: ChunkStore, keyring: PackageKeyring, object_key: str) -> Iterator[bytes]:
    """The package's clear text (the zip), decrypted record by record as it is read (blocking)."""
    return decrypt(store.read_chunks(object_key), keyring)
