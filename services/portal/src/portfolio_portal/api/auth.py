"""Sign in (identity's OAuth2 password grant), sign out, the language switch and the home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from portfolio_portal.adapters.services import ApiError
from portfolio_portal.domain.i18n import LANGS
from portfolio_portal.domain.session import Session

from .context import LANG_COOKIE, CsrfPost, PageCtx, SignedIn, SignedInPost

router = APIRouter(tags=["pages"])


def safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no host, no ``//``): no open redirect after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
async def login_page(ctx: PageCtx, next: str | None = None) -> Response:
    if ctx.session is not None:
        return ctx.redirect(safe_next(next))
    return await ctx.render("login.html", next=safe_next(next), error=None, username="")


@router.post("/login")
async def login(
    ctx: CsrfPost,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    try:
        pair = await ctx.services.send(
            "identity",
            "POST",
            "/api/v1/auth/token",
            token=None,
            lang=ctx.lang,
            form={"grant_type": "password", "username": username, "password": password},
        )
    except ApiError as exc:
        return await ctx.render(
            "login.html", status_code=exc.status, next=safe_next(next), error=exc, username=username
        )
    # A new session id, so a CSRF token seen before sign-in is worth nothing after it.
    ctx.store_session(Session(pair["access_token"], pair["refresh_token"]))
    return ctx.redirect(safe_next(next))


@router.post("/logout")
async def logout(ctx: SignedInPost) -> Response:
    assert ctx.session is not None
    try:  # identity revokes the sign-in; its access tokens are refused everywhere within seconds
        await ctx.services.send(
            "identity",
            "POST",
            "/api/v1/auth/logout",
            token=None,
            json_body={"refresh_token": ctx.session.refresh_token},
        )
    except ApiError:
        pass  # the cookie goes either way
    ctx.store_session(None)
    return ctx.redirect("/login")


@router.get("/lang/{code}")
async def switch_language(ctx: PageCtx, code: str, next: str | None = None) -> Response:
    """Only sets the reader's language cookie (no state on the server), so a plain link is enough."""
    if code in LANGS:
        ctx.set_cookie(LANG_COOKIE, code, httponly=True, max_age=365 * 24 * 3600)
    return ctx.redirect(safe_next(next))


@router.post("/school")
async def switch_school(ctx: SignedInPost, school_id: Annotated[str, Form(max_length=64)]) -> Response:
    assert ctx.session is not None
    if school_id in ctx.session.schools():
        ctx.session.school_id = school_id
        ctx.store_session(ctx.session)
    return ctx.redirect("/")


@router.get("/")
async def home(ctx: SignedIn) -> Response:
    return await ctx.render("home.html")
