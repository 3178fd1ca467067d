"""Async SQLAlchemy engine, sessions and the unit of work that writes the outbox in the same transaction.

Nothing here commits by itself: a handler changes state and calls ``uow.publish(...)``; only
``uow.commit()`` writes the state change and its events together, or neither.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from opentelemetry import propagate
from sqlalchemy import Table, event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from . import context
from .events.base import Envelope, EventPayload, envelope_for
from .outage import classify

log = logging.getLogger(__name__)


def make_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 10,
    connect_timeout: float = 5.0,
    statement_timeout: float = 30.0,
    pool_timeout: float = 10.0,
) -> AsyncEngine:
    """An engine whose every wait is bounded (PostgreSQL): a blackholed network fails a request
    within ``connect_timeout`` (new connection) or ``statement_timeout`` + 2 s (a connection that
    went silent mid-statement), and a request waits at most ``pool_timeout`` for a free connection.
    ``statement_timeout=0`` turns the statement bound off (the connect and pool bounds stay)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # Optimistic disconnect handling: no ping round trip before every transaction (a fifth of a
    # small transaction's round trips). After a database restart the first statement on a stale
    # connection fails, SQLAlchemy invalidates the whole pool, and the caller retries (HTTP clients
    # with their Idempotency-Key, consumers through redelivery); recycling bounds idle-connection age.
    connect_args: dict[str, Any] = {"timeout": connect_timeout}
    if statement_timeout > 0:
        # The server cancels a long statement itself (SQLSTATE 57014) and the connection stays
        # usable; the client-side command_timeout, a little later, covers the server that no longer
        # answers at all.
        connect_args["server_settings"] = {"statement_timeout": str(int(statement_timeout * 1000))}
        connect_args["command_timeout"] = statement_timeout + 2
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        pool_recycle=1800,
        pool_timeout=pool_timeout,
        connect_args=connect_args,
    )
    event.listen(engine.sync_engine, "handle_error", _invalidate_on_network_error)
    return engine


def _invalidate_on_network_error(ctx: Any) -> None:
    """A connection on which the driver timed out or the socket failed is not to be reused.

    asyncpg reports those as a bare ``TimeoutError``/``OSError``, which SQLAlchemy does not count as
    a disconnect: the connection would go back to the pool, and its reset (a ROLLBACK) would wait on
    the dead socket for another whole timeout. Marked as a disconnect, it is thrown away (and the pool
    with it), so the next checkout opens a fresh connection or fails fast.
    """
    if isinstance(ctx.original_exception, OSError | TimeoutError):
        ctx.is_disconnect = True


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class UnitOfWork:
    """One transaction: state changes plus the events they cause (transactional outbox)."""

    session: AsyncSession

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox: Table,
        after_commit: Callable[[], None] | None = None,
        notify: str | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._outbox = outbox
        # ``after_commit`` wakes a relay in this process; ``notify`` (a PostgreSQL channel) wakes the
        # relays LISTENing in other processes, issued inside the committing transaction so it is
        # delivered exactly when the events become visible (and never for a rollback).
        self._after_commit = after_commit
        self._notify = notify
        self._pending: list[tuple[Envelope, dict[str, str]]] = []

    async def __aenter__(self) -> Self:
        self.session = self._sessionmaker()
        self._pending = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
            await self.session.close()
        except Exception as error:
            # A rollback on a connection the network took away fails too; the transaction is gone
            # with the connection. Raising here would replace the error that is propagating (or
            # break an answer already sent, as a web request's dependency exits after the response).
            if classify(error) is None:
                raise
            log.warning("database unavailable while ending a transaction (%s: %s)", type(error).__name__, error)
            with contextlib.suppress(Exception):
                await self.session.invalidate()
        finally:
            self._pending = []

    def publish(self, payload: EventPayload, *, school_id: str | None, actor: str | None = None) -> Envelope:
        """Queue an event to be written to the outbox at commit."""
        ctx = context.current()
        envelope = envelope_for(
            payload,
            school_id=school_id,
            actor=actor if actor is not None else ctx.actor,
            correlation_id=ctx.correlation_id,
            causation_id=ctx.causation_id,
        )
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # the producer's trace context travels with the event
        self._pending.append((envelope, carrier))
        return envelope

    @property
    def pending_events(self) -> list[Envelope]:
        return [e for e, _ in self._pending]

    async def flush_events(self) -> None:
        if not self._pending:
            return
        await self.session.execute(
            insert(self._outbox),
            [
                {
                    "event_id": env.event_id,
                    "routing_key": env.routing_key,
                    "body": env.model_dump_json(),
                    "headers": {**headers, "correlation_id": str(env.correlation_id)},
                }
                for env, headers in self._pending
            ],
        )
        self._pending = []
        if self._notify is not None and self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": self._notify})

    async def commit(self) -> None:
        had_events = bool(self._pending)
        await self.flush_events()
        await self.session.commit()
        if had_events and self._after_commit is not None:
            self._after_commit()

    async def rollback(self) -> None:
        self._pending = []
        await self.session.rollback()
