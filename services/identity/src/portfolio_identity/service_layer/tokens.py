"""Access-token claims: what a person may do at which school, now.

Claims follow the token contract of `portfolio_shared.testing.tokens`. Per school: the standing
permissions of the person's roles (R-DUTY-1), plus the permissions of every duty the person acts
for now (R-DUTY-2), the certification duty's permissions for its named delegates (R-ART-5),
plus certification on a teacher's behalf while authorised (R-ART-5). A teacher
who left but whose account was extended holds only certification there (R-ART-5). District
administrators get their district's schools; system administrators platform-wide permissions.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import jwt
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared.permissions import Permission

from ..adapters import keys, queries
from ..config import Settings
from ..domain.roles import ROLE_PERMISSIONS, Role, permissions_for
from .acting import acting_duties_of, standing_delegate_duties


def may_sign_in(user: RowMapping | dict[str, Any], on: date, extended: bool) -> bool:
    """Active accounts, and leaving accounts before their end date or with a running extension."""
    if user["deactivated"] or user["status"] == "suspended":
        return False
    if user["status"] == "left":
        return extended or (user["end_date"] is not None and user["end_date"] > on)
    return True


async def _on_behalf_active(session: AsyncSession, user_id: str, school_id: str, on: date) -> bool:
    return await queries.on_behalf_active(session, user_id, school_id, on)


async def school_grants(session: AsyncSession, user: RowMapping, on: date) -> dict[str, dict[str, list[str]]]:
    """School id → {"roles": [...], "perms": [...]} for the token."""
    grants: dict[str, dict[str, list[str]]] = {}
    for school_id, roles in (await queries.school_roles_of(session, user["id"])).items():
        extension = await queries.active_extension(session, user["id"], school_id, on)
        leaving_done = user["status"] == "left" and (user["end_date"] is None or user["end_date"] <= on)
        if extension is not None and leaving_done:
            # R-ART-5: the extended account certifies, nothing more.
            grants[school_id] = {"roles": [Role.COURSE_TEACHER.value], "perms": [Permission.OUTCOME_CERTIFY.value]}
            continue
        if leaving_done:
            continue
        perms = {p.value for p in permissions_for(roles)}
        for duty in await acting_duties_of(session, user["id"], school_id):
            perms |= set(duty["permissions"])
        for duty in await standing_delegate_duties(session, user["id"], school_id):  # R-ART-5, R-DUTY-2
            perms |= set(duty["permissions"])
        if await _on_behalf_active(session, user["id"], school_id, on):
            perms.add(Permission.OUTCOME_CERTIFY_ON_BEHALF.value)
        grants[school_id] = {"roles": sorted(roles), "perms": sorted(perms)}
    platform = await queries.platform_roles_of(session, user["id"])
    district_ids = [d for role, d in platform if role == Role.DISTRICT_ADMIN]
    district_perms = sorted(p.value for p in ROLE_PERMISSIONS[Role.DISTRICT_ADMIN])
    for school_id in await queries.school_ids_of_districts(session, district_ids):
        entry = grants.setdefault(school_id, {"roles": [], "perms": []})
        entry["roles"] = sorted({*entry["roles"], Role.DISTRICT_ADMIN.value})
        entry["perms"] = sorted({*entry["perms"], *district_perms})
    return grants


async def build_claims(
    session: AsyncSession, user: RowMapping, settings: Settings, now: datetime, *, session_id: str = ""
) -> dict[str, Any]:
    platform = await queries.platform_roles_of(session, user["id"])
    system_perms = (
        sorted(p.value for p in ROLE_PERMISSIONS[Role.SYSTEM_ADMIN])
        if any(role == Role.SYSTEM_ADMIN for role, _ in platform)
        else []
    )
    # iat keeps sub-second precision: verifiers refuse tokens issued before a revocation time, and
    # a token signed in the same second just after a sign-out-everywhere must still work (ASVS V7).
    issued = now.timestamp()
    return {
        "sub": user["id"],
        "name": user["login_name"],
        "kind": user["kind"],
        "typ": "access",
        "schools": await school_grants(session, user, now.date()),
        "district_perms": system_perms,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued,
        "exp": int(issued) + settings.access_token_seconds,
        "jti": uuid.uuid4().hex,
        "sid": session_id,  # the sign-in (refresh-token family), so one sign-out refuses its tokens
    }


async def sign(session: AsyncSession, settings: Settings, claims: dict[str, Any], now: datetime) -> str:
    await keys.ensure_active_key(session, settings.key_encryption_secret, now)
    key = await keys.active_key(session, settings.key_encryption_secret, now)
    assert key is not None  # ensured just above
    return jwt.encode(claims, key.private_key, algorithm=keys.ALGORITHM, headers={"kid": key.kid, "typ": "JWT"})
