"""Local-disk adapter for the standalone shape.

Presigned URLs point at the service's own ``/storage`` routes and carry an HMAC-signed token
(key, method, expiry, content type, size bound), so a client uses them exactly like S3's. Objects
are written to a temporary file and renamed into place; an existing object is never overwritten.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, Header, Request
from fastapi.responses import FileResponse, Response

from ..problems import Problem
from ..sizes import over_limit
from .base import Digest, Inspection, ObjectInfo, PresignedRequest
from .disposition import content_disposition

CHUNK = 1024 * 1024


class LocalDiskStorage:
    # The PUT route below checks size and SHA-256 of what it receives against the signed token.
    verifies_uploads = True

    def __init__(self, root: str | Path, *, secret: str, base_url: str, route_prefix: str = "/storage") -> None:
        self.root = Path(root).resolve()
        self.secret = secret.encode()
        self.base_url = base_url.rstrip("/")
        self.route_prefix = route_prefix

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"object key escapes the storage root: {key!r}")
        return path

    def sign(self, claims: dict[str, object]) -> str:
        raw = base64.urlsafe_b64encode(json.dumps(claims, sort_keys=True).encode()).rstrip(b"=")
        mac = base64.urlsafe_b64encode(hmac.new(self.secret, raw, hashlib.sha256).digest()).rstrip(b"=")
        return f"{raw.decode()}.{mac.decode()}"

    def verify(self, token: str, method: str) -> dict[str, object]:
        try:
            raw, mac = token.split(".", 1)
            expected = base64.urlsafe_b64encode(hmac.new(self.secret, raw.encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(expected.rstrip(b"=").decode(), mac):
                raise ValueError("bad signature")
            claims: dict[str, object] = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        except ValueError as exc:
            raise Problem(
                403, "signature-invalid", "Invalid signature", "簽章無效", "the storage URL is not valid"
            ) from exc
        if claims.get("m") != method:
            raise Problem(403, "signature-invalid", "Invalid signature", "簽章無效", "wrong method for this URL")
        if float(str(claims.get("exp", 0))) < time.time():
            raise Problem(403, "url-expired", "URL expired", "網址已過期", "the storage URL has expired")
        return claims

    async def ensure_bucket(self) -> None:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)

    async def presign_put(
        self,
        key: str,
        *,
        content_type: str,
        max_size: int,
        sha256: str | None = None,
        expires: timedelta = timedelta(minutes=15),
    ) -> PresignedRequest:
        self._path(key)
        claims: dict[str, object] = {
            "k": key,
            "m": "PUT",
            "exp": time.time() + expires.total_seconds(),
            "ct": content_type,
            "max": max_size,
        }
        if sha256 is not None:  # bound to one body: exactly max_size bytes with this digest
            claims["sha"] = sha256.lower()
        token = self.sign(claims)
        return PresignedRequest(
            url=f"{self.base_url}{self.route_prefix}/{token}",
            method="PUT",
            headers={"Content-Type": content_type},
            expires_in=int(expires.total_seconds()),
        )

    async def presign_get(
        self, key: str, *, filename: str, content_type: str, expires: timedelta = timedelta(minutes=5)
    ) -> PresignedRequest:
        token = self.sign(
            {"k": key, "m": "GET", "exp": time.time() + expires.total_seconds(), "ct": content_type, "fn": filename}
        )
        return PresignedRequest(
            url=f"{self.base_url}{self.route_prefix}/{token}?name={quote(filename)}",
            method="GET",
            expires_in=int(expires.total_seconds()),
        )

    async def reader_source(self, key: str) -> str | Path:
        """The stored file itself (objects are immutable once written)."""
        return self._path(key)

    async def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            st = await asyncio.to_thread(path.stat)
        except FileNotFoundError:
            return None
        return ObjectInfo(key=key, size=st.st_size)

    async def read_head(self, key: str, length: int = 4096) -> bytes:
        def _read() -> bytes:
            with self._path(key).open("rb") as fh:
                return fh.read(length)

        return await asyncio.to_thread(_read)

    async def digest(self, key: str) -> Digest:
        def _digest() -> Digest:
            h, size = hashlib.sha256(), 0
            with self._path(key).open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    h.update(chunk)
                    size += len(chunk)
            return Digest(size=size, sha256=h.hexdigest())

        return await asyncio.to_thread(_digest)

    async def inspect(
        self, key: str, *, head_size: int = 4096, max_size: int | None = None, sink: BinaryIO | None = None
    ) -> Inspection | None:
        """Size, SHA-256 and the first bytes in one read; a file over ``max_size`` is not read.

        ``sink`` gets a copy of the bytes as they are read, chunk by chunk."""

        def _inspect() -> Inspection | None:
            path = self._path(key)
            try:
                fh = path.open("rb")
            except FileNotFoundError:
                return None
            with fh:
                size_on_disk = os.fstat(fh.fileno()).st_size
                if max_size is not None and size_on_disk > max_size:
                    return Inspection(size=size_on_disk, sha256=None, head=b"")
                head = fh.read(head_size)
                h, size = hashlib.sha256(head), len(head)
                if sink is not None:
                    sink.write(head)
                while chunk := fh.read(CHUNK):
                    h.update(chunk)
                    size += len(chunk)
                    if sink is not None:
                        sink.write(chunk)
                return Inspection(size=size, sha256=h.hexdigest(), head=head)

        return await asyncio.to_thread(_inspect)

    def _write_new(self, key: str, chunks: Iterable[bytes]) -> int:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.part")
        size = 0
        try:
            with tmp.open("wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
                    size += len(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            # link() fails if the key exists: accepted objects are immutable.
            os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return size

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        await asyncio.to_thread(self._write_new, key, [data])

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        def _walk() -> list[ObjectInfo]:
            out = []
            for path in sorted(self.root.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    key = path.relative_to(self.root).as_posix()
                    if key.startswith(prefix):
                        out.append(ObjectInfo(key=key, size=path.stat().st_size))
            return out

        for info in await asyncio.to_thread(_walk):
            yield info

    async def ping(self) -> bool:
        return await asyncio.to_thread(lambda: self.root.is_dir() and os.access(self.root, os.W_OK))

    def read_chunks(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        path = self._path(key)
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            raise KeyError(key) from None
        with fh:
            while chunk := fh.read(chunk_size):
                yield chunk

    def write_chunks(self, key: str, chunks: Iterable[bytes], *, content_type: str) -> int:
        return self._write_new(key, chunks)

    def router(self) -> APIRouter:
        """The routes the presigned URLs point at (mounted by a service in the standalone shape)."""
        router = APIRouter(prefix=self.route_prefix, tags=["storage"], include_in_schema=False)

        @router.put("/{token}")
        async def upload(
            token: str, request: Request, content_type: Annotated[str | None, Header()] = None
        ) -> Response:
            claims = self.verify(token, "PUT")
            if content_type != claims.get("ct"):
                raise Problem(
                    403,
                    "signature-invalid",
                    "Invalid signature",
                    "簽章無效",
                    "the Content-Type differs from the one the URL was issued for",
                )
            limit = int(str(claims["max"]))
            expected = claims.get("sha")
            hasher = hashlib.sha256() if expected is not None else None
            chunks: list[bytes] = []
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    received = over_limit(limit, size, what="what was received so far")
                    raise Problem(413, "too-large", "Payload too large", "檔案過大", received)
                if hasher is not None:
                    hasher.update(chunk)
                chunks.append(chunk)
            if hasher is not None:  # as S3 does with a signed x-amz-checksum-sha256 and Content-Length
                if size != limit:
                    raise Problem(
                        400,
                        "size-mismatch",
                        "Size mismatch",
                        "檔案大小不符",
                        f"{size} bytes were received; this URL is for exactly {limit} bytes",
                    )
                if hasher.hexdigest() != expected:
                    raise Problem(
                        400,
                        "bad-digest",
                        "Checksum mismatch",
                        "檔案雜湊值不符",
                        "the SHA-256 of what was received differs from the one this URL was issued for",
                    )
            try:
                await asyncio.to_thread(self._write_new, str(claims["k"]), chunks)
            except FileExistsError as exc:
                raise Problem(
                    409, "object-exists", "Object exists", "檔案已存在", "this upload URL was already used"
                ) from exc
            return Response(status_code=200)

        @router.get("/{token}")
        async def download(token: str) -> FileResponse:
            claims = self.verify(token, "GET")
            path = self._path(str(claims["k"]))
            if not path.is_file():
                raise Problem(404, "not-found", "Not found", "查無資料", "the object does not exist")
            return FileResponse(
                path,
                media_type=str(claims.get("ct")),
                headers={"Content-Disposition": content_disposition(str(claims.get("fn", "file")))},
            )

        return router
