"""Request-body limits at the HTTP edge (ASVS V5, V13): size per route and JSON nesting depth.

An unauthenticated 300 MB sign-in body once grew a process by 800 MB: the body was read whole
before anything looked at it. This pure ASGI middleware answers before the application reads:

- a declared ``Content-Length`` above the route's limit → 413 at once, nothing read;
- a body that streams past the limit (chunked, or a lying length) → reading stops at the first
  chunk beyond it, the application sees the client as gone, and the answer is 413;
- a JSON body nested deeper than ``max_json_depth`` → 422, found while streaming (a small
  state machine over the bytes, so no parser recursion is ever reached).

Limits are per route template: ``JSON_DEFAULT_BYTES`` for every route unless the service declares
another (imports of CSV or spreadsheet files, the local-disk storage upload which bounds itself).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import Problem, problem_response
from .sizes import over_limit

JSON_DEFAULT_BYTES = 64 * 1024
MULTIPART_OVERHEAD_BYTES = 64 * 1024
"""Room for the multipart boundaries and form fields around an uploaded file."""
DEFAULT_JSON_DEPTH = 32

UNLIMITED = None
"""A route that bounds its own streamed body (the local-disk storage upload)."""


def too_large(limit: int, size: int, *, so_far: bool = False) -> Problem:
    """The limit and the size in one unit ("4 MB limit; this request body is 4.01 MB"); ``so_far``
    when the body was cut off while streaming, so only a lower bound of its size is known."""
    what = "what was received so far" if so_far else "this request body"
    return Problem(
        413,
        "payload-too-large",
        "Payload too large",
        "檔案或資料過大",
        over_limit(limit, size, what=what),
        extra={"max_bytes": limit},
    )


def too_deep(limit: int) -> Problem:
    return Problem(
        422,
        "json-too-deep",
        "JSON nested too deeply",
        "JSON 巢狀層數過多",
        f"JSON bodies may nest arrays and objects at most {limit} levels deep",
        extra={"max_depth": limit},
    )


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}/?$")


class JsonDepthScanner:
    """Tracks nesting depth across chunks; strings (with escapes) are skipped."""

    __slots__ = ("_escaped", "_in_string", "deepest", "depth")

    def __init__(self) -> None:
        self.depth = self.deepest = 0
        self._in_string = self._escaped = False

    def feed(self, chunk: bytes) -> int:
        depth, deepest, in_string, escaped = self.depth, self.deepest, self._in_string, self._escaped
        for byte in chunk:
            if in_string:
                if escaped:
                    escaped = False
                elif byte == 0x5C:  # backslash
                    escaped = True
                elif byte == 0x22:  # quote
                    in_string = False
            elif byte == 0x22:
                in_string = True
            elif byte in (0x5B, 0x7B):  # [ {
                depth += 1
                deepest = max(deepest, depth)
            elif byte in (0x5D, 0x7D):  # ] }
                depth -= 1
        self.depth, self.deepest, self._in_string, self._escaped = depth, deepest, in_string, escaped
        return deepest


@dataclass
class _Refusal:
    problem: Problem | None = None


class RequestLimits:
    """``limits`` maps a route template (``/api/v1/schools/{school_id}/grade-imports``) to its
    maximum body in bytes, or ``UNLIMITED`` for a route that bounds its own stream; the mapping is
    read per request, so an app may fill it after the middleware is added."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default_bytes: int = JSON_DEFAULT_BYTES,
        max_json_depth: int = DEFAULT_JSON_DEPTH,
        limits: Mapping[str, int | None] | None = None,
    ) -> None:
        self.app = app
        self.default_bytes, self.max_json_depth = default_bytes, max_json_depth
        self.limits: Mapping[str, int | None] = limits if limits is not None else {}
        self._compiled: dict[str, re.Pattern[str]] = {}

    def limit_for(self, path: str) -> int | None:
        for template, limit in self.limits.items():
            regex = self._compiled.get(template)
            if regex is None:
                regex = self._compiled[template] = _template_regex(template)
            if regex.match(path):
                return limit
        return self.default_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or ())
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        is_json = content_type == b"application/json" or content_type.endswith(b"+json")
        if limit is not None:
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await problem_response(too_large(limit, int(declared)))(scope, receive, send)
                return
        if limit is None and not is_json:
            await self.app(scope, receive, send)
            return

        refusal = _Refusal()
        received = 0
        scanner = JsonDepthScanner() if is_json else None

        async def limited_receive() -> Message:
            nonlocal received
            if refusal.problem is not None:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                body: bytes = message.get("body", b"")
                received += len(body)
                if limit is not None and received > limit:
                    refusal.problem = too_large(limit, received, so_far=True)
                elif scanner is not None and scanner.feed(body) > self.max_json_depth:
                    refusal.problem = too_deep(self.max_json_depth)
                if refusal.problem is not None:
                    # The application sees a client that went away and stops reading.
                    return {"type": "http.disconnect"}
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refusal.problem is not None and not started:
                return  # whatever the application answers to a vanished client is replaced below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if refusal.problem is None or started:
                raise
        if refusal.problem is not None and not started:
            await _send_problem(refusal.problem, scope, send)


async def _send_problem(problem: Problem, scope: Scope, send: Send) -> None:
    async def no_body() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    await problem_response(problem)(scope, no_body, send)
