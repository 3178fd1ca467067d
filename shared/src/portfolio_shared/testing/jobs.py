"""Tests of routes that answer 202 with a job (portfolio_shared.jobs): follow the job to its end."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class JobOutcome:
    """An ended job, read like the answer the route gave before it became a job: ``status_code`` is
    200 for a succeeded job and the problem's status for a failed one; ``json()`` is the report or
    the problem."""

    job: dict[str, Any]

    @property
    def succeeded(self) -> bool:
        return bool(self.job["status"] == "succeeded")

    @property
    def status_code(self) -> int:
        return 200 if self.succeeded else int(self.job["error"]["status"])

    @property
    def text(self) -> str:
        return str(self.job)

    def json(self) -> Any:
        return self.job["report"] if self.succeeded else self.job["error"]


async def job_outcome(
    client: httpx.AsyncClient, started: httpx.Response, headers: dict[str, str], *, timeout: float = 60.0
) -> JobOutcome:
    """``started`` must be the route's 202 with a ``Location``; polls the job until it has ended."""
    assert started.status_code == 202, started.text
    location = started.headers["location"]
    assert location == started.json()["href"] and location.startswith("/api/v1/jobs/")
    deadline = time.monotonic() + timeout
    while True:
        r = await client.get(location, headers=headers)
        assert r.status_code == 200, r.text
        job: dict[str, Any] = r.json()
        if job["status"] in ("succeeded", "failed"):
            return JobOutcome(job)
        if time.monotonic() > deadline:
            raise AssertionError(f"the job did not end within {timeout} s: {job}")
        await asyncio.sleep(0.05)
