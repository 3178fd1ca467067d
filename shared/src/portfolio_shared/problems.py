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

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://portfolio.example.org/problems/"
MEDIA_TYPE = "application/problem+json"

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


class Problem(Exception):
    """An error the API reports as problem+json. Domain errors of the services map onto it."""

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
        super().__init__(detail or title_en)
        self.status, self.code, self.title_en, self.title_zh = status, code, title_en, title_zh
        self.detail, self.field, self.rule = detail, field, rule
        self.errors = errors or []
        self.extra = extra or {}
        self.headers = headers

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title_en,
            "title_zh": self.title_zh,
            "status": self.status,
            "code": self.code,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.field:
            body["field"] = self.field
        if self.rule:
            body["rule"] = self.rule
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    return JSONResponse(
        problem.body(str(request.url.path) if request else None),
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers=problem.headers,
    )


def from_status(status: int, detail: str | None = None, **kw: Any) -> Problem:
    en, zh = _STATUS_TITLES.get(status, ("Error", "錯誤"))
    code = en.lower().replace(" ", "-")
    return Problem(status, code, en, zh, detail, **kw)


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", "Not found", "查無資料", f"{what} does not exist or is not visible to you")


def forbidden(detail: str = "you lack the permission for this action", *, rule: str | None = None) -> Problem:
    return Problem(403, "forbidden", "Forbidden", "沒有權限", detail, rule=rule)


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

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
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
