"""The five services' public HTTP APIs, called with the signed-in person's own token.

The portal holds no privilege of its own: every call carries the person's bearer token, so every
service applies its own rules (object-level checks, windows, caps) exactly as for any other client.
A refusal comes back as the service's problem+json, kept whole in :class:`ApiError` so a page can
show its zh-TW (or English) title, the detail and the field at fault.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from portfolio_portal.config import Settings

log = logging.getLogger("portfolio_portal.services")

SERVICES = ("identity", "records", "artifacts", "submission", "notification")


@dataclass
class ApiError(Exception):
    """A problem+json answer (RFC 9457) of a service, or an unreachable service as a 503 problem."""

    status: int
    problem: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.problem.get('title_en') or self.problem.get('title')}"

    def title(self, lang: str) -> str:
        p = self.problem
        return str((p.get("title_en") if lang == "en" else p.get("title_zh")) or p.get("title") or self.status)

    def detail(self, lang: str) -> str:
        p = self.problem
        return str((p.get("detail") if lang == "en" else (p.get("detail_zh") or p.get("detail"))) or "")

    @property
    def field(self) -> str | None:
        value = self.problem.get("field")
        return str(value) if value else None

    @property
    def rule(self) -> str | None:
        value = self.problem.get("rule")
        return str(value) if value else None

    @property
    def code(self) -> str:
        return str(self.problem.get("code") or str(self.problem.get("type", "")).rsplit("/", 1)[-1])

    def field_errors(self) -> list[dict[str, str]]:
        errors = self.problem.get("errors")
        if not isinstance(errors, list):
            return []
        out = []
        for e in errors:
            if isinstance(e, dict):
                out.append({"field": str(e.get("field", "")), "message": str(e.get("message") or e.get("msg") or "")})
        return out


def unreachable(service: str, exc: Exception) -> ApiError:
    log.warning("%s unreachable: %s", service, type(exc).__name__)
    return ApiError(
        503,
        {
            "type": "https://portfolio.example.org/problems/service-unavailable",
            "code": "service-unavailable",
            "title": "服務暫時無法使用",
            "title_en": "Service unavailable",
            "title_zh": "服務暫時無法使用",
            "status": 503,
            "detail": f"the {service} service did not answer; try again shortly",
            "detail_zh": f"{service} 服務沒有回應，請稍後再試",
        },
    )


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, ValueError):
        body = None
    if isinstance(body, dict):
        return body
    return {"status": response.status_code, "title": str(response.status_code), "detail": response.text[:300]}


class Services:
    """One pooled HTTP client for all five services (created with the app, closed with it)."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.client = httpx.AsyncClient(timeout=settings.request_timeout_seconds, transport=transport)

    async def close(self) -> None:
        await self.client.aclose()

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None,
        lang: str = "zh-TW",
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The raw answer of a 2xx call; anything else raises :class:`ApiError`."""
        sent = {"Accept-Language": "en" if lang == "en" else "zh-TW", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        clean = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        url = self.settings.service_url(service) + path
        try:
            response = await self.client.request(
                method, url, params=clean or None, json=json_body, data=form, headers=sent
            )
        except httpx.HTTPError as exc:
            raise unreachable(service, exc) from exc
        if response.status_code >= 400:
            raise ApiError(response.status_code, _problem_of(response))
        return response

    async def get(self, service: str, path: str, *, token: str | None, lang: str = "zh-TW", **params: Any) -> Any:
        response = await self.call(service, "GET", path, token=token, lang=lang, params=params)
        return response.json() if response.content else None

    async def send(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None,
        lang: str = "zh-TW",
        json_body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        response = await self.call(
            service, method, path, token=token, lang=lang, json_body=json_body, form=form, headers=headers
        )
        return response.json() if response.content else None

    async def ready(self) -> dict[str, bool]:
        """Each service's /readyz, for the portal's own readiness (no token needed)."""
        out: dict[str, bool] = {}
        for name in SERVICES:
            try:
                r = await self.client.get(self.settings.service_url(name) + "/healthz", timeout=3)
                out[name] = r.status_code == 200
            except httpx.HTTPError:
                out[name] = False
        return out
