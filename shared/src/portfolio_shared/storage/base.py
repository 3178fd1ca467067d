"""The object-storage port. Files never pass through a service's memory whole: clients PUT and GET
straight to storage through short-lived presigned URLs; the service reads only the first bytes
(magic numbers) and streams the rest through SHA-256."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class PresignedRequest:
    url: str
    method: str
    headers: dict[str, str] = field(default_factory=dict)
    expires_in: int = 0


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int


@dataclass(frozen=True, slots=True)
class Digest:
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Inspection:
    """One read of an object: its size, its SHA-256 and its first bytes.

    ``sha256`` is None when the object is larger than the ``max_size`` the caller gave: then the body
    was not read (``size`` is what the store reported).
    """

    size: int
    sha256: str | None
    head: bytes


@runtime_checkable
class InspectableStorage(Protocol):
    """Optional capability of an adapter: size, SHA-256 and head in one read (one GET on S3)."""

    async def inspect(
        self, key: str, *, head_size: int = 4096, max_size: int | None = None, sink: BinaryIO | None = None
    ) -> Inspection | None:
        """None when the object does not exist. ``sink`` receives every byte read, chunk by chunk (to
        parse a file from a temporary copy without holding it in memory)."""
        ...


class ObjectStorage(Protocol):
    #: Whether the store itself refuses a presigned PUT whose body differs from the ``sha256`` and
    #: ``size`` the URL was signed for. True: on completion a stat (size) and the first bytes (type)
    #: are enough, the store vouches for the SHA-256. False (moto, stores that ignore the signed
    #: checksum): the service hashes what it received once more. Either way the integrity job reads
    #: every object again later.
    verifies_uploads: bool

    async def ensure_bucket(self) -> None: ...

    async def presign_put(
        self,
        key: str,
        *,
        content_type: str,
        max_size: int,
        sha256: str | None = None,
        expires: timedelta = timedelta(minutes=15),
    ) -> PresignedRequest:
        """A short-lived PUT of at most ``max_size`` bytes. With ``sha256`` (hex, the client's
        declaration) the request is bound to that body: exactly ``max_size`` bytes with that digest."""
        ...

    async def presign_get(
        self, key: str, *, filename: str, content_type: str, expires: timedelta = timedelta(minutes=5)
    ) -> PresignedRequest: ...

    async def stat(self, key: str) -> ObjectInfo | None: ...

    async def reader_source(self, key: str) -> str | Path:
        """Where another process on this host reads the object from itself: the file (local disk) or
        a short-lived presigned GET URL (S3), so the bytes need not pass through the service."""
        ...

    async def read_head(self, key: str, length: int = 4096) -> bytes: ...

    async def digest(self, key: str) -> Digest:
        """Stream the object through SHA-256."""
        ...

    async def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    async def delete(self, key: str) -> None: ...

    def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]: ...

    async def ping(self) -> bool: ...

    # Blocking streams, for a worker thread (a package builder, a streamed download): an object is
    # read or written chunk by chunk, never whole in memory.
    def read_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        """The object's bytes in chunks (blocking); ``KeyError`` when it does not exist."""
        ...

    def write_chunks(self, key: str, chunks: Iterable[bytes], *, content_type: str) -> int:
        """Store an object from a stream of chunks of unknown total size (blocking); returns its size.
        Nothing is visible under ``key`` unless the whole stream was written."""
        ...
