"""The local-disk storage adapter (standalone shape): signed URLs, size bound, immutability."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from portfolio_shared import problems
from portfolio_shared.storage.disposition import content_disposition
from portfolio_shared.storage.local import LocalDiskStorage


@pytest.fixture
def storage(tmp_path: Path) -> LocalDiskStorage:
    return LocalDiskStorage(tmp_path / "objects", secret="s" * 32, base_url="http://t")


def _client(storage: LocalDiskStorage) -> httpx.AsyncClient:
    app = FastAPI()
    problems.install(app)
    app.include_router(storage.router())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_presigned_put_get_digest_and_immutability(storage: LocalDiskStorage) -> None:
    await storage.ensure_bucket()
    data = b"%PDF-1.7\n" + b"x" * 1000
    put = await storage.presign_put("s1/u1/a", content_type="application/pdf", max_size=2000)
    async with _client(storage) as client:
        r = await client.put(put.url, content=data, headers=put.headers)
        assert r.status_code == 200
        assert (await client.put(put.url, content=b"other", headers=put.headers)).status_code == 409
        digest = await storage.digest("s1/u1/a")
        assert digest.size == len(data) and digest.sha256 == hashlib.sha256(data).hexdigest()
        assert await storage.read_head("s1/u1/a", 4) == b"%PDF"
        get = await storage.presign_get("s1/u1/a", filename="成果 報告.pdf", content_type="application/pdf")
        r = await client.get(get.url)
        assert r.content == data
        assert "filename*=UTF-8''%E6%88%90%E6%9E%9C%20%E5%A0%B1%E5%91%8A.pdf" in r.headers["content-disposition"]
    assert [o.key for o in [o async for o in storage.list("s1/")]] == ["s1/u1/a"]


async def test_put_is_size_bounded_and_signature_checked(storage: LocalDiskStorage) -> None:
    put = await storage.presign_put("k", content_type="application/pdf", max_size=10)
    async with _client(storage) as client:
        r = await client.put(put.url, content=b"y" * 11, headers=put.headers)
        assert r.status_code == 413
        assert await storage.stat("k") is None
        r = await client.put(put.url, content=b"y", headers={"Content-Type": "text/html"})
        assert r.status_code == 403
        tampered = put.url[:-3] + ("AAA" if not put.url.endswith("AAA") else "BBB")
        assert (await client.put(tampered, content=b"y", headers=put.headers)).status_code == 403
        get = await storage.presign_get("k", filename="k", content_type="application/pdf")
        assert (await client.put(get.url.split("?")[0], content=b"y", headers=put.headers)).status_code == 403


def test_keys_cannot_escape_the_root(storage: LocalDiskStorage) -> None:
    with pytest.raises(ValueError):
        storage._path("../../etc/passwd")


def test_content_disposition_is_safe() -> None:
    header = content_disposition('evil"\r\nX-Injected: 1/../a.pdf')
    assert "\r" not in header and "\n" not in header
    assert header.count('"') == 2


async def test_inspect_copies_every_byte_to_a_sink_in_one_read(storage: LocalDiskStorage, tmp_path: Path) -> None:
    # R-FILE-1 content checks parse a temporary copy: the one read that hashes also fills it.
    await storage.ensure_bucket()
    data = b"%PDF-1.7\n" + bytes(range(256)) * 20_000  # over one chunk
    await storage.put("s1/u1/b", data, content_type="application/pdf")
    with (tmp_path / "copy").open("w+b") as sink:
        seen = await storage.inspect("s1/u1/b", head_size=16, max_size=len(data), sink=sink)
        sink.seek(0)
        assert sink.read() == data
    assert seen is not None and seen.sha256 == hashlib.sha256(data).hexdigest() and seen.head == data[:16]
    with (tmp_path / "none").open("w+b") as sink:  # over the limit: not read, nothing copied
        over = await storage.inspect("s1/u1/b", max_size=len(data) - 1, sink=sink)
        assert over is not None and over.sha256 is None and sink.tell() == 0


async def test_put_signed_for_a_sha256_takes_exactly_that_body(storage: LocalDiskStorage) -> None:
    """As S3 does with a signed x-amz-checksum-sha256 and Content-Length: the route refuses any other
    body (hence ``verifies_uploads``), at the size and one byte either side."""
    assert storage.verifies_uploads is True
    data = b"%PDF-1.7\n" + b"z" * 100
    digest = hashlib.sha256(data).hexdigest()
    async with _client(storage) as client:
        for key, body, status, code in [
            ("a", data + b"!", 413, "too-large"),
            ("b", data[:-1], 400, "size-mismatch"),
            ("c", data[:-1] + b"y", 400, "bad-digest"),
        ]:
            put = await storage.presign_put(key, content_type="application/pdf", max_size=len(data), sha256=digest)
            r = await client.put(put.url, content=body, headers=put.headers)
            assert (r.status_code, r.json()["code"]) == (status, code)
            assert await storage.stat(key) is None
        put = await storage.presign_put("d", content_type="application/pdf", max_size=len(data), sha256=digest.upper())
        assert (await client.put(put.url, content=data, headers=put.headers)).status_code == 200
    assert await storage.reader_source("d") == storage.root / "d"
    assert (storage.root / "d").read_bytes() == data
