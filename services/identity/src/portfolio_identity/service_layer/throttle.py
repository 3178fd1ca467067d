"""Slowing down repeated failed logins (ASVS V6), without locking out the innocent.

Three counters, each with free failures and then base · 2^n seconds (capped):
- per (client address, login name): a *lock* — while it runs, sign-ins of that account from that
  address answer 429 with Retry-After and the password is not even checked, so guessing gains
  nothing. Only the address that hammers the account is refused.
- per login name and per client address: a *slowdown* — a delay before the password is checked.
  A school behind one NAT address, or a person whose account is guessed from elsewhere, still
  signs in with the right password, just later; a spray or a distributed guess is slowed down.
Failures are forgotten after a quiet period. State lives in the database so that every replica
of the service sees the same counters. The address is the real client's (trusted proxies only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared.clock import as_utc

from ..adapters import throttle_store as store


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    free_failures: int
    base_seconds: float
    max_seconds: float
    memory_seconds: float

    def lock_seconds(self, failures: int) -> float:
        """0 while failures are free; then base, 2·base, 4·base … up to the cap."""
        excess = failures - self.free_failures
        if excess < 0:
            return 0.0
        return min(self.base_seconds * math.pow(2, min(excess, 40)), self.max_seconds)


def login_key(login_name: str) -> str:
    return f"login:{login_name.strip().lower()[:150]}"


def ip_key(client_ip: str | None) -> str:
    return f"ip:{client_ip or 'unknown'}"


def pair_key(client_ip: str | None, login_name: str) -> str:
    return f"pair:{client_ip or 'unknown'}|{login_name.strip().lower()[:150]}"


async def slowdown(session: AsyncSession, key: str, policy: ThrottlePolicy, now: datetime) -> float:
    """Seconds to wait before checking a password for `key` (0 while its failures are free)."""
    row = await store.failures_of(session, key)
    if row is None or (now - (as_utc(row.last_failure_at) or now)).total_seconds() >= policy.memory_seconds:
        return 0.0
    # The next failure would be number failures+1: the delay that failure would earn is paid up front.
    return policy.lock_seconds(row.failures)


async def retry_after(session: AsyncSession, keys: list[str], now: datetime) -> int | None:
    """Seconds until the longest lock among `keys` ends, or None when none is locked."""
    waits = [
        (locked - now).total_seconds()
        for locked in (as_utc(v) for v in await store.locked_until(session, keys))
        if locked is not None and locked > now
    ]
    return math.ceil(max(waits)) if waits else None


async def record_failure(session: AsyncSession, key: str, policy: ThrottlePolicy, now: datetime) -> int:
    """Count a failure for `key`; lock it when beyond the free failures. Returns the failure count."""
    row = await store.row_of(session, key)
    failures = 1
    if row is not None and (now - (as_utc(row["last_failure_at"]) or now)).total_seconds() < policy.memory_seconds:
        failures = row["failures"] + 1
    wait = policy.lock_seconds(failures)
    await store.put(session, key, failures, now, now + timedelta(seconds=wait) if wait else None)
    return failures


async def clear(session: AsyncSession, key: str) -> None:
    await store.clear(session, key)
