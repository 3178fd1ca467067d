"""Sign-in, tokens, JWKS and signing keys."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Response, status
from fastapi.security import OAuth2PasswordRequestFormStrict

from portfolio_shared.auth import CurrentPrincipal
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound, TooManyRequests
from portfolio_shared.permissions import Permission

from ..adapters import keys
from ..adapters.verifier import DatabaseKeyVerifier
from ..service_layer import auth
from ..service_layer.common import utcnow
from .deps import CallerDep, ClientIpDep, RuntimeDep, SettingsDep, UowDep
from .schemas import Jwks, KeyRotated, LoginRequest, Me, PasswordChange, RefreshRequest, SigningKeyPublic, TokenPair

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
jwks_router = APIRouter(tags=["auth"])
keys_router = APIRouter(prefix="/api/v1/keys", tags=["keys"])

T = TypeVar("T")
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "wrong credentials or token"},
    403: {"description": "account cannot sign in"},
    429: {"description": "too many failed sign-ins (Retry-After)"},
}


async def _commit_always(uow: UnitOfWork, work: Awaitable[T]) -> T:
    """Failure counters, revocations and audit rows must persist even when the request fails."""
    try:
        result = await work
    except (NotAuthenticated, TooManyRequests, Forbidden, NotFound, InvalidInput):
        # The refusals of sign-in (formerly edge problems): counters and audit rows still persist.
        await uow.commit()
        raise
    await uow.commit()
    return result


@router.post("/login", response_model=TokenPair, summary="Sign in with login name and password", responses=_AUTH_ERRORS)
async def login(body: LoginRequest, uow: UowDep, settings: SettingsDep, ip: ClientIpDep) -> dict[str, Any]:
    return await _commit_always(uow, auth.login(uow, settings, body.login_name, body.password, ip))


@router.post(
    "/token",
    response_model=TokenPair,
    summary="OAuth2 password grant (form data): what /docs' Authorize button signs in with",
    description=(
        "The same sign-in as `/login` (same throttle, failure counters and audit), read from "
        "`application/x-www-form-urlencoded` fields `grant_type=password`, `username`, `password` "
        "(RFC 6749 §4.3), so every service's OpenAPI can declare an OAuth2 password flow pointing here. "
        "Errors are problem+json like every other route, not RFC 6749 §5.2 error objects."
    ),
    responses=_AUTH_ERRORS,
)
async def token(
    form: Annotated[OAuth2PasswordRequestFormStrict, Depends()], uow: UowDep, settings: SettingsDep, ip: ClientIpDep
) -> dict[str, Any]:
    return await _commit_always(uow, auth.login(uow, settings, form.username, form.password, ip))


@router.post(
    "/refresh",
    response_model=TokenPair,
    summary="Rotate a refresh token (reuse revokes the sign-in)",
    responses=_AUTH_ERRORS,
)
async def refresh(body: RefreshRequest, uow: UowDep, settings: SettingsDep, ip: ClientIpDep) -> dict[str, Any]:
    return await _commit_always(uow, auth.refresh(uow, settings, body.refresh_token, ip))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke the sign-in of a refresh token")
async def logout(body: RefreshRequest, uow: UowDep, ip: ClientIpDep) -> Response:
    await auth.logout(uow, body.refresh_token, ip)
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT, summary="End every sign-in of the caller")
async def logout_all(uow: UowDep, caller: CallerDep) -> Response:
    await auth.logout_everywhere(uow, caller)
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me, summary="The caller's token claims as the services see them")
async def me(principal: CurrentPrincipal) -> Me:
    return Me.model_validate(
        {
            "user_id": principal.user_id,
            "login_name": principal.login_name,
            "kind": principal.kind,
            "schools": {
                sid: {
                    "roles": sorted(principal.roles.get(sid, ())),
                    "perms": sorted(principal.permissions.get(sid, ())),
                }
                for sid in principal.school_ids
            },
            "district_perms": sorted(principal.district_permissions),
        }
    )


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT, summary="Change one's own password")
async def change_password(body: PasswordChange, uow: UowDep, caller: CallerDep) -> Response:
    await auth.change_own_password(uow, caller, body.current_password, body.new_password)
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@jwks_router.get(
    "/.well-known/jwks.json", response_model=Jwks, summary="Public signing keys (current and recently retired)"
)
async def jwks(uow: UowDep, response: Response) -> Jwks:
    # Short cache: verifiers refetch on an unknown kid anyway, and a rotation must show up quickly.
    response.headers["Cache-Control"] = "public, max-age=60"
    return Jwks.model_validate(await keys.published_jwks(uow.session, utcnow()))


@keys_router.get("", response_model=list[SigningKeyPublic], summary="Signing keys (no private material)")
async def list_keys(uow: UowDep, caller: CallerDep) -> list[dict[str, Any]]:
    caller.require_global(Permission.KEYS_MANAGE)
    return await keys.key_summaries(uow.session)


@keys_router.post("/rotate", response_model=KeyRotated, summary="Rotate the signing key")
async def rotate(uow: UowDep, caller: CallerDep, settings: SettingsDep, runtime: RuntimeDep) -> dict[str, Any]:
    result = await auth.rotate_signing_key(uow, caller, settings)
    await uow.commit()
    if isinstance(runtime.verifier, DatabaseKeyVerifier):
        await runtime.verifier.reload()  # identity's own verifier learns the new key at once
    return result
