"""Cross-origin access for one path only (portfolio_shared.cors): the local-disk storage routes answer
the portal's upload script from the portal's origin (standalone shape), nothing else does, and no
other origin is admitted."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from portfolio_shared import problems
from portfolio_shared.cors import PathCORS, parse_origins
from portfolio_shared.storage.local import LocalDiskStorage

PORTAL = "http://127.0.0.1:8007"


def _app(storage: LocalDiskStorage, origins: str) -> FastAPI:
    app = FastAPI()
    problems.install(app)
    app.include_router(storage.router())

    @app.get("/api/v1/other")
    async def other() -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(PathCORS, origins=origins, prefix="/storage/", methods=("PUT", "GET"), headers=("content-type",))
    return app


def test_origins_are_parsed_without_blanks_or_trailing_slashes() -> None:
    assert parse_origins(" http://a:1/ , ,http://b:2") == ["http://a:1", "http://b:2"]
    assert parse_origins("") == []


async def test_the_portal_origin_may_put_to_storage_and_nothing_else_is_opened(tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path, secret="s" * 32, base_url="http://t")
    put = await storage.presign_put("s/u/a", content_type="application/pdf", max_size=100)
    app = _app(storage, f"{PORTAL}/,http://other.example")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        preflight = {"Origin": PORTAL, "Access-Control-Request-Method": "PUT"}
        r = await client.options(put.url, headers={**preflight, "Access-Control-Request-Headers": "content-type"})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == PORTAL
        assert "PUT" in r.headers["access-control-allow-methods"]
        r = await client.put(put.url, content=b"%PDF-1.7 x", headers={**put.headers, "Origin": PORTAL})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == PORTAL
        # Another origin: the preflight is refused and no answer names it.
        r = await client.options(
            put.url, headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"}
        )
        assert r.status_code == 400 and "access-control-allow-origin" not in r.headers
        # DELETE is not admitted cross-origin.
        r = await client.options(put.url, headers={"Origin": PORTAL, "Access-Control-Request-Method": "DELETE"})
        assert r.status_code == 400
        # Other routes stay same-origin even for the portal's origin.
        r = await client.get("/api/v1/other", headers={"Origin": PORTAL})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
        r = await client.options("/api/v1/other", headers=preflight)
        assert "access-control-allow-origin" not in r.headers


async def test_no_origins_configured_means_no_cross_origin_access(tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path, secret="s" * 32, base_url="http://t")
    put = await storage.presign_put("s/u/b", content_type="application/pdf", max_size=100)
    app = _app(storage, "")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        r = await client.options(put.url, headers={"Origin": PORTAL, "Access-Control-Request-Method": "PUT"})
        assert "access-control-allow-origin" not in r.headers
        r = await client.put(put.url, content=b"%PDF-1.7 x", headers={**put.headers, "Origin": PORTAL})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
