"""What the identity service does when it starts, and its periodic re-resolution of acting persons."""

from __future__ import annotations

import asyncio
import logging

from portfolio_shared.service import ServiceRuntime

from ..adapters import keys, queries
from ..adapters.contacts import encrypt_plain_emails
from ..adapters.verifier import DatabaseKeyVerifier
from ..config import Settings
from . import admin
from .acting import refresh_acting
from .common import Caller, audit, today, utcnow

log = logging.getLogger(__name__)


async def refresh_all_schools(runtime: ServiceRuntime, reason: str = "daily re-resolution") -> int:
    """Re-resolve every school's duties for today (an absence that starts today takes effect, R-DUTY-2)."""
    async with runtime.uow() as uow:
        school_ids = [school_id for school_id, _ in await queries.school_codes(uow.session)]
    changed = 0
    for school_id in school_ids:
        async with runtime.uow() as uow:
            changed += len(await refresh_acting(uow, Caller.system("acting-refresh"), school_id, today(), reason))
            await uow.commit()
    return changed


async def _refresh_forever(runtime: ServiceRuntime, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            changed = await refresh_all_schools(runtime)
            if changed:
                log.info("acting persons re-resolved: %d duties changed hands", changed)
        except Exception:
            log.exception("re-resolving acting persons failed; retrying at the next interval")


async def on_startup(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    async with runtime.uow() as uow:
        now = utcnow()
        if await keys.active_key(uow.session, settings.key_encryption_secret, now) is None:
            kid = await keys.create_key(uow.session, settings.key_encryption_secret, now)
            await audit(uow, Caller.system("startup"), "keys.created", "signing_key", kid, school_id=None)
        if settings.bootstrap_admin_login and settings.bootstrap_admin_password:
            if await admin.ensure_system_admin(uow, settings.bootstrap_admin_login, settings.bootstrap_admin_password):
                log.warning("created the first system administrator %r", settings.bootstrap_admin_login)
        demo = await admin.create_demo_data(uow) if settings.demo_data else None
        if encrypted := await encrypt_plain_emails(uow.session):  # written before revision 0007
            log.warning("encrypted %d e-mail address(es) stored in the clear", encrypted)
        await uow.commit()
    if demo:
        lines = "\n".join(f"  {login:<16} {password}" for login, password in demo)
        print(f"Demo school 999001 created (development only). Demo users and passwords:\n{lines}", flush=True)
    if isinstance(runtime.verifier, DatabaseKeyVerifier):
        await runtime.verifier.reload()
    if settings.acting_refresh_seconds > 0:
        runtime._tasks.append(asyncio.create_task(_refresh_forever(runtime, settings.acting_refresh_seconds)))
