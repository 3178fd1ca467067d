"""Errors as pages: a service's problem+json shown with its title in the reader's language (zh-TW by
default), the detail and the field at fault; a full page for a navigation, a fragment for htmx."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from portfolio_portal.adapters.services import ApiError

from .context import CsrfRefused, Redirect, page_ctx

if TYPE_CHECKING:
    from .context import Ctx

log = logging.getLogger("portfolio_portal")


def problem_html(ctx: Ctx, error: ApiError) -> str:
    template = ctx.templates.get_template("_problem.html")
    return template.render(error=error, lang=ctx.lang, t=ctx.t)


def _local_error(status: int, key_zh: str, key_en: str, detail_zh: str = "", detail_en: str = "") -> ApiError:
    return ApiError(
        status, {"status": status, "title_zh": key_zh, "title_en": key_en, "detail": detail_en, "detail_zh": detail_zh}
    )


async def _error_page(request: Request, error: ApiError) -> Response:
    ctx: Ctx = getattr(request.state, "ctx", None) or await page_ctx(request)
    if error.status == 401:  # the token was refused (revoked, expired): sign in again
        ctx.store_session(None)
        return ctx.redirect(f"/login?next={request.url.path}")
    if ctx.htmx:
        response = HTMLResponse(problem_html(ctx, error), status_code=200)
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
        return ctx.apply(response)
    return await ctx.render("error.html", status_code=error.status, error=error)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return await _error_page(request, exc)

    @app.exception_handler(Redirect)
    async def redirect(request: Request, exc: Redirect) -> Response:
        ctx: Ctx | None = getattr(request.state, "ctx", None)
        if ctx is not None and ctx.htmx:  # htmx follows a redirect inside the fragment; send the page
            response: Response = Response(status_code=204, headers={"HX-Redirect": exc.location})
        else:
            response = RedirectResponse(exc.location, status_code=303)
        return ctx.apply(response) if ctx is not None else response

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        log.warning("CSRF token missing or wrong on %s %s", request.method, request.url.path)
        ctx: Ctx = getattr(request.state, "ctx", None) or await page_ctx(request)
        error = _local_error(403, "表單已失效", "Form expired", ctx.t("error.csrf"), ctx.t("error.csrf"))
        error.problem["detail"] = "The form expired; reload the page and try again."
        error.problem["detail_zh"] = "表單已失效，請重新整理頁面後再試一次。"
        error.problem["code"] = "csrf-token-invalid"
        return await _error_page(request, error)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
        error = _local_error(
            422, "資料驗證失敗", "Validation failed", str(first.get("msg", "")), str(first.get("msg", ""))
        )
        error.problem["field"] = field
        return await _error_page(request, error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: ("查無資料", "Not found"), 405: ("不支援此操作方法", "Method not allowed")}
        zh, en = titles.get(exc.status_code, ("發生錯誤", "Error"))
        return await _error_page(request, _local_error(exc.status_code, zh, en))


__all__ = ["install", "problem_html"]
