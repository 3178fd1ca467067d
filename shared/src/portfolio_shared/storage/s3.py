"""S3 / MinIO adapter through the ``minio`` client (its calls are blocking: run them in threads)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

import certifi
import urllib3
from minio import Minio
from minio.error import S3Error

from . import sigv4
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
        # As many kept-alive connections as the storage threads of a surge (artifacts' storage_threads,
        # 32): a smaller pool discards and reopens connections under load.
        maxsize=32,
        cert_reqs="CERT_REQUIRED" if secure else "CERT_NONE",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(total=5, connect=2, read=1, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


class S3Storage:
    def __init__(
        self,
        client: Minio,
        bucket: str,
        *,
        verifies_uploads: bool = False,
        endpoint: str = "",
        secure: bool = True,
        region: str = "us-east-1",
        access_key: str = "",
        secret_key: str = "",
    ) -> None:
        self.client = client
        self.bucket = bucket
        # AWS S3 and MinIO check a signed x-amz-checksum-sha256 and Content-Length; moto does not
        # (tests/integration/test_s3_storage.py probes it), so this is the deployment's word, off
        # unless the URL says ``store_verifies=true``.
        self.verifies_uploads = verifies_uploads
        self._endpoint, self._secure, self._region = endpoint, secure, region
        self._access_key, self._secret_key = access_key, secret_key

    @classmethod
    def from_url(cls, url: str) -> S3Storage:
        """``s3://ACCESS:SECRET@host:port/bucket?secure=false&region=us-east-1``, optionally with
        ``connect_timeout=`` (default 5) and ``read_timeout=`` (default 20) in seconds, and
        ``store_verifies=true`` when the store enforces signed checksums (AWS S3, MinIO)."""
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        secure = query.get("secure", ["true"])[0].lower() == "true"
        region = query.get("region", ["us-east-1"])[0]
        endpoint = f"{parts.hostname}:{parts.port or (443 if secure else 80)}"
        access_key, secret_key = unquote(parts.username or ""), unquote(parts.password or "")
        client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=_http_client(
                secure,
                connect=float(query.get("connect_timeout", ["5"])[0]),
                read=float(query.get("read_timeout", ["20"])[0]),
            ),
        )
        return cls(
            client,
            parts.path.strip("/"),
            verifies_uploads=query.get("store_verifies", ["false"])[0].lower() == "true",
            endpoint=endpoint,
            secure=secure,
            region=region,
            access_key=access_key,
            secret_key=secret_key,
        )

    def _host_header(self) -> str:
        """The Host header a client sends (no port when it is the scheme's default): what is signed."""
        host, _, port = self._endpoint.rpartition(":")
        default = "443" if self._secure else "80"
        return host if port == default else self._endpoint

    async def ensure_bucket(self) -> None:
        def _ensure() -> None:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)

        await asyncio.to_thread(_ensure)

    async def presign_put(
        self,
        key: str,
        *,
        content_type: str,
        max_size: int,
        sha256: str | None = None,
        expires: timedelta = timedelta(minutes=15),
    ) -> PresignedRequest:
        """Without ``sha256`` only the host is signed (S3 cannot bound such a PUT's size: the caller
        verifies the stored size on completion). With it, Content-Type, Content-Length (= ``max_size``)
        and x-amz-checksum-sha256 are signed: a store that enforces them refuses any other body."""
        if sha256 is None or not self._access_key:
            url = await asyncio.to_thread(self.client.presigned_put_object, self.bucket, key, expires)
            return PresignedRequest(
                url=url, method="PUT", headers={"Content-Type": content_type}, expires_in=int(expires.total_seconds())
            )
        # Sent by the client as they are; Content-Length is signed but set by the client's HTTP stack
        # from the body (browsers refuse to set it by hand), so a body of another length fails.
        headers = {
            "Content-Type": content_type,
            "x-amz-checksum-sha256": sigv4.checksum_header(sha256),
            "x-amz-sdk-checksum-algorithm": "SHA256",
        }
        url = sigv4.presign(
            method="PUT",
            scheme="https" if self._secure else "http",
            host=self._host_header(),
            path=f"/{self.bucket}/{key}",
            access_key=self._access_key,
            secret_key=self._secret_key,
            region=self._region,
            expires=int(expires.total_seconds()),
            headers={**headers, "Content-Length": str(max_size)},
        )
        return PresignedRequest(url=url, method="PUT", headers=headers, expires_in=int(expires.total_seconds()))

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

    async def reader_source(self, key: str) -> str | Path:
        """A presigned GET valid for one minute (a parser worker fetches the object with it)."""
        return await asyncio.to_thread(self.client.presigned_get_object, self.bucket, key, timedelta(minutes=1))

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
