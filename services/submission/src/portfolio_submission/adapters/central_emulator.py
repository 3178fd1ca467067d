"""The central database through the emulator's HTTP API (portfolio_central.emulator).

The package is streamed as the request body (chunked; never whole in memory) from a blocking
iterator, so every call runs in a worker thread with a blocking httpx client. Answers:
201 → :class:`Accepted`; 422 ``package-refused`` → :class:`Refused` with the line-level reasons;
a connection error, a timeout, 5xx or 429 → :class:`CentralUnavailable` (with Retry-After); any
other 4xx (``outside-window``, ``idempotency-key-reused``, 413, 404) → :class:`CentralRejected`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from portfolio_submission.domain.central import (
    Accepted,
    Answer,
    CentralRejected,
    CentralUnavailable,
    PackageRequest,
    Refused,
)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _accepted(body: dict[str, Any], *, replayed: bool) -> Accepted:
    return Accepted(
        submission_id=str(body["submission_id"]),
        received_at=body.get("received_at"),
        student_count=int(body.get("student_count") or 0),
        item_count=int(body.get("item_count") or 0),
        package_sha256=body.get("package_sha256"),
        replayed=replayed,
    )


def _refused(body: dict[str, Any]) -> Refused:
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    return Refused(
        submission_id=body.get("submission_id"), detail=str(body.get("detail") or "package refused"), errors=errors
    )


def interpret(response: httpx.Response) -> Answer:
    """One answer of the emulator as the port's result (shared by submit and status)."""
    body = _json(response)
    replayed = response.headers.get("idempotent-replayed", "").lower() == "true"
    if response.status_code in (200, 201) and body.get("status", "accepted") == "accepted" and "submission_id" in body:
        return _accepted(body, replayed=replayed)
    if response.status_code == 422 and body.get("code") == "package-refused":
        return _refused(body)
    if response.status_code >= 500 or response.status_code == 429:
        raise CentralUnavailable(
            f"the central database answered {response.status_code}", retry_after=_retry_after(response)
        )
    code = str(body.get("code") or f"http-{response.status_code}")
    detail = str(body.get("detail") or body.get("title") or response.reason_phrase)
    extra = {k: v for k, v in body.items() if k in ("windows", "now", "submission_id")}
    raise CentralRejected(code, detail, status=response.status_code, extra=extra)


class EmulatorCentral:
    name = "emulator"

    def __init__(self, base_url: str, *, timeout: float = 60.0, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.base_url, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), transport=transport
        )

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            return self._client.request(method, path, **kw)
        except httpx.TimeoutException as exc:
            raise CentralUnavailable(f"the central database did not answer in time ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise CentralUnavailable(f"the central database is unreachable ({type(exc).__name__})") from None

    async def submit(self, request: PackageRequest, body: Callable[[], Iterable[bytes]]) -> Answer:
        path = f"/api/v1/packages/{request.school_code}/{request.kind}/{request.academic_year}/{request.semester}"

        def _send() -> Answer:
            response = self._call(
                "PUT",
                path,
                content=body(),
                headers={
                    "Idempotency-Key": request.idempotency_key,
                    "Content-Type": "application/zip",
                    "Content-Length": str(request.size),
                },
            )
            return interpret(response)

        return await asyncio.to_thread(_send)

    async def status(self, submission_id: str) -> Accepted | Refused:
        def _get() -> Accepted | Refused:
            response = self._call("GET", f"/api/v1/submissions/{submission_id}")
            if response.status_code == 200:
                body = _json(response)
                if body.get("code") == "package-refused":
                    return _refused(body)
                return _accepted(body, replayed=False)
            answer = interpret(response)
            if isinstance(answer, Accepted | Refused):
                return answer
            raise CentralRejected("unexpected-answer", "no submission answer", status=response.status_code)

        return await asyncio.to_thread(_get)

    async def fetch_receipt(self, submission_id: str) -> dict[str, Any]:
        def _get() -> dict[str, Any]:
            response = self._call("GET", f"/api/v1/submissions/{submission_id}/receipt")
            if response.status_code != 200:
                interpret(response)  # raises for every non-success
                raise CentralRejected("unexpected-answer", "no receipt", status=response.status_code)
            return _json(response)

        return await asyncio.to_thread(_get)

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)
