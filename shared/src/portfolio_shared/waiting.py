"""Waiting for an event with a timeout, without losing a cancellation.

``asyncio.wait_for`` on Python 3.11 can turn a cancellation that races its own timeout into a
``TimeoutError``; a background loop that treats ``TimeoutError`` as "nothing happened, go round
again" then never stops, and a runtime's stop (a pod's SIGTERM, a test's teardown) waits for it for
ever. ``asyncio.timeout`` counts cancellations and always lets an outside one through."""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """Wait until ``event`` is set or ``timeout`` seconds pass; True when it was set."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True
