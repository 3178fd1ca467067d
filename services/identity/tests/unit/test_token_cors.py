"""Cross-origin access to the OAuth2 token endpoint only, and only from the configured origins
(the other services' /docs "Authorize" in standalone and development)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from portfolio_shared.testing import apps

RECORDS_DOCS = "http://127.0.0.1:8002"
PREFLIGHT = {"access-control-request-method": "POST", "access-control-request-headers": "content-type,x-requested-with"}


async def _options(app: object, path: str, origin: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://identity") as client:  # type: ignore[arg-type]
        return await client.options(path, headers={"origin": origin, **PREFLIGHT})


async def test_the_token_endpoint_admits_a_configured_origin_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTFOLIO_IDENTITY_TOKEN_CORS_ORIGINS", f"{RECORDS_DOCS}/, http://127.0.0.1:8003")
    app = apps.build("identity", tmp_path)
    allowed = await _options(app, "/api/v1/auth/token", RECORDS_DOCS)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == RECORDS_DOCS
    assert "POST" in allowed.headers["access-control-allow-methods"]
    stranger = await _options(app, "/api/v1/auth/token", "https://evil.example")
    assert stranger.status_code == 400 and "access-control-allow-origin" not in stranger.headers
    # Any other route stays same-origin, even for a configured origin.
    other = await _options(app, "/api/v1/auth/login", RECORDS_DOCS)
    assert "access-control-allow-origin" not in other.headers


async def test_no_origins_configured_means_no_cross_origin_access(tmp_path: Path) -> None:
    app = apps.build("identity", tmp_path)
    r = await _options(app, "/api/v1/auth/token", RECORDS_DOCS)
    assert "access-control-allow-origin" not in r.headers
