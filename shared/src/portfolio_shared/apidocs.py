"""API docs that work without the internet: Swagger UI served by the service itself.

FastAPI's default ``/docs`` page loads its JavaScript and CSS from a CDN and its favicon from
fastapi.tiangolo.com; on a school intranet without internet access it is a blank page. The assets
ship inside the ``fastapi-offline`` wheel (pinned in requirements.lock); only its static files are
used here, the page is FastAPI's own ``get_swagger_ui_html`` pointed at the service's
``/static/docs`` mount.

ReDoc is not offered: its bundle fetches its logo from cdn.redoc.ly whatever the options, so it
cannot keep the promise that no page of the platform loads anything from outside. ``/docs`` covers
the same document (and can try requests).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
STATIC_PATH = "/static/docs"
DOCS_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"

# validatorUrl None: Swagger UI would otherwise ask validator.swagger.io about the document.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None, "persistAuthorization": True}


def install_offline_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (Swagger UI) and its assets from ``/static/docs``.

    The app must be created with ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are off.
    """
    if not (ASSETS / "swagger-ui-bundle.js").is_file():  # a broken install must not serve blank pages
        raise RuntimeError(f"Swagger UI assets are missing from {ASSETS}")
    app.mount(STATIC_PATH, StaticFiles(directory=ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_PATH, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - API docs",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_PATH}",
            swagger_js_url=f"{root}{STATIC_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC_PATH}/favicon.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
