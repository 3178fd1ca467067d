"""Outages of what a service depends on (database, object storage): told apart from bugs.

A request that fails because PostgreSQL or the object store cannot be reached is not a server
error: nothing was decided, and the same request will succeed once the dependency is back. It is
answered ``503 Service Unavailable`` (problem+json, ``Retry-After``), logged as ONE structured line
(no traceback: the cause is known) and counted in ``portfolio_dependency_unavailable_total``.
Consumers use the same classification to pause instead of burning a message's deliveries
(:mod:`.messaging.consumer`), so an outage never dead-letters an event ("nothing lost").

Why a middleware and not ``app.exception_handler(Exception)``: Starlette hands exceptions of class
``Exception`` to its ``ServerErrorMiddleware``, which sends the answer and then RE-RAISES, so
uvicorn logs a multi-line "Exception in ASGI application" traceback and closes the client's
keep-alive connection (its rule for an exception after the response started). A browser does not
retry a POST on a closed connection. :class:`AnswerErrors` answers every error the platform can
answer inside the app, so nothing escapes to the server and the connection stays open.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import socket
import sqlite3
import traceback
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from prometheus_client import Counter
from sqlalchemy import exc as sa_exc
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import MEDIA_TYPE, Problem, from_status, preferred_language

log = logging.getLogger(__name__)

UNAVAILABLE = Counter(
    "portfolio_dependency_unavailable_total",
    "Requests answered 503 and consumer pauses because a dependency could not be reached",
    ["service", "dependency", "source"],
)

DEFAULT_RETRY_AFTER_SECONDS = 5

# PostgreSQL SQLSTATEs that say "the server or the connection", not "this statement":
# class 08 connection exception, 53300 too many connections, 57P01/57P02 admin/crash shutdown,
# 57P03 cannot connect now (starting up, recovery), 57014 query cancelled (statement_timeout).
_PG_TRANSIENT_PREFIXES = ("08",)
_PG_TRANSIENT_STATES = frozenset({"53300", "57P01", "57P02", "57P03", "57014"})
_NETWORK_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.ETIMEDOUT, errno.EHOSTUNREACH}
    | {errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTDOWN, errno.EPIPE}
)
_SQLITE_TRANSIENT = ("database is locked", "unable to open database file", "disk i/o error")


@dataclass(frozen=True, slots=True)
class Outage:
    """What could not be reached, and why (for the log line and the metric)."""

    dependency: str  # database | storage | network
    reason: str  # the exception's class and message, one line
    # The server cancelled a statement that ran past statement_timeout: a busy database for a
    # request (503), but a consumer must not wait forever on a message whose statement always does.
    statement_cancelled: bool = False

    @property
    def code(self) -> str:
        return f"{self.dependency}-unavailable" if self.dependency != "network" else "dependency-unavailable"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes (``raise ... from``, implicit context), at most 8 deep."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _modules(tb: TracebackType | None) -> Iterator[str]:
    for frame, _ in traceback.walk_tb(tb):
        yield str(frame.f_globals.get("__name__", ""))


def _dependency_of(exc: BaseException) -> str:
    """A bare OSError or TimeoutError says nothing of whom it came from: its traceback does."""
    for module in _modules(exc.__traceback__):
        if module.startswith(("asyncpg", "sqlalchemy", "aiosqlite")):
            return "database"
        if module.startswith(("urllib3", "minio")):
            return "storage"
    return "network"


def _sqlstate(exc: BaseException) -> str | None:
    state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return str(state) if state else None


def _one(exc: BaseException) -> str | None:
    """The dependency that ``exc`` (one link of the chain) says is unreachable, or None."""
    module = type(exc).__module__
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection to give in time
        return "database"
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or (isinstance(exc, sa_exc.InterfaceError) and _says_closed(exc)):
            return "database"
        return None  # decide on exc.orig, the next link of the chain
    state = _sqlstate(exc)  # asyncpg's exception, or SQLAlchemy's translation of it
    if state and (state.startswith(_PG_TRANSIENT_PREFIXES) or state in _PG_TRANSIENT_STATES):
        return "database"
    if module.startswith("asyncpg"):
        # "connection was closed in the middle of operation", "connection is closed" — but not
        # "another operation is in progress", an InterfaceError too, which is a bug, not an outage.
        if type(exc).__name__ in ("ConnectionDoesNotExistError", "ConnectionFailureError") or (
            type(exc).__name__ == "InterfaceError" and _says_closed(exc)
        ):
            return "database"
        return None
    if isinstance(exc, sqlite3.OperationalError):
        return "database" if any(t in str(exc).lower() for t in _SQLITE_TRANSIENT) else None
    if module.startswith("urllib3"):
        # minio's transport: refused, reset, timed out, retries exhausted (never an S3 error answer).
        names = {c.__name__ for c in type(exc).__mro__}
        transient = {"MaxRetryError", "NewConnectionError", "ProtocolError", "TimeoutError", "ConnectTimeoutError"}
        return "storage" if names & transient else None
    if isinstance(exc, TimeoutError | ConnectionError | socket.gaierror) or (
        isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS
    ):  # refused, reset, unreachable, name resolution, connect/command timeout — not a missing file
        return _dependency_of(exc)
    return None


def _says_closed(exc: BaseException) -> bool:
    return "closed" in str(exc).lower()


def classify(exc: BaseException) -> Outage | None:
    """An :class:`Outage` if ``exc`` means a dependency could not be reached; None for anything else
    (a bug, a constraint violation, a bad message): those must still fail loudly."""
    for link in _chain(exc):
        dependency = _one(link)
        if dependency is not None:
            reason = f"{type(link).__name__}: {link}".replace("\n", " ")[:300]
            return Outage(dependency, reason, statement_cancelled=_sqlstate(link) == "57014")
    return None


def unavailable_problem(outage: Outage, retry_after: int = DEFAULT_RETRY_AFTER_SECONDS) -> Problem:
    titles = {
        "database": ("The database is unavailable; retry shortly", "資料庫暫時無法連線，請稍後再試"),
        "storage": ("File storage is unavailable; retry shortly", "檔案儲存服務暫時無法使用，請稍後再試"),
    }
    en, zh = titles.get(
        outage.dependency,
        ("A service this one depends on is unavailable; retry shortly", "相依服務暫時無法使用，請稍後再試"),
    )
    return Problem(
        503,
        outage.code,
        en,
        zh,
        "nothing was changed; send the same request again after Retry-After seconds",
        extra={"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


class AnswerErrors:
    """Pure ASGI middleware: every error raised by the app is answered here, never re-raised.

    A dependency outage → 503 problem+json with ``Retry-After``, one warning line and the metric; any
    other exception → 500 problem+json logged once with its traceback (in the JSON line's ``exc``).
    Every 503 the app answers (readiness, storage refusals) gets a ``Retry-After`` if it lacks one.
    """

    def __init__(self, app: ASGIApp, service: str = "", retry_after: int = DEFAULT_RETRY_AFTER_SECONDS) -> None:
        self.app, self.service, self.retry_after = app, service, retry_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = finished = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            if message["type"] == "http.response.start":
                started = True
                if message["status"] == 503:
                    headers = list(message.get("headers", []))
                    if not any(name.lower() == b"retry-after" for name, _ in headers):
                        headers.append((b"retry-after", str(self.retry_after).encode()))
                        message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            method, path = scope.get("method", ""), scope.get("path", "")
            outage = classify(exc)
            if finished:
                # The whole answer went out and then clean-up failed (a yield dependency's exit runs
                # after the response): the client has nothing to learn, its connection stays open.
                if outage is not None:
                    log.warning(
                        "%s unavailable after %s %s was answered (%s)", outage.dependency, method, path, outage.reason
                    )
                else:
                    log.exception("error after %s %s was answered", method, path)
                return
            if started:  # half an answer went out: only closing the connection can tell the client
                raise
            if outage is not None:
                UNAVAILABLE.labels(self.service, outage.dependency, "http").inc()
                log.warning("%s unavailable: %s %s answered 503 (%s)", outage.dependency, method, path, outage.reason)
                problem = unavailable_problem(outage, self.retry_after)
            else:
                log.exception("unhandled error on %s %s", method, path)
                problem = from_status(500, "an unexpected error occurred; it has been logged")
            await _send_problem(send, problem, path, _language(scope))


def _language(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            return preferred_language(value.decode("latin-1"))
    return preferred_language(None)


async def _send_problem(send: Send, problem: Problem, path: str, lang: str) -> None:
    body = json.dumps(problem.body(path, lang), ensure_ascii=False).encode()
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"content-language", lang.encode()),
        (b"vary", b"Accept-Language"),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in (problem.headers or {}).items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def within(check: Awaitable[bool], seconds: float) -> bool:
    """A readiness check that answers False when it fails or takes longer than ``seconds``."""
    try:
        return bool(await asyncio.wait_for(check, timeout=seconds))
    except Exception:
        return False


def install(app: Any, service: str, retry_after: int = DEFAULT_RETRY_AFTER_SECONDS) -> None:
    """Add :class:`AnswerErrors` to a FastAPI app (inside the metrics middleware, which then sees
    the 503s and 500s it answers)."""
    app.add_middleware(AnswerErrors, service=service, retry_after=retry_after)
