"""Fault injection: make the emulator fail (5xx), hang (a client times out) or answer slowly, for the
next N requests or for a period, so the submission service's retries, backoff and idempotency can
be tested over the real network path.

``after=True`` lets the request through first and then loses the answer: the central database
accepted the package but the sender never heard it — the case an idempotency key exists for.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Mode = Literal["fail", "hang", "slow"]


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Mode
    count: int | None = Field(
        default=None, ge=1, description="the next N API requests; with seconds, whichever ends first"
    )
    seconds: float | None = Field(default=None, gt=0, description="for this long from now")
    status: int = Field(default=503, ge=500, le=599, description="fail: the status answered")
    delay_seconds: float = Field(default=2.0, gt=0, le=600, description="slow: added before answering")
    after: bool = Field(default=False, description="apply after the request was processed (the answer is lost)")

    @model_validator(mode="after")
    def _slow_after(self) -> FaultSpec:
        if self.mode == "slow" and self.after:
            raise ValueError("a slow answer is slow either way: 'after' applies to fail and hang")
        return self


@dataclass
class _Active:
    spec: FaultSpec
    remaining: int | None
    until: float | None


class Faults:
    def __init__(self, hang_seconds: float) -> None:
        self.hang_seconds = hang_seconds
        self._active: _Active | None = None
        self.triggered = 0

    def set(self, spec: FaultSpec) -> None:
        until = time.monotonic() + spec.seconds if spec.seconds else None
        self._active = _Active(spec, spec.count, until)

    def clear(self) -> None:
        self._active = None

    def state(self) -> dict[str, object]:
        active = self._current()
        if active is None:
            return {"active": False, "triggered": self.triggered}
        left = None if active.until is None else max(0.0, round(active.until - time.monotonic(), 3))
        return {
            "active": True,
            "triggered": self.triggered,
            "remaining": active.remaining,
            "seconds_left": left,
            **active.spec.model_dump(),
        }

    def _current(self) -> _Active | None:
        a = self._active
        if a is not None and a.until is not None and time.monotonic() >= a.until:
            self._active = a = None
        return a

    def take(self) -> FaultSpec | None:
        """The fault this request suffers, if any (counts it down)."""
        active = self._current()
        if active is None:
            return None
        if active.remaining is not None:
            active.remaining -= 1
            if active.remaining <= 0:
                self._active = None
        self.triggered += 1
        return active.spec

    async def hang(self) -> None:
        await asyncio.sleep(self.hang_seconds)
