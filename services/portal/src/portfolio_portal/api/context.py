"""Per-request context of a page: language, session, CSRF, the services, rendering and redirects.

``PageCtx`` is for every page; ``SignedIn`` additionally sends an anonymous visitor to the sign-in
page, refreshes an access token about to expire, and ``Csrf`` refuses a state-changing request whose
CSRF token does not match the session (ASVS V3.5).
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from portfolio_portal.adapters.services import ApiError, Services
from portfolio_portal.config import Settings
from portfolio_portal.domain.i18n import Lang, pick_lang, t
from portfolio_portal.domain.session import MAX_CHUNKS, Session, SessionSealer

log = logging.getLogger("portfolio_portal")

SESSION_COOKIE = "portal_s"
PRE_COOKIE = "portal_pre"
LANG_COOKIE = "portal_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
REFRESH_MARGIN_SECONDS = 90  # refresh an access token this close to its expiry


class Redirect(Exception):
    def __init__(self, location: str) -> None:
        self.location = location


class CsrfRefused(Exception):
    pass


@dataclass
class Ctx:
    request: Request
    settings: Settings
    services: Services
    sealer: SessionSealer
    templates: Jinja2Templates
    lang: Lang
    session: Session | None
    pre_id: str
    cookies: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    zones: dict[str, tuple[str, float]] = field(default_factory=dict)

    # -- identity of the caller --------------------------------------------------------------------
    @property
    def token(self) -> str | None:
        return self.session.access_token if self.session else None

    @property
    def school_id(self) -> str:
        school = self.session.current_school if self.session else None
        if not school:
            raise ApiError(403, {"title_zh": "沒有任何學校的角色", "title_en": "No role at any school", "status": 403})
        return school

    def can(self, permission: str) -> bool:
        return bool(self.session and self.session.can(permission))

    @property
    def csrf(self) -> str:
        return self.sealer.csrf_token(self.session.sid if self.session else self.pre_id)

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)

    # -- services ----------------------------------------------------------------------------------
    async def get(self, service: str, path: str, **params: Any) -> Any:
        return await self.services.get(service, path, token=self.token, lang=self.lang, **params)

    async def send(self, service: str, method: str, path: str, **kw: Any) -> Any:
        return await self.services.send(service, method, path, token=self.token, lang=self.lang, **kw)

    async def zone(self) -> str:
        """The school's time zone (records' school settings), cached for a few minutes."""
        school = self.school_id
        cache: dict[str, tuple[str, float]] = self.request.app.state.zones
        hit = cache.get(school)
        if hit and time.monotonic() - hit[1] < self.settings.school_settings_cache_seconds:
            return hit[0]
        try:
            settings = await self.get("records", f"/api/v1/schools/{school}/settings")
            zone = str(settings.get("time_zone") or "Asia/Taipei")
        except ApiError as exc:
            log.info("school settings unavailable (%s); showing Asia/Taipei", exc)
            return "Asia/Taipei"
        cache[school] = (zone, time.monotonic())
        return zone

    # -- responses ---------------------------------------------------------------------------------
    def set_cookie(self, name: str, value: str, **attrs: Any) -> None:
        self.cookies.append((name, value, attrs))

    def store_session(self, session: Session | None) -> None:
        self.session = session
        chunks = self.sealer.seal(session) if session else []
        for i in range(MAX_CHUNKS):
            if i < len(chunks):
                self.set_cookie(f"{SESSION_COOKIE}{i}", chunks[i], httponly=True, max_age=None)
            elif self.request.cookies.get(f"{SESSION_COOKIE}{i}") or session is None:
                self.set_cookie(f"{SESSION_COOKIE}{i}", "", httponly=True, max_age=0)

    def apply(self, response: Response) -> Response:
        for name, value, attrs in self.cookies:
            response.set_cookie(
                name,
                value,
                max_age=attrs.get("max_age"),
                path="/",
                secure=self.settings.cookie_secure,
                httponly=attrs.get("httponly", True),
                samesite="lax",
            )
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        zone = await self.zone() if self.session and self.session.current_school else "Asia/Taipei"
        context = {"ctx": self, "lang": self.lang, "t": self.t, "zone": zone, **values}
        response = self.templates.TemplateResponse(self.request, template, context, status_code=status_code)
        return self.apply(response)  # type: ignore[return-value]

    def redirect(self, location: str) -> Response:
        return self.apply(RedirectResponse(location, status_code=303))

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"


def _session_chunks(request: Request) -> list[str]:
    chunks = []
    for i in range(MAX_CHUNKS):
        value = request.cookies.get(f"{SESSION_COOKIE}{i}")
        if not value:
            break
        chunks.append(value)
    return chunks


async def page_ctx(request: Request) -> Ctx:
    state = request.app.state
    settings: Settings = state.settings
    sealer: SessionSealer = state.sealer
    session = sealer.open(_session_chunks(request), max_age=settings.session_max_seconds)
    pre_id = request.cookies.get(PRE_COOKIE) or ""
    ctx = Ctx(
        request,
        settings,
        state.services,
        sealer,
        state.templates,
        pick_lang(request.cookies.get(LANG_COOKIE)),
        session,
        pre_id,
    )
    if not pre_id:
        ctx.pre_id = secrets.token_urlsafe(16)
        ctx.set_cookie(PRE_COOKIE, ctx.pre_id, httponly=True)
    if session is None and _session_chunks(request):
        ctx.store_session(None)  # a stale or tampered cookie is cleared
    request.state.ctx = ctx
    return ctx


async def signed_in_ctx(ctx: Annotated[Ctx, Depends(page_ctx)]) -> Ctx:
    if ctx.session is None:
        raise Redirect(f"/login?next={quote(ctx.request.url.path)}")
    if ctx.session.expires_in() < REFRESH_MARGIN_SECONDS:
        await refresh(ctx)
    return ctx


async def refresh(ctx: Ctx) -> None:
    """Rotate the refresh token at identity; a refused one ends the session (sign in again)."""
    assert ctx.session is not None
    try:
        pair = await ctx.services.send(
            "identity",
            "POST",
            "/api/v1/auth/refresh",
            token=None,
            json_body={"refresh_token": ctx.session.refresh_token},
        )
    except ApiError as exc:
        if exc.status in (400, 401, 403, 422):
            ctx.store_session(None)
            raise Redirect(f"/login?next={quote(ctx.request.url.path)}") from exc
        raise
    session = ctx.session
    session.access_token, session.refresh_token = pair["access_token"], pair["refresh_token"]
    ctx.store_session(session)


async def csrf_checked(ctx: Annotated[Ctx, Depends(page_ctx)]) -> Ctx:
    presented = ctx.request.headers.get(CSRF_HEADER)
    if not presented:
        form = await ctx.request.form()
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    binding = ctx.session.sid if ctx.session else ctx.request.cookies.get(PRE_COOKIE, "")
    if not ctx.sealer.csrf_ok(binding, presented):
        raise CsrfRefused()
    return ctx


async def signed_in_csrf(ctx: Annotated[Ctx, Depends(page_ctx)]) -> Ctx:
    if ctx.session is None:  # signed out meanwhile: to the sign-in page, not a CSRF refusal
        raise Redirect("/login")
    await csrf_checked(ctx)
    return await signed_in_ctx(ctx)


PageCtx = Annotated[Ctx, Depends(page_ctx)]
SignedIn = Annotated[Ctx, Depends(signed_in_ctx)]
SignedInPost = Annotated[Ctx, Depends(signed_in_csrf)]
CsrfPost = Annotated[Ctx, Depends(csrf_checked)]
