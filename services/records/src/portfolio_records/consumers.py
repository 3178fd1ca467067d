"""Every event the records service consumes, declared in one place."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from portfolio_shared.db import UnitOfWork
from portfolio_shared.events import Envelope
from portfolio_shared.events.identity import SchoolCreated, SchoolUpdated
from portfolio_shared.events.retention import CONFIRMATIONS, DeletionConfirmation
from portfolio_shared.messaging import Subscriptions

from .adapters.orm import artifact_caps, known_schools
from .service_layer.calendar import DEFAULT_CAPS, set_caps
from .service_layer.retention import record_confirmation
from .service_layer.windows import aware

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
    await _keep_school(uow, event, envelope)


@identity_events.on(SchoolUpdated)
async def keep_school(event: SchoolUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    """The school's code names its SIS drop folder for the nightly grade import (R-DUTY-3)."""
    await _keep_school(uow, event, envelope)


async def _keep_school(uow: UnitOfWork, event: SchoolCreated | SchoolUpdated, envelope: Envelope) -> None:
    held = (
        await uow.session.execute(
            select(known_schools.c.updated_at).where(known_schools.c.school_id == event.school_id)
        )
    ).scalar_one_or_none()
    if held is not None and aware(held) > envelope.occurred_at:
        return  # an older event delivered late
    await uow.session.execute(delete(known_schools).where(known_schools.c.school_id == event.school_id))
    await uow.session.execute(
        insert(known_schools).values(
            school_id=event.school_id, school_code=event.school_code, name=event.name, updated_at=envelope.occurred_at
        )
    )


# Each service's confirmation of a deletion joins the proof of deletion (R-RET-1).
retention_events = Subscriptions("records.retention")


@retention_events.on(*CONFIRMATIONS.values())
async def keep_confirmation(event: DeletionConfirmation, envelope: Envelope, uow: UnitOfWork) -> None:
    await record_confirmation(uow, event, envelope)


SUBSCRIPTIONS: list[Subscriptions] = [identity_events, retention_events]
