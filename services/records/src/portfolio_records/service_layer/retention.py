"""Sealing and deletion of graduates' data (R-RET-1); records coordinates every service.

- ``seal_graduate``: a graduation seals the student's data (read-only, 封存) here and, through
  ``StudentSealed``, at every service; ``refuse_if_sealed`` guards records' own mutations.
- ``request_deletion``: after the school's archive period (5 years after completion by default,
  ``retention_settings``; compared with the school-local date) a staff member with
  ``retention:manage`` (the registry, which owns enrolment and graduation) asks for the deletion, or
  the nightly purge does for a school that switched it on. Records deletes its own records in the
  same transaction, keeps the request and its own confirmation, and publishes
  ``DeletionRequested`` (platform ids only).
- ``record_confirmation``: each service's ``…retention.deletion_confirmed`` joins the proof; the proof
  is complete when every expected service (configuration, default the five) confirmed.

Every step is on the audit chain (R-RET-3) with counts and digests — never the deleted data.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from portfolio_records.adapters import queries
from portfolio_records.adapters import retention as store
from portfolio_records.adapters.orm import nightly_runs, sealed_students
from portfolio_records.config import Settings
from portfolio_records.domain.retention import (
    DEFAULT_ARCHIVE_YEARS,
    AlreadyDeleted,
    NotSealed,
    check_archive_years,
    check_deletable,
    deletable_from,
)
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import not_found
from portfolio_shared.events.base import Envelope
from portfolio_shared.events.retention import DeletionConfirmation, DeletionRequested, StudentRef, StudentSealed
from portfolio_shared.nightly import FAILED, SUCCEEDED, claim_night, finish_night
from portfolio_shared.retention import ensure_not_sealed, keep_seal
from portfolio_shared.service import ServiceRuntime

from .audit import audit, now
from .windows import settings_of

log = logging.getLogger(__name__)

PURGE_JOB = "retention_purge"
PURGE_ACTOR = "system:retention-purge"
MAX_STUDENTS_PER_REQUEST = 1000  # the contract's bound; a purge splits larger sets


@dataclass(frozen=True)
class RetentionPolicy:
    school_id: str
    archive_years: int
    scheduled_purge: bool


@dataclass(frozen=True)
class Confirmation:
    service: str
    deleted_at: datetime
    confirmed_at: datetime
    counts: dict[str, int]
    digests: dict[str, str]


@dataclass(frozen=True)
class Proof:
    """The proof of deletion: who asked, when, for whom, what each service deleted (counts, digests)."""

    request_id: uuid.UUID
    school_id: str
    trigger: str
    requested_by: str
    requested_at: datetime
    students: list[dict[str, str | None]]
    expected_services: list[str]
    confirmations: list[Confirmation]
    completed_at: datetime | None

    @property
    def awaiting(self) -> list[str]:
        done = {c.service for c in self.confirmations}
        return [s for s in self.expected_services if s not in done]


# --- the school's archive period ---------------------------------------------------------------------


async def policy_of(uow: UnitOfWork, school_id: str) -> RetentionPolicy:
    row = await store.retention_settings_of(uow.session, school_id)
    if row is None:
        return RetentionPolicy(school_id, DEFAULT_ARCHIVE_YEARS, False)
    return RetentionPolicy(school_id, row.archive_years, row.scheduled_purge)


async def set_policy(
    uow: UnitOfWork, school_id: str, actor: str, *, archive_years: int, scheduled_purge: bool
) -> RetentionPolicy:
    check_archive_years(archive_years)
    await store.put_retention_settings(
        uow.session, school_id, archive_years=archive_years, scheduled_purge=scheduled_purge, actor=actor, at=now()
    )
    await audit(
        uow.session, school_id=school_id, actor=actor, action="retention.settings_set", entity="school",
        entity_id=school_id, details={"archive_years": archive_years, "scheduled_purge": scheduled_purge},
    )  # fmt: skip
    return RetentionPolicy(school_id, archive_years, scheduled_purge)


# --- sealing -------------------------------------------------------------------------------------------


async def seal_graduate(
    uow: UnitOfWork, *, student_id: uuid.UUID, user_id: str | None, school_id: str, completed_on: date, actor: str
) -> None:
    """Seal a graduate's data here and at every service (R-RET-1)."""
    policy = await policy_of(uow, school_id)
    event = StudentSealed(
        student_id=str(student_id),
        user_id=user_id,
        school_id=school_id,
        completed_on=completed_on,
        deletable_from=deletable_from(completed_on, policy.archive_years),
    )
    await keep_seal(uow.session, sealed_students, event, now())
    uow.publish(event, school_id=school_id, actor=actor)
    await audit(
        uow.session, school_id=school_id, actor=actor, action="retention.sealed", entity="student",
        entity_id=student_id, details={"completed_on": completed_on.isoformat(),
                                       "deletable_from": event.deletable_from.isoformat()},
    )  # fmt: skip


async def refuse_if_sealed(uow: UnitOfWork, student_id: uuid.UUID, action: str) -> None:
    """A graduate's records are read-only (R-RET-1)."""
    await ensure_not_sealed(uow.session, sealed_students, student_id=str(student_id), action=action)


async def seal_state(uow: UnitOfWork, school_id: str, student_id: uuid.UUID) -> dict[str, Any]:
    row = await store.seal_of(uow.session, student_id)
    if row is None or row.school_id != school_id:
        if await queries.student_at_school(uow.session, school_id, student_id) is None:
            raise not_found("student")
        return {"student_id": student_id, "sealed": False}
    policy = await policy_of(uow, school_id)
    return {
        "student_id": student_id,
        "sealed": True,
        "completed_on": row.completed_on,
        "deletable_from": deletable_from(row.completed_on, policy.archive_years),
        "deleted_at": row.deleted_at,
        "deletion_request_id": None if row.deletion_request_id is None else uuid.UUID(row.deletion_request_id),
    }


# --- deletion -------------------------------------------------------------------------------------------


async def request_deletion(
    uow: UnitOfWork,
    *,
    school_id: str,
    actor: str,
    student_ids: Sequence[uuid.UUID],
    trigger: str,
    expected_services: Sequence[str],
    at: datetime | None = None,
) -> uuid.UUID:
    """Delete these graduates' data everywhere, after the archive period only (R-RET-1).

    All or nothing: one student not yet deletable refuses the whole request, naming the student.
    """
    at = at or now()
    today = at.astimezone((await settings_of(uow, school_id)).zone).date()  # the school's calendar day
    policy = await policy_of(uow, school_id)
    seals = await store.seals_of(uow.session, student_ids)
    refs: list[StudentRef] = []
    for student_id in dict.fromkeys(student_ids):
        seal = seals.get(str(student_id))
        if seal is None or seal.school_id != school_id:
            if await queries.student_at_school(uow.session, school_id, student_id) is None:
                raise not_found("student")
            raise NotSealed(
                f"Student {student_id} has not graduated from this school: only sealed data can be deleted (R-RET-1)",
                "該生未自本校畢業，資料未封存，不得刪除",
                field="student_ids",
                extra={"student_id": str(student_id)},
            )
        if seal.deleted_at is not None:
            raise AlreadyDeleted(
                f"Student {student_id}'s data was deleted already (request {seal.deletion_request_id})",
                "該生資料已刪除",
                field="student_ids",
                extra={"student_id": str(student_id), "request_id": seal.deletion_request_id},
            )
        check_deletable(
            student_id=str(student_id), today=today, completed_on=seal.completed_on, archive_years=policy.archive_years
        )
        refs.append(StudentRef(student_id=str(student_id), user_id=seal.user_id))
    request_id = uuid.uuid4()
    expected = sorted(dict.fromkeys(expected_services))
    await store.insert_request(
        uow.session, request_id=request_id, school_id=school_id, trigger=trigger, requested_by=actor,
        requested_at=at, students_=[r.model_dump() for r in refs], expected_services=expected,
    )  # fmt: skip
    await audit(
        uow.session, school_id=school_id, actor=actor, action="retention.deletion_requested",
        entity="deletion_request", entity_id=request_id,
        details={"trigger": trigger, "student_ids": [r.student_id for r in refs], "expected_services": expected},
    )  # fmt: skip
    report = await store.erase_students(uow.session, [uuid.UUID(r.student_id) for r in refs])
    await store.mark_seals_deleted(uow.session, [r.student_id for r in refs], request_id, at)
    await _confirm(uow, school_id, request_id, "records", at, report.counts, report.digests)
    uow.publish(
        DeletionRequested(
            request_id=str(request_id),
            school_id=school_id,
            students=refs,
            requested_by=actor,
            trigger=trigger,  # type: ignore[arg-type]
        ),
        school_id=school_id,
        actor=actor,
    )
    return request_id


async def _confirm(
    uow: UnitOfWork,
    school_id: str,
    request_id: uuid.UUID,
    service: str,
    deleted_at: datetime,
    counts: dict[str, int],
    digests: dict[str, str],
) -> None:
    request = await store.request_row(uow.session, request_id, lock=True)
    if request is None or request.school_id != school_id:
        log.warning("deletion confirmation from %s for unknown request %s ignored", service, request_id)
        return
    at = now()
    fresh = await store.insert_confirmation(
        uow.session, request_id=request_id, service=service, deleted_at=deleted_at, confirmed_at=at,
        counts=counts, digests=digests,
    )  # fmt: skip
    if not fresh:
        return  # this service confirmed already: the first confirmation stands
    await audit(
        uow.session, school_id=school_id, actor=f"system:{service}", action="retention.deletion_confirmed",
        entity="deletion_request", entity_id=request_id,
        details={"service": service, "counts": counts, "digests": digests},
    )  # fmt: skip
    confirmed = {row.service for row in (await store.confirmations_of(uow.session, [request_id]))[request_id]}
    if request.completed_at is None and set(request.expected_services) <= confirmed:
        await store.mark_request_complete(uow.session, request_id, at)
        await audit(
            uow.session, school_id=school_id, actor="system:records", action="retention.deletion_completed",
            entity="deletion_request", entity_id=request_id, details={"services": sorted(confirmed)},
        )  # fmt: skip


async def record_confirmation(uow: UnitOfWork, event: DeletionConfirmation, envelope: Envelope) -> None:
    """A service's confirmation joins the proof of deletion (R-RET-1)."""
    try:
        request_id = uuid.UUID(event.request_id)
    except ValueError:
        log.warning("deletion confirmation from %s with a malformed request id ignored", event.service)
        return
    await _confirm(uow, event.school_id, request_id, event.service, event.deleted_at, event.counts, event.digests)


def _proof(row: Any, confirmations: list[Any]) -> Proof:
    return Proof(
        request_id=row.id,
        school_id=row.school_id,
        trigger=row.trigger,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        students=list(row.students),
        expected_services=list(row.expected_services),
        confirmations=[
            Confirmation(c.service, c.deleted_at, c.confirmed_at, dict(c.counts), dict(c.digests))
            for c in confirmations
        ],
        completed_at=row.completed_at,
    )


async def proof_of(uow: UnitOfWork, school_id: str, request_id: uuid.UUID) -> Proof:
    row = await store.request_row(uow.session, request_id)
    if row is None or row.school_id != school_id:
        raise not_found("deletion request")
    return _proof(row, (await store.confirmations_of(uow.session, [request_id]))[request_id])


async def proofs(uow: UnitOfWork, school_id: str, *, limit: int, offset: int) -> tuple[int, list[Proof]]:
    total, rows = await store.requests_page(uow.session, school_id, limit=limit, offset=offset)
    found = await store.confirmations_of(uow.session, [r.id for r in rows])
    return total, [_proof(r, found[r.id]) for r in rows]


# --- the nightly purge ------------------------------------------------------------------------------


async def purge_school(
    uow: UnitOfWork, school_id: str, *, expected_services: Sequence[str], at: datetime | None = None
) -> list[uuid.UUID]:
    """Request the deletion of every graduate of the school whose archive period has ended."""
    at = at or now()
    today = at.astimezone((await settings_of(uow, school_id)).zone).date()
    policy = await policy_of(uow, school_id)
    due = [
        uuid.UUID(row.student_id)
        for row in await store.sealed_not_deleted(uow.session, school_id)
        if deletable_from(row.completed_on, policy.archive_years) <= today
    ]
    requests = []
    for start in range(0, len(due), MAX_STUDENTS_PER_REQUEST):
        chunk = due[start : start + MAX_STUDENTS_PER_REQUEST]
        requests.append(
            await request_deletion(
                uow,
                school_id=school_id,
                actor=PURGE_ACTOR,
                student_ids=chunk,
                trigger="scheduled_purge",
                expected_services=expected_services,
                at=at,
            )
        )
    return requests


async def run_purge_night(
    runtime: ServiceRuntime, settings: Settings, night: date, owner: str, *, at: datetime | None = None
) -> dict[str, str | None]:
    """The night's purge, once per school and night across replicas (a ``nightly_runs`` lease)."""
    async with runtime.uow() as uow:
        schools = await store.purging_schools(uow.session)
    results: dict[str, str | None] = {}
    for school_id in schools:
        claimed = await claim_night(
            runtime.sessionmaker, nightly_runs, job=PURGE_JOB, school_id=school_id, night=night, owner=owner,
            lease=timedelta(seconds=settings.nightly_lease_seconds),
        )  # fmt: skip
        if not claimed:
            results[school_id] = None
            continue
        try:
            async with runtime.uow() as uow:
                requests = await purge_school(
                    uow, school_id, expected_services=settings.retention_expected_services, at=at
                )
                kept = await finish_night(
                    uow.session, nightly_runs, job=PURGE_JOB, school_id=school_id, night=night, owner=owner,
                    status=SUCCEEDED, source=None, report={"requests": [str(r) for r in requests]},
                )  # fmt: skip
                if not kept:
                    await uow.rollback()
                    results[school_id] = None
                    continue
                await uow.commit()
                results[school_id] = SUCCEEDED
        except Exception as exc:
            log.exception("retention purge of school %s failed", school_id)
            async with runtime.uow() as uow:
                await finish_night(
                    uow.session, nightly_runs, job=PURGE_JOB, school_id=school_id, night=night, owner=owner,
                    status=FAILED, source=None, error={"reason": type(exc).__name__},
                )  # fmt: skip
                await uow.commit()
            results[school_id] = FAILED
    return results
