"""The S3 adapter through the minio client against a real S3 HTTP endpoint (moto server)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from portfolio_shared.storage.s3 import S3Storage

pytestmark = pytest.mark.integration


async def test_presigned_put_then_verify_and_download(s3_url: str) -> None:
    storage = S3Storage.from_url(s3_url)
    await storage.ensure_bucket()
    assert await storage.ping()
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10
    put = await storage.presign_put("school/student/obj1", content_type="image/png", max_size=10_000)
    async with httpx.AsyncClient() as client:
        r = await client.put(put.url, content=data, headers=put.headers)
        assert r.status_code == 200, r.text
        info = await storage.stat("school/student/obj1")
        assert info is not None and info.size == len(data)
        assert await storage.read_head("school/student/obj1", 8) == data[:8]
        digest = await storage.digest("school/student/obj1")
        assert digest.sha256 == hashlib.sha256(data).hexdigest()
        get = await storage.presign_get("school/student/obj1", filename="作品.png", content_type="image/png")
        r = await client.get(get.url)
        assert r.status_code == 200 and r.content == data
        assert "filename*=UTF-8''%E4%BD%9C%E5%93%81.png" in r.headers["content-disposition"]
    assert [o.key async for o in storage.list("school/")] == ["school/student/obj1"]
    await storage.delete("school/student/obj1")
    assert await storage.stat("school/student/obj1") is None


async def test_presigned_put_signs_the_declared_sha256_and_size(s3_url: str) -> None:
    """The URL binds one body: Content-Length, Content-Type and x-amz-checksum-sha256 are signed."""
    storage = S3Storage.from_url(s3_url)
    await storage.ensure_bucket()
    assert storage.verifies_uploads is False  # moto: see the probe below
    data = b"%PDF-1.7\n" + bytes(range(256)) * 4
    put = await storage.presign_put(
        "s/u/signed", content_type="application/pdf", max_size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )
    query = parse_qs(urlsplit(put.url).query)
    assert query["X-Amz-SignedHeaders"] == [
        "content-length;content-type;host;x-amz-checksum-sha256;x-amz-sdk-checksum-algorithm"
    ]
    assert put.headers["x-amz-checksum-sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    async with httpx.AsyncClient() as client:
        r = await client.put(put.url, content=data, headers=put.headers)
    assert r.status_code == 200, r.text
    assert await storage.read_head("s/u/signed", 9) == data[:9]
    source = await storage.reader_source("s/u/signed")
    async with httpx.AsyncClient() as client:  # what the parser worker fetches
        assert isinstance(source, str) and (await client.get(source)).content == data
    assert S3Storage.from_url(s3_url + "&store_verifies=true").verifies_uploads is True


async def test_probe_moto_does_not_enforce_a_signed_checksum(s3_url: str) -> None:
    """Why S3Storage.verifies_uploads is off unless the URL says so: the S3 test server (moto) stores
    a body whose SHA-256 and length differ from the signed ones (AWS S3 and MinIO refuse it with
    BadDigest / SignatureDoesNotMatch). Should moto start enforcing, this fails: then the tests may
    run the store-verified path on it too."""
    storage = S3Storage.from_url(s3_url)
    await storage.ensure_bucket()
    declared = b"%PDF-1.7\n declared body"
    put = await storage.presign_put(
        "s/u/probe",
        content_type="application/pdf",
        max_size=len(declared),
        sha256=hashlib.sha256(declared).hexdigest(),
    )
    other = b"%PDF-1.7\n a different and longer body"
    async with httpx.AsyncClient() as client:
        r = await client.put(put.url, content=other, headers=put.headers)
    assert r.status_code == 200, r.text
    info = await storage.stat("s/u/probe")
    assert info is not None and info.size == len(other)
