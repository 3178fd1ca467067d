"""RFC 9457 problem+json for every error, with English and Traditional Chinese titles.

Domain errors carry a stable ``code`` (the problem ``type`` ends with it), a title in both
languages, the field at fault and the rule id from DOMAIN.md when a regulation is why.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from .errors import DomainError, forbidden, not_found

__all__ = [
    "MEDIA_TYPE",
    "PROBLEM_BASE",
    "DomainError",
    "Problem",
    "allowed_methods",
    "forbidden",
    "from_status",
    "install",
    "not_found",
    "preferred_language",
    "problem_body",
    "problem_response",
]

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://portfolio.example.org/problems/"
MEDIA_TYPE = "application/problem+json"
DEFAULT_LANGUAGE = "zh-TW"

_STATUS_TITLES: dict[int, tuple[str, str]] = {
    400: ("Bad request", "請求格式錯誤"),
    401: ("Not authenticated", "尚未登入或憑證無效"),
    403: ("Forbidden", "沒有權限"),
    404: ("Not found", "查無資料"),
    405: ("Method not allowed", "不支援此操作方法"),
    409: ("Conflict", "資料狀態衝突"),
    413: ("Payload too large", "檔案或資料過大"),
    415: ("Unsupported media type", "不支援的格式"),
    422: ("Validation failed", "資料驗證失敗"),
    429: ("Too many requests", "請求過於頻繁"),
    500: ("Internal server error", "系統內部錯誤"),
    503: ("Service unavailable", "服務暫時無法使用"),
}


class Problem(DomainError):
    """An error built at the edge (middleware, framework errors) with its status and code spelled out.

    A subclass of the one domain-error base, so there is one mapping to problem+json
    (:func:`problem_body`); service and domain layers raise ``portfolio_shared.errors`` classes.
    """

    def __init__(
        self,
        status: int,
        code: str,
        title_en: str,
        title_zh: str,
        detail: str | None = None,
        *,
        field: str | None = None,
        rule: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        members = dict(extra or {})
        if errors:
            members["errors"] = errors
        super().__init__(
            detail or "",
            field=field,
            rule=rule,
            extra=members,
            headers=headers,
            code=code,
            title_en=title_en,
            title_zh=title_zh,
            status=status,
        )
        # The edge's problems leave ``detail`` out when none was given.
        self.detail = detail or ""
        self.errors = errors or []

    def body(self, instance: str | None = None, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        return problem_body(self, instance=instance, lang=lang)


def preferred_language(accept_language: str | None) -> str:
    """``en`` when the client's most preferred language is English, else ``zh-TW``.

    The users are Taiwanese schools: a browser (or a client that says nothing) gets Traditional
    Chinese; an API client that asks for ``en`` (``en``, ``en-US``, ``en;q=1, zh;q=0.5``) English.
    """
    best: tuple[float, int, str] | None = None
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.split("-")[0]
        if q <= 0 or primary not in ("en", "zh"):
            continue
        # Highest q wins; among equal q the header's order decides (RFC 9110 §12.5.4).
        key = (q, -index, primary)
        if best is None or key[:2] > best[:2]:
            best = key
    return "en" if best is not None and best[2] == "en" else DEFAULT_LANGUAGE


def problem_body(error: DomainError, *, instance: str | None = None, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The one problem+json shape: ``title`` in the negotiated language, both titles always present."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + error.code,
        "title": error.title_en if lang == "en" else error.title_zh,
        "title_en": error.title_en,
        "title_zh": error.title_zh,
        "status": error.status,
    }
    if error.detail:
        body["detail"] = error.detail
    if instance:
        body["instance"] = instance
    body.update(error.extensions())
    return body


def problem_response(problem: DomainError, request: Request | None = None) -> JSONResponse:
    lang = preferred_language(request.headers.get("accept-language")) if request is not None else DEFAULT_LANGUAGE
    headers = {**(problem.headers or {}), "Content-Language": lang, "Vary": "Accept-Language"}
    return JSONResponse(
        problem_body(problem, instance=str(request.url.path) if request else None, lang=lang),
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def from_status(status: int, detail: str | None = None, **kw: Any) -> Problem:
    en, zh = _STATUS_TITLES.get(status, ("Error", "錯誤"))
    code = en.lower().replace(" ", "-")
    return Problem(status, code, en, zh, detail, **kw)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app accepts on this request's path (for a 405's Allow)."""
    # Asked method by method through the public `matches`: routers included in an app are routes
    # themselves and do not list their methods.
    return [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in request.app.routes)
    ]


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on an app."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        if exc.status >= 500:
            # Only the stable code: never the value (a national ID, counselling text) being processed.
            log.error("%s on %s %s", exc.code, request.method, request.url.path)
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_path(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        problem = Problem(
            422,
            "validation-failed",
            "Validation failed",
            "資料驗證失敗",
            f"{len(errors)} field(s) are invalid",
            field=errors[0]["field"] if errors else None,
            errors=errors,
        )
        return problem_response(problem, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # Starlette names only the methods of the first route on this path; a client needs all.
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        problem = from_status(exc.status_code, detail, headers=headers)
        return problem_response(problem, request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(from_status(500, "an unexpected error occurred; it has been logged"), request)
