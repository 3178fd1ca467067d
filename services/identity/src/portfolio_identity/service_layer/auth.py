"""Sign-in, token refresh with rotation and reuse detection, sign-out, and signing-key rotation.

Refresh tokens are opaque (`<id>.<secret>`, only a SHA-256 of the secret is stored) and rotate on
every use. A refresh token used twice means it was stolen: the whole family (every token descended
from the same sign-in) is revoked. Failed sign-ins are slowed down per login name and per client IP
(see `throttle`) and recorded in the audit trail.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping

from portfolio_shared.clock import as_utc
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import InvalidInput, NotAuthenticated, TooManyRequests, forbidden
from portfolio_shared.permissions import Permission

from ..adapters import accounts_store, keys, queries, refresh_store
from ..config import Settings
from ..domain.passwords import hash_password, needs_rehash, verify_against_dummy, verify_password
from . import throttle
from .accounts import check_password, school_words
from .common import Caller, audit, new_id, utcnow
from .revocation import revoke_family_tokens, revoke_user_tokens
from .tokens import build_claims, may_sign_in, sign

log = logging.getLogger(__name__)


def _bad_credentials() -> NotAuthenticated:
    return NotAuthenticated(
        "the login name or the password is wrong",
        code="invalid-credentials",
        title_en="Invalid login name or password",
        title_zh="帳號或密碼錯誤",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _bad_refresh(detail: str) -> NotAuthenticated:
    return NotAuthenticated(
        detail, code="invalid-refresh-token", title_en="Invalid refresh token", title_zh="更新憑證無效"
    )


def too_many(seconds: int) -> TooManyRequests:
    return TooManyRequests(
        f"try again in {seconds} seconds",
        code="login-throttled",
        title_en="Too many failed sign-ins",
        title_zh="登入失敗次數過多，請稍後再試",
        headers={"Retry-After": str(seconds)},
    )


@dataclass(frozen=True, slots=True)
class _Policies:
    pair: throttle.ThrottlePolicy  # locks: one address guessing one account
    account: throttle.ThrottlePolicy  # slows: one account guessed from anywhere
    address: throttle.ThrottlePolicy  # slows: one address guessing many accounts


def _policies(settings: Settings) -> _Policies:
    memory = settings.failure_memory_seconds
    base, cap = settings.slowdown_base_seconds, settings.slowdown_max_seconds
    return _Policies(
        pair=throttle.ThrottlePolicy(
            settings.login_free_failures, settings.lockout_base_seconds, settings.lockout_max_seconds, memory
        ),
        account=throttle.ThrottlePolicy(settings.account_free_failures, base, cap, memory),
        address=throttle.ThrottlePolicy(settings.ip_free_failures, base, cap, memory),
    )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def _issue(
    uow: UnitOfWork, settings: Settings, user: RowMapping, family_id: str, now: datetime
) -> dict[str, Any]:
    claims = await build_claims(uow.session, user, settings, now, session_id=family_id)
    access = await sign(uow.session, settings, claims, now)
    token_id, secret = new_id(), secrets.token_urlsafe(32)
    await refresh_store.insert_token(
        uow.session,
        {
            "id": token_id,
            "family_id": family_id,
            "user_id": user["id"],
            "secret_hash": _hash(secret),
            "issued_at": now,
            "expires_at": now + timedelta(seconds=settings.refresh_token_seconds),
        },
    )
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": settings.access_token_seconds,
        "refresh_token": f"{token_id}.{secret}",
        "refresh_expires_in": settings.refresh_token_seconds,
    }


async def login(
    uow: UnitOfWork, settings: Settings, login_name: str, password: str, client_ip: str | None
) -> dict[str, Any]:
    """Returns tokens, or raises 401 (wrong credentials), 403 (account not usable) or 429 (throttled).

    The caller must commit even when this raises 401: the failure counters and audit rows must stay.
    """
    now = utcnow()
    caller = Caller(actor_id="anonymous", client_ip=client_ip)
    login_name = login_name.strip().lower()
    policies = _policies(settings)
    pkey, lkey, ikey = (
        throttle.pair_key(client_ip, login_name),
        throttle.login_key(login_name),
        throttle.ip_key(client_ip),
    )
    wait = await throttle.retry_after(uow.session, [pkey], now)
    if wait is not None:
        log.warning("sign-in of %r from %s refused for %ss: too many failures", login_name, client_ip, wait)
        raise too_many(wait)
    delay = max(
        await throttle.slowdown(uow.session, lkey, policies.account, now),
        await throttle.slowdown(uow.session, ikey, policies.address, now),
    )
    if delay > 0:
        # Nothing written yet: end the transaction so the wait holds no database connection.
        await uow.session.rollback()
        log.warning("sign-in of %r from %s slowed down by %.2fs", login_name, client_ip, delay)
        await asyncio.sleep(delay)
        now = utcnow()
    user = await queries.user_by_login(uow.session, login_name)
    if user is None or user["password_hash"] is None:
        ok = verify_against_dummy(password)
    else:
        ok = verify_password(user["password_hash"], password)
    if not ok or user is None:
        failures = await throttle.record_failure(uow.session, pkey, policies.pair, now)
        await throttle.record_failure(uow.session, lkey, policies.account, now)
        await throttle.record_failure(uow.session, ikey, policies.address, now)
        log.warning("failed sign-in of %r from %s (%d in a row)", login_name, client_ip, failures)
        await audit(
            uow,
            caller,
            "auth.login_failed",
            "login",
            login_name,
            school_id=None,
            after={"failures": failures, "client_ip": client_ip},
        )
        raise _bad_credentials()
    extended = any(
        [
            await queries.active_extension(uow.session, user["id"], sid, now.date())
            for sid in await queries.school_roles_of(uow.session, user["id"])
        ]
    )
    if not may_sign_in(user, now.date(), extended):
        await audit(
            uow,
            Caller(actor_id=user["id"], client_ip=client_ip),
            "auth.login_refused",
            "user",
            user["id"],
            school_id=user["home_school_id"],
            after={"status": user["status"]},
        )
        raise forbidden("this account is suspended, deactivated or has left")
    # The account's counters end with a correct password; the address's stay (others share it).
    await throttle.clear(uow.session, pkey)
    await throttle.clear(uow.session, lkey)
    if needs_rehash(user["password_hash"]):
        await accounts_store.update_user(uow.session, user["id"], {"password_hash": hash_password(password)})
    tokens = await _issue(uow, settings, user, new_id(), now)
    await audit(uow, Caller(actor_id=user["id"], client_ip=client_ip), "auth.login", "user", user["id"], school_id=None)
    return tokens


async def _refresh_row(uow: UnitOfWork, token: str) -> RowMapping:
    token_id, _, secret = token.partition(".")
    row = await refresh_store.token(uow.session, token_id[:36])
    if row is None or not hmac.compare_digest(row["secret_hash"], _hash(secret)):
        raise _bad_refresh("unknown refresh token")
    return row


async def _revoke_family(
    uow: UnitOfWork, family_id: str, reason: str, now: datetime, *, user_id: str, actor: str
) -> None:
    await refresh_store.revoke_family(uow.session, family_id, now, reason)
    # The sign-in's access tokens die with it on every service (ASVS V7). An account that can no
    # longer sign in ("account") had all its tokens revoked when it was suspended or left.
    if reason in ("logout", "reuse"):
        revoke_family_tokens(uow, actor, user_id, family_id, "logout" if reason == "logout" else "refresh_reuse", now)


async def refresh(uow: UnitOfWork, settings: Settings, token: str, client_ip: str | None) -> dict[str, Any]:
    """Rotate: the presented token is used up and a new one issued. Reuse revokes the family.

    Raises 401; on reuse the revocation is written first, so the caller must commit before raising.
    """
    now = utcnow()
    row = await _refresh_row(uow, token)
    caller = Caller(actor_id=row["user_id"], client_ip=client_ip)
    if row["revoked_at"] is not None:
        raise _bad_refresh("the refresh token was revoked")
    if row["rotated_at"] is not None:
        await _revoke_family(uow, row["family_id"], "reuse", now, user_id=row["user_id"], actor=row["user_id"])
        log.warning("refresh token reuse for user %s from %s: family revoked", row["user_id"], client_ip)
        await audit(
            uow, caller, "auth.refresh_reuse", "token_family", row["family_id"], school_id=None, after={"revoked": True}
        )
        raise _bad_refresh("the refresh token was already used; every session of this sign-in is revoked")
    if (as_utc(row["expires_at"]) or now) <= now:
        raise _bad_refresh("the refresh token has expired")
    if not await refresh_store.use_token(uow.session, row["id"], now):
        await _revoke_family(uow, row["family_id"], "reuse", now, user_id=row["user_id"], actor=row["user_id"])
        raise _bad_refresh("the refresh token was already used; every session of this sign-in is revoked")
    user = await queries.get_user(uow.session, row["user_id"])
    assert user is not None
    extended = any(
        [
            await queries.active_extension(uow.session, user["id"], sid, now.date())
            for sid in await queries.school_roles_of(uow.session, user["id"])
        ]
    )
    if not may_sign_in(user, now.date(), extended):
        await _revoke_family(uow, row["family_id"], "account", now, user_id=row["user_id"], actor=row["user_id"])
        raise _bad_refresh("the account can no longer sign in")
    return await _issue(uow, settings, user, row["family_id"], now)


async def logout(uow: UnitOfWork, token: str, client_ip: str | None) -> None:
    """Revoke the whole sign-in (the token's family). Unknown tokens are ignored: logout is idempotent."""
    try:
        row = await _refresh_row(uow, token)
    except NotAuthenticated:
        return
    await _revoke_family(uow, row["family_id"], "logout", utcnow(), user_id=row["user_id"], actor=row["user_id"])
    await audit(
        uow,
        Caller(actor_id=row["user_id"], client_ip=client_ip),
        "auth.logout",
        "token_family",
        row["family_id"],
        school_id=None,
    )


async def logout_everywhere(uow: UnitOfWork, caller: Caller) -> int:
    """End every sign-in of the caller (a lost phone); returns how many refresh tokens were revoked."""
    now = utcnow()
    revoked = await refresh_store.revoke_all_of(uow.session, caller.actor_id, now, "logout_all")
    revoke_user_tokens(uow, caller.actor_id, caller.actor_id, "logout_all", at=now)
    await audit(uow, caller, "auth.logout_all", "user", caller.actor_id, school_id=None)
    return revoked


async def change_own_password(uow: UnitOfWork, caller: Caller, current: str, new: str) -> None:
    user = await queries.get_user(uow.session, caller.actor_id)
    if user is None or user["password_hash"] is None or not verify_password(user["password_hash"], current):
        raise InvalidInput(
            "the current password does not match",
            field="current_password",
            code="wrong-password",
            title_en="Current password is wrong",
            title_zh="目前密碼錯誤",
        )
    context = await school_words(uow, user["home_school_id"])
    new_hash = check_password(new, user["login_name"], context, field="new_password")
    await accounts_store.set_password_hash(uow.session, user["id"], new_hash, utcnow())
    # Every sign-in of this person ends: a changed password must lock out whoever knew the old one,
    # their access tokens included (ASVS V7); this device signs in again with the new password.
    now = utcnow()
    await refresh_store.revoke_all_of(uow.session, user["id"], now, "password_changed")
    revoke_user_tokens(uow, caller.actor_id, user["id"], "password_changed", at=now)
    await audit(
        uow, caller, "user.password_changed", "user", user["id"], school_id=None, after={"password": "(changed)"}
    )


async def rotate_signing_key(uow: UnitOfWork, caller: Caller, settings: Settings) -> dict[str, Any]:
    """New signing key; the previous one stays in the JWKS until its last token expired."""
    caller.require_global(Permission.KEYS_MANAGE)
    kid, retired = await keys.rotate(
        uow.session,
        settings.key_encryption_secret,
        utcnow(),
        timedelta(seconds=settings.access_token_seconds),
        timedelta(seconds=settings.key_activation_delay_seconds),
    )
    activates_at = utcnow() + timedelta(seconds=settings.key_activation_delay_seconds)
    await audit(uow, caller, "keys.rotated", "signing_key", kid, school_id=None, after={"retired": retired})
    return {"kid": kid, "retired": retired, "signs_from": activates_at}
