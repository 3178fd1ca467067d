"""Who is acting and why, carried through a request or a consumed event.

The unit of work stamps every event it writes with these, so an event caused by another event
carries the same correlation id and the cause's event id (R-RET-3: every change is attributable).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ActionContext:
    actor: str | None = None
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    causation_id: uuid.UUID | None = None


_current: ContextVar[ActionContext | None] = ContextVar("portfolio_action_context", default=None)


def current() -> ActionContext:
    ctx = _current.get()
    return ctx if ctx is not None else ActionContext()


@contextmanager
def acting(ctx: ActionContext) -> Iterator[ActionContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_current(ctx: ActionContext) -> None:
    _current.set(ctx)
