"""/docs without the internet: the page and every asset it names come from the service (issue 18)."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from portfolio_shared.apidocs import install_offline_docs


async def test_docs_page_names_only_assets_the_service_serves() -> None:
    app = FastAPI(title="toy", docs_url=None, redoc_url=None)
    install_offline_docs(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        page = await client.get("/docs")
        assert page.status_code == 200 and "SwaggerUIBundle" in page.text
        assert not re.search(r"https?://", page.text), "the page names something outside the service"
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert {"/static/docs/swagger-ui-bundle.js", "/static/docs/swagger-ui.css"} <= set(assets)
        for asset in assets:
            served = await client.get(asset)
            assert served.status_code == 200 and len(served.content) > 100, asset
        assert '"validatorUrl": null' in page.text  # no call to validator.swagger.io
        assert (await client.get("/docs/oauth2-redirect")).status_code == 200
        assert (await client.get("/redoc")).status_code == 404  # ReDoc would fetch its logo from a CDN
