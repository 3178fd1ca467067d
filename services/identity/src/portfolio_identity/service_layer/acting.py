"""Who acts for a duty now (R-DUTY-2, R-ART-5), and the ActingPersonChanged events when that changes.

A duty's order is its named responsible persons (or, when none are named, the holders of its
responsible office) followed by its named delegates (or the holders of its default delegate
office). The first available person acts. Unavailable: left (from the end date), suspended,
deactivated by the SIS sync, or absent on the day. A teacher who left but whose account was
extended (R-ART-5) stays available for certification only, until the extension ends.

Course-outcome certification (``outcome_certification``) is resolved per course teacher, not for
the whole school (R-ART-5, school rules 5(5)2(1)): every course teacher is responsible for their own
courses, so the order for one teacher is that teacher followed by the school's delegates. Asked
without a teacher, the duty's acting person is the first available delegate, the one who steps in
for any teacher who cannot certify; a course teacher is never named for another teacher's courses.
Every named delegate of that duty holds its permissions (``standing_delegate_duties``): which
outcomes a delegate may certify is decided per teacher where the outcomes are (artifacts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.identity import ActingPersonChanged

from ..adapters import duties_store, queries
from ..domain.duties import (
    ActingResolution,
    DateRange,
    EmploymentStatus,
    PersonAvailability,
    PersonRef,
    resolve_acting,
)
from .common import Caller, audit

CERTIFICATION_DUTY = "outcome_certification"


def availability_of(person: Mapping[str, Any], duty_code: str, on: date) -> PersonAvailability:
    status = EmploymentStatus(person["status"])
    end_date: date | None = person["end_date"]
    if person["deactivated"]:
        status, end_date = EmploymentStatus.LEFT, None
    extension: date | None = person["extension_until"]
    if extension is not None and extension >= on:
        if duty_code == CERTIFICATION_DUTY:
            # R-ART-5: the extended account certifies until the extension's last day (inclusive).
            status, end_date = EmploymentStatus.LEFT, extension + timedelta(days=1)
        else:
            status, end_date = EmploymentStatus.LEFT, None
    absences = tuple(DateRange(start, end) for start, end in person["absences"])
    return PersonAvailability(status, end_date, absences)


def _office_holders(people: Mapping[str, Mapping[str, Any]], roles: Sequence[str]) -> list[PersonRef]:
    """Holders of the offices, office by office in the duty's order, then by login name."""
    rank = {role: index for index, role in enumerate(roles)}
    holders = [
        (min(rank[r] for r in p["roles"] & rank.keys()), p["login_name"], p)
        for p in people.values()
        if p["roles"] & rank.keys()
    ]
    holders.sort(key=lambda h: (h[0], h[1]))
    return [PersonRef(p["id"], p["display_name"]) for _, _, p in holders]


async def duty_order(session: AsyncSession, duty_id: str) -> tuple[list[str], list[str]]:
    """(responsible user ids, delegate user ids), each in order, as named by the school."""
    responsible: list[str] = []
    delegates: list[str] = []
    for row in await duties_store.people_of_duty(session, duty_id):
        (responsible if row.kind == "responsible" else delegates).append(row.user_id)
    return responsible, delegates


def _refs(user_ids: list[str], people: Mapping[str, Mapping[str, Any]]) -> list[PersonRef]:
    return [PersonRef(uid, str(people[uid]["display_name"]) if uid in people else "") for uid in user_ids]


async def resolve_duty(
    session: AsyncSession,
    duty: RowMapping,
    people: Mapping[str, Mapping[str, Any]],
    on: date,
    for_teacher: str | None = None,
) -> tuple[ActingResolution | None, bool]:
    """The resolution, and whether the acting person holds the duty's permissions through it.

    A delegate, or a person the school named as responsible, gains the duty's permissions while
    acting (R-DUTY-2). Holders of the responsible office already have them by their role, and a
    course teacher who certifies their own courses gains no power over other teachers' courses.
    ``for_teacher`` (certification duty only): who certifies that course teacher's outcomes.
    """
    named_responsible, named_delegates = await duty_order(session, duty["id"])
    delegates = _refs(named_delegates, people) or _office_holders(people, duty["default_delegate_roles"])
    availability = {pid: availability_of(p, duty["code"], on) for pid, p in people.items()}
    if duty["code"] == CERTIFICATION_DUTY:
        # R-ART-5: the teacher of the course, then the school's delegates in order. The office holders
        # of "course teacher" are never responsible for one another's courses.
        teacher = _refs([for_teacher], people) if for_teacher else []
        resolution = resolve_acting(teacher, delegates, on, availability)
        return resolution, resolution is not None and resolution.is_delegate
    responsible = _refs(named_responsible, people) or _office_holders(people, duty["responsible_roles"])
    resolution = resolve_acting(responsible, delegates, on, availability)
    grants = resolution is not None and (resolution.is_delegate or bool(named_responsible))
    return resolution, grants


def resolution_view(resolution: ActingResolution | None, people: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    def person(ref: PersonRef | None) -> dict[str, Any] | None:
        if ref is None:
            return None
        login = people.get(ref.person_id, {}).get("login_name")
        return {"user_id": ref.person_id, "display_name": ref.display_name, "login_name": login}

    if resolution is None:
        return {
            "acting": None,
            "is_delegate": False,
            "position": None,
            "delegate_rank": None,
            "on_behalf_of": None,
            "skipped": [],
        }
    return {
        "acting": person(resolution.person),
        "is_delegate": resolution.is_delegate,
        "position": resolution.position,
        "delegate_rank": resolution.delegate_rank,
        "on_behalf_of": person(resolution.on_behalf_of),
        "skipped": [{"person": person(s.person), "reason": s.reason.value} for s in resolution.skipped],
    }


async def refresh_acting(
    uow: UnitOfWork, caller: Caller, school_id: str, on: date, reason: str, duty_codes: Iterable[str] | None = None
) -> list[ActingPersonChanged]:
    """Re-resolve the duties of a school; store and publish every change of the acting person (R-DUTY-2)."""
    session = uow.session
    people = await queries.school_people(session, school_id)
    # Row locks (PostgreSQL) in one order: two replicas re-resolving at once publish each change once.
    changes: list[ActingPersonChanged] = []
    for duty in await duties_store.duties_for_resolution(session, school_id, duty_codes):
        resolution, grants = await resolve_duty(session, duty, people, on)
        acting = resolution.person.person_id if resolution else None
        if (acting, grants) == (duty["acting_user_id"], duty["acting_grants"]):
            continue
        await duties_store.set_acting(session, duty["id"], acting, grants)
        if acting == duty["acting_user_id"]:
            continue  # same person, only how they hold the duty's permissions changed
        event = ActingPersonChanged(
            school_id=school_id,
            duty_code=duty["code"],
            acting_user_id=acting,
            previous_acting_user_id=duty["acting_user_id"],
            is_delegate=bool(resolution and resolution.is_delegate),
            reason=reason,
        )
        uow.publish(event, school_id=school_id, actor=caller.actor_id)
        await audit(
            uow,
            caller,
            "duty.acting_changed",
            "duty",
            duty["code"],
            school_id=school_id,
            before={"acting_user_id": duty["acting_user_id"]},
            after={"acting_user_id": acting, "reason": reason},
        )
        changes.append(event)
    return changes


async def acting_duties_of(session: AsyncSession, user_id: str, school_id: str) -> list[RowMapping]:
    """Duties whose permissions this user holds now by acting for them at a school (R-DUTY-2)."""
    return await duties_store.acting_duties_of(session, user_id, school_id)


async def standing_delegate_duties(session: AsyncSession, user_id: str, school_id: str) -> list[RowMapping]:
    """Duties resolved per responsible person whose permissions every named delegate holds.

    For the certification duty the delegate who steps in depends on the course teacher (R-ART-5), so
    each delegate the school named holds the duty's permissions without being named responsible;
    artifacts decides, outcome by outcome, whether this delegate is the one who may certify.
    """
    return await duties_store.delegate_duties_of(session, user_id, school_id, CERTIFICATION_DUTY)
