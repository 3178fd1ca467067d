"""S3 / MinIO adapter through the ``minio`` client (its calls are blocking: run them in threads)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import timedelta
from typing import BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

import certifi
import urllib3
from minio import Minio
from minio.error import S3Error

from .base import Digest, Inspection, ObjectInfo, PresignedRequest

CHUNK = 1024 * 1024
PART = 8 * 1024 * 1024  # multipart part size of streamed writes (S3's minimum is 5 MiB)


class _ChunkReader:
    """A file-like ``read(n)`` over an iterator of chunks (what minio's put_object reads from)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buffer) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if n < 0:
            n = len(self._buffer)
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        self.size += len(out)
        return out


def _http_client(secure: bool, *, connect: float, read: float) -> urllib3.PoolManager:
    """minio's own client, but with bounded waits: its default of 5 minutes per attempt (and 5
    retries) would hang an upload's completion and the blocking thread under a silent network drop.
    A storage that does not connect is given up after 3 attempts, one that stopped answering after 2
    reads: seconds, not half an hour."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=connect, read=read),
        maxsize=10,
        cert_reqs="CERT_REQUIRED" if secure else "CERT_NONE",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(total=5, connect=2, read=1, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


class S3Storage:
    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_url(cls, url: str) -> S3Storage:
        """``s3://ACCESS:SECRET@host:port/bucket?secure=false&region=us-east-1``, optionally with
        ``connect_timeout=`` (default 5) and ``read_timeout=`` (default 20) in seconds."""
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        secure = query.get("secure", ["true"])[0].lower() == "true"
        region = query.get("region", ["us-east-1"])[0]
        client = Minio(
            f"{parts.hostname}:{parts.port or (443 if secure else 80)}",
            access_key=unquote(parts.username or ""),
            secret_key=unquote(parts.password or ""),
            secure=secure,
            region=region,
            http_client=_http_client(
                secure,
                connect=float(query.get("connect_timeout", ["5"])[0]),
                read=float(query.get("read_timeout", ["20"])[0]),
            ),
        )
        return cls(client, parts.path.strip("/"))

    async def ensure_bucket(self) -> None:
        def _ensure() -> None:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)

        await asyncio.to_thread(_ensure)

    async def presign_put(
        self, key: str, *, content_type: str, max_size: int, expires: timedelta = timedelta(minutes=15)
    ) -> PresignedRequest:
        # S3 cannot bound a presigned PUT's size; the caller checked the declared size and
        # verifies the stored size on completion, deleting anything over the limit.
        url = await asyncio.to_thread(self.client.presigned_put_object, self.bucket, key, expires)
        return PresignedRequest(
            url=url, method="PUT", headers={"Content-Type": content_type}, expires_in=int(expires.total_seconds())
        )

    async def presign_get(
        self, key: str, *, filename: str, content_type: str, expires: timedelta = timedelta(minutes=5)
    ) -> PresignedRequest:
        from .disposition import content_disposition

        params: dict[str, str | list[str] | tuple[str]] = {
            "response-content-disposition": content_disposition(filename),
            "response-content-type": content_type,
        }
        url = await asyncio.to_thread(self.client.presigned_get_object, self.bucket, key, expires, params)
        return PresignedRequest(url=url, method="GET", expires_in=int(expires.total_seconds()))

    async def stat(self, key: str) -> ObjectInfo | None:
        try:
            st = await asyncio.to_thread(self.client.stat_object, self.bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return None
            raise
        return ObjectInfo(key=key, size=int(st.size or 0))

    async def read_head(self, key: str, length: int = 4096) -> bytes:
        def _read() -> bytes:
            resp = self.client.get_object(self.bucket, key, offset=0, length=length)
            try:
                return bytes(resp.read())
            finally:
                resp.close()
                resp.release_conn()

        return await asyncio.to_thread(_read)

    async def digest(self, key: str) -> Digest:
        def _digest() -> Digest:
            resp = self.client.get_object(self.bucket, key)
            h, size = hashlib.sha256(), 0
            try:
                for chunk in resp.stream(CHUNK):
                    h.update(chunk)
                    size += len(chunk)
            finally:
                resp.close()
                resp.release_conn()
            return Digest(size=size, sha256=h.hexdigest())

        return await asyncio.to_thread(_digest)

    async def inspect(
        self, key: str, *, head_size: int = 4096, max_size: int | None = None, sink: BinaryIO | None = None
    ) -> Inspection | None:
        """Size, SHA-256 and the first bytes in one GET; an object over ``max_size`` is not read.

        ``sink`` gets a copy of the bytes as they stream by (never more than ``max_size`` + a chunk)."""

        def _inspect() -> Inspection | None:
            try:
                resp = self.client.get_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                    return None
                raise
            try:
                declared = int(resp.headers.get("Content-Length") or -1)
                if max_size is not None and declared > max_size:
                    return Inspection(size=declared, sha256=None, head=b"")
                h, size, head = hashlib.sha256(), 0, bytearray()
                for chunk in resp.stream(CHUNK):
                    if len(head) < head_size:
                        head += chunk[: head_size - len(head)]
                    h.update(chunk)
                    size += len(chunk)
                    if sink is not None:
                        sink.write(chunk)
                    if max_size is not None and size > max_size:
                        return Inspection(size=size, sha256=None, head=bytes(head))
                return Inspection(size=size, sha256=h.hexdigest(), head=bytes(head))
            finally:
                resp.close()
                resp.release_conn()

        return await asyncio.to_thread(_inspect)

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        await asyncio.to_thread(self.client.put_object, self.bucket, key, io.BytesIO(data), len(data), content_type)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.remove_object, self.bucket, key)

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        objects = await asyncio.to_thread(
            lambda: list(self.client.list_objects(self.bucket, prefix=prefix, recursive=True))
        )
        for obj in objects:
            yield ObjectInfo(key=str(obj.object_name), size=int(obj.size or 0))

    def read_chunks(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        try:
            resp = self.client.get_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                raise KeyError(key) from None
            raise
        try:
            yield from resp.stream(chunk_size)
        finally:
            resp.close()
            resp.release_conn()

    def write_chunks(self, key: str, chunks: Iterable[bytes], *, content_type: str) -> int:
        """A multipart upload of unknown length: minio buffers one part (``PART`` bytes) at a time;
        an interrupted upload is aborted and leaves no object."""
        reader = _ChunkReader(chunks)
        self.client.put_object(self.bucket, key, reader, -1, content_type=content_type, part_size=PART)  # type: ignore[arg-type]
        return reader.size

    async def ping(self) -> bool:
        try:
            return bool(await asyncio.to_thread(self.client.bucket_exists, self.bucket))
        except Exception:
            return False
