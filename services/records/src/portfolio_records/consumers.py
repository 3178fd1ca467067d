"""Every event the records service consumes, declared in one place."""

from __future__ import annotations

from sqlalchemy import select

from portfolio_shared.db import UnitOfWork
from portfolio_shared.events import Envelope
from portfolio_shared.events.identity import SchoolCreated
from portfolio_shared.messaging import Subscriptions

from .adapters.orm import artifact_caps
from .service_layer.calendar import DEFAULT_CAPS, set_caps

identity_events = Subscriptions("records.identity")


@identity_events.on(SchoolCreated)
async def announce_default_caps(event: SchoolCreated, envelope: Envelope, uow: UnitOfWork) -> None:
    """A new school starts with the default upload caps, published so artifacts enforces them
    from day one (R-ART-2: 6 outcomes per semester; R-PERF-1). A policy the school already set
    (an out-of-order or replayed event) is left alone."""
    existing = await uow.session.execute(
        select(artifact_caps.c.school_id).where(artifact_caps.c.school_id == event.school_id)
    )
    if existing.first() is None:
        await set_caps(uow, event.school_id, f"system:{identity_events.consumer}", DEFAULT_CAPS)


SUBSCRIPTIONS: list[Subscriptions] = [identity_events]
