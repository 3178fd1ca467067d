"""The one domain-error base of every service (issue 10: one shape for every service).

A domain error says WHAT went wrong in the service's own words: a stable kebab-case ``code`` (the
problem ``type`` ends with it, e.g. ``https://portfolio.example.org/problems/window-closed``), a
title in English and in Traditional Chinese, a ``detail`` (optionally also ``detail_zh``), the
``field`` at fault and the DOMAIN.md ``rule`` that is why. Domain and service layers raise these
and import nothing of HTTP; ``status`` is only the class of outcome (invalid 422, conflict 409,
forbidden 403, not found 404, ...) that ``portfolio_shared.problems`` — the edge — turns into the
response. Subclasses set the class-level defaults; a single raise may override them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class DomainError(Exception):
    """Base of every error a service reports to its callers."""

    code: str = "domain-error"
    title_en: str = "Domain rule violated"
    title_zh: str = "違反業務規則"
    status: int = 422
    default_field: ClassVar[str | None] = None
    default_rule: ClassVar[str | None] = None

    def __init__(
        self,
        detail: str = "",
        detail_zh: str | None = None,
        *,
        field: str | None = None,
        rule: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
        title_en: str | None = None,
        title_zh: str | None = None,
        status: int | None = None,
    ) -> None:
        # Per-raise overrides keep one-off refusals (a taken login, a throttled sign-in) from
        # needing a class each; they still go through the same mapping as every other error.
        if code is not None:
            self.code = code
        if title_en is not None:
            self.title_en = title_en
        if title_zh is not None:
            self.title_zh = title_zh
        if status is not None:
            self.status = status
        self.detail = detail or self.title_en
        super().__init__(self.detail)
        self.detail_zh = detail_zh
        self.field = field if field is not None else self.default_field
        self.rule = rule if rule is not None else self.default_rule
        self.extra: dict[str, Any] = dict(extra or {})
        self.headers: dict[str, str] | None = dict(headers) if headers else None

    @property
    def detail_en(self) -> str:
        return self.detail

    def extensions(self) -> dict[str, Any]:
        """Problem members beyond the standard ones (stable keys, JSON-serialisable values)."""
        members: dict[str, Any] = {"code": self.code}
        if self.field is not None:
            members["field"] = self.field
        if self.rule is not None:
            members["rule"] = self.rule
        if self.detail_zh is not None:
            members["detail_zh"] = self.detail_zh
        members.update(self.extra)
        return members

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, "
            f"rule={self.rule!r}, detail={self.detail!r})"
        )


def is_kebab_code(code: str) -> bool:
    """The one code style (checked by the tests over every error class of every service)."""
    return bool(_KEBAB.match(code))


class InvalidInput(DomainError):
    """Input that can never be valid as given."""

    code = "validation-failed"
    title_en = "Validation failed"
    title_zh = "資料驗證失敗"
    status = 422


class Conflict(DomainError):
    """Valid input that conflicts with current state, a window or a cap."""

    code = "conflict"
    title_en = "Conflict"
    title_zh = "資料狀態衝突"
    status = 409


class NotFound(DomainError):
    """Not there, or not visible to the caller: never say which."""

    code = "not-found"
    title_en = "Not found"
    title_zh = "查無資料"
    status = 404


class Forbidden(DomainError):
    """The caller may see the object but lacks the permission for this action."""

    code = "forbidden"
    title_en = "Forbidden"
    title_zh = "沒有權限"
    status = 403


class NotAuthenticated(DomainError):
    code = "not-authenticated"
    title_en = "Not authenticated"
    title_zh = "尚未登入或憑證無效"
    status = 401


class TooManyRequests(DomainError):
    code = "too-many-requests"
    title_en = "Too many requests"
    title_zh = "請求過於頻繁"
    status = 429


class Unavailable(DomainError):
    """A dependency did not answer: nothing was decided, retry later."""

    code = "service-unavailable"
    title_en = "Service unavailable"
    title_zh = "服務暫時無法使用"
    status = 503


class InternalFailure(DomainError):
    """A failure of the service itself (a key or cipher problem): never the caller's fault."""

    code = "internal-server-error"
    title_en = "Internal server error"
    title_zh = "系統內部錯誤"
    status = 500


def not_found(what: str) -> NotFound:
    return NotFound(f"{what} does not exist or is not visible to you")


def forbidden(detail: str = "you lack the permission for this action", *, rule: str | None = None) -> Forbidden:
    return Forbidden(detail, rule=rule)
