"""The S3 adapter through the minio client against a real S3 HTTP endpoint (moto server)."""

from __future__ import annotations

import hashlib

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
